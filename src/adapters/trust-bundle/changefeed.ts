/**
 * Every repository a Notary server holds, from its changefeed (`GET /v2/_trust/changefeed`,
 * notary-server and dct server alike; token scope `registry:catalog:*`): paged by change
 * ID, a GUN is listed when its last change is an update (a deletion after it drops it).
 */
import { DctError } from '../../core/errors.js';
import type { RegistryAuth } from '../http/registry-auth.js';
import type { TlsSettings } from '../http/tls-settings.js';
import { readBody } from '../http/transport/send.js';
import { createTransport } from '../http/transport/transport.js';

export interface ChangefeedOptions {
  baseUrl: string;
  tls: TlsSettings;
  auth?: RegistryAuth;
  userAgent: string;
  timeoutMs?: number;
  /** records asked per page (dct serves at most 1000) */
  pageSize?: number;
}

interface ChangeJson {
  ID?: unknown;
  GUN?: unknown;
  Category?: unknown;
}

const MAX_PAGE_BYTES = 16 * 1024 * 1024;

export async function listServerRepositories(o: ChangefeedOptions): Promise<string[]> {
  const transport = createTransport({ userAgent: o.userAgent, ...(o.auth ? { auth: { auth: o.auth, tls: o.tls } } : {}) });
  const base = new URL(o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`);
  const pageSize = o.pageSize ?? 1000;
  const last = new Map<string, string>();
  let changeId = 0;
  for (let page = 0; page < 100_000; page++) {
    const url = new URL(`v2/_trust/changefeed?change_id=${changeId}&records=${pageSize}`, base);
    const res = await transport({ method: 'GET', url, tls: o.tls, deadlineMs: o.timeoutMs ?? 30_000, scopes: ['registry:catalog:*'] });
    const body = await readBody(res, MAX_PAGE_BYTES, () => new DctError('RESPONSE_TOO_LARGE', `${url.href}: changefeed page too large`));
    if (res.status === 401 || res.status === 403) {
      throw new DctError(
        'UNAUTHORIZED',
        `the trust server refused to list its repositories (HTTP ${res.status}): --all needs catalog access`,
      );
    }
    if (res.status !== 200) {
      throw new DctError('INVALID_RESPONSE', `GET ${url.href}: HTTP ${res.status}: ${body.toString('utf8').slice(0, 200)}`);
    }
    let records: ChangeJson[];
    try {
      const json = JSON.parse(body.toString('utf8')) as { records?: ChangeJson[] | null };
      records = json.records ?? [];
      if (!Array.isArray(records)) throw new Error('records is not an array');
    } catch (err) {
      throw new DctError('INVALID_RESPONSE', `GET ${url.href}: not a changefeed answer (${(err as Error).message})`);
    }
    for (const r of records) {
      const id = Number(r.ID);
      if (typeof r.GUN !== 'string' || !Number.isSafeInteger(id)) continue;
      last.set(r.GUN, String(r.Category));
      if (id > changeId) changeId = id;
    }
    if (records.length < pageSize) break;
  }
  return [...last.entries()]
    .filter(([, category]) => category === 'update')
    .map(([gun]) => gun)
    .sort();
}
