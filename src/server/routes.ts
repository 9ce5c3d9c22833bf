/**
 * notary-server's routes (server/server.go RootHandler), matched in the same
 * order: by checksum, by version, current. `<gun>` may hold `/` and `:` but no
 * `*`; dct also refuses GUNs that are not clean paths (empty, `.` or `..`
 * segments), which Go's router would have redirected, GUNs longer than
 * `MAX_GUN_LENGTH` and GUNs with control characters (NUL included): no store
 * or key service can hold them, so they are route misses (404) like a `*`.
 */
export type Route =
  | { name: 'base' }
  | { name: 'health' }
  | { name: 'metrics' }
  | { name: 'update'; gun: string }
  | { name: 'delete'; gun: string }
  | { name: 'metadataByChecksum'; gun: string; role: string; checksum: string }
  | { name: 'metadataByVersion'; gun: string; role: string; version: number }
  | { name: 'currentMetadata'; gun: string; role: string }
  | { name: 'getKey'; gun: string; role: 'timestamp' | 'snapshot' }
  | { name: 'rotateKey'; gun: string; role: 'timestamp' | 'snapshot' }
  | { name: 'changefeed'; gun?: string }
  | { name: 'auditFeed' }
  | { name: 'auditPost' }
  | { name: 'notFound' };

/** The audit feed (audit-api.ts): its page or live follow, and where enforcement points post records. */
export const AUDIT_FEED_PATH = '/_dct/audit/changefeed';
export const AUDIT_POST_PATH = '/_dct/audit';

const ROLE = 'root|targets(?:/[^/\\s]+)*|snapshot|timestamp';
const TUF = /^\/v2\/([^*]+)\/_trust\/tuf\/(.*)$/;
const BY_CHECKSUM = new RegExp(`^(${ROLE})\\.([0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})\\.json$`);
const BY_VERSION = new RegExp(`^([1-9]*[0-9]+)\\.(${ROLE})\\.json$`);
const CURRENT = new RegExp(`^(${ROLE})\\.json$`);
const KEY = /^(snapshot|timestamp)\.key$/;
const GUN_CHANGEFEED = /^\/v2\/([^*]+)\/_trust\/changefeed$/;

/** The longest GUN served: notary's `gun` columns are VARCHAR(255), and so are dct's (PostgreSQL) and its key service's limit. */
export const MAX_GUN_LENGTH = 255;

const CONTROL = /[\u0000-\u001f\u007f]/;

export function isCleanGun(gun: string): boolean {
  if (gun.length > MAX_GUN_LENGTH || CONTROL.test(gun)) return false;
  return gun.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

export function matchRoute(method: string, path: string): Route {
  if (method === 'GET') {
    if (path === '/v2/') return { name: 'base' };
    if (path === '/_notary_server/health') return { name: 'health' };
    if (path === '/metrics') return { name: 'metrics' };
    if (path === '/v2/_trust/changefeed') return { name: 'changefeed' };
    if (path === AUDIT_FEED_PATH) return { name: 'auditFeed' };
  }
  if (method === 'POST' && path === AUDIT_POST_PATH) return { name: 'auditPost' };
  const tuf = TUF.exec(path);
  if (tuf) {
    const gun = tuf[1] as string;
    const rest = tuf[2] as string;
    if (!isCleanGun(gun)) return { name: 'notFound' };
    if (rest === '') {
      if (method === 'POST') return { name: 'update', gun };
      if (method === 'DELETE') return { name: 'delete', gun };
      return { name: 'notFound' };
    }
    const key = KEY.exec(rest);
    if (key) {
      const role = key[1] as 'timestamp' | 'snapshot';
      if (method === 'GET') return { name: 'getKey', gun, role };
      if (method === 'POST') return { name: 'rotateKey', gun, role };
      return { name: 'notFound' };
    }
    if (method !== 'GET') return { name: 'notFound' };
    let m = BY_CHECKSUM.exec(rest);
    if (m) return { name: 'metadataByChecksum', gun, role: m[1] as string, checksum: (m[2] as string).toLowerCase() };
    m = BY_VERSION.exec(rest);
    if (m) return { name: 'metadataByVersion', gun, role: m[2] as string, version: Number(m[1]) };
    m = CURRENT.exec(rest);
    if (m) return { name: 'currentMetadata', gun, role: m[1] as string };
    return { name: 'notFound' };
  }
  if (method === 'GET') {
    const feed = GUN_CHANGEFEED.exec(path);
    if (feed && isCleanGun(feed[1] as string)) return { name: 'changefeed', gun: feed[1] as string };
  }
  return { name: 'notFound' };
}
