/**
 * Opens the trust server's store from a storage URL:
 *
 *   sqlite:PATH                      a SQLite file (parent folders created 0700, the file 0600)
 *   sqlite::memory:                  a private in-memory SQLite database (tests, throw-away servers)
 *   postgres://USER@HOST:PORT/DB     PostgreSQL (also postgresql://); `?schema=NAME` keeps the
 *                                    tables in that schema (created when missing); other query
 *                                    parameters (sslmode, …) go to the driver unchanged
 */
import { DctError } from '../../core/errors.js';
import type { AuditStore } from '../../core/policy/audit-record.js';
import type { PrivateKeyStore, RegistryStore, TufStore } from '../../core/ports.js';

/** TUF files, server keys, the embedded registry's metadata (`registry`) and the audit feed (`audit`), in one database. */
export type ServerStore = TufStore & PrivateKeyStore & { readonly registry: RegistryStore; readonly audit: AuditStore };

export interface OpenStoreOptions {
  /** audit records kept, the newest (default DEFAULT_AUDIT_RETENTION) */
  auditRetention?: number;
}

const ACCEPTED_FORMS = 'sqlite:PATH, sqlite::memory:, postgres://USER@HOST:PORT/DATABASE[?schema=NAME] or postgresql://…';

export type StorageLocation = { backend: 'sqlite'; path: string } | { backend: 'postgres'; connectionString: string; schema?: string };

/** Parses a storage URL without opening anything (see the module comment for the forms). */
export function parseStorageUrl(url: string): StorageLocation {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw invalid(url, 'the SQLite path is empty');
    return { backend: 'sqlite', path };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw invalid(url, 'not a valid URL', err);
    }
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    if (schema === '') throw invalid(url, 'the schema parameter is empty');
    return { backend: 'postgres', connectionString: parsed.toString(), ...(schema === undefined ? {} : { schema }) };
  }
  throw invalid(url, 'unknown storage backend');
}

/** Opens (and migrates) the store a storage URL names; only the driver in use is loaded. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<ServerStore> {
  const location = parseStorageUrl(url);
  if (location.backend === 'sqlite') return (await import('./sqlite-store.js')).SqliteStore.open(location.path, options);
  const { PostgresStore } = await import('./postgres-store.js');
  return PostgresStore.open({
    connectionString: location.connectionString,
    ...(location.schema === undefined ? {} : { schema: location.schema }),
    ...options,
  });
}

function invalid(url: string, reason: string, cause?: unknown): DctError {
  return new DctError('INVALID_STORAGE_URL', `invalid storage URL "${redact(url)}": ${reason}; expected ${ACCEPTED_FORMS}`, { cause });
}

/** Never echo a password from a connection string into logs. */
function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
