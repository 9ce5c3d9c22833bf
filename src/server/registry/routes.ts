/**
 * The OCI distribution API's paths (distribution spec v1.1), matched after the
 * trust API's: `/v2/<gun>/_trust/…` never reaches here, and `GET /v2/` stays
 * the trust API's (and the registry's) version check. `<name>` may hold `/`;
 * it is checked against the reference grammar without a backtracking regex
 * over the whole name (each path component on its own, total ≤ 255).
 */
import type { RequiredAccess, RouteAccess } from '../auth/bearer-auth.js';

export type RegistryRoute =
  | { kind: 'catalog' }
  | { kind: 'uploadStart'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string };

/** distribution's NameTotalLengthMax */
export const MAX_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;

const UPLOAD_START = /^\/v2\/(.+)\/blobs\/uploads\/?$/;
const UPLOAD = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/;
const BLOB = /^\/v2\/(.+)\/blobs\/([^/]+)$/;
const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const TAGS = /^\/v2\/(.+)\/tags\/list$/;
const REFERRERS = /^\/v2\/(.+)\/referrers\/([^/]+)$/;

/** one path component: alphanumerics joined by `.`, `_`, `__` or runs of `-` */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A repository name the registry accepts (distribution's reference grammar). */
export function isValidRepositoryName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  return name.split('/').every((c) => c.length > 0 && COMPONENT.test(c));
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** The registry route of a path, or undefined when it is not a registry path. The name is validated by the handler. */
export function matchRegistryRoute(path: string): RegistryRoute | undefined {
  if (!path.startsWith('/v2/') || path.length > MAX_PATH_LENGTH) return undefined;
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  let m = UPLOAD_START.exec(path);
  if (m) return { kind: 'uploadStart', name: m[1] as string };
  m = UPLOAD.exec(path);
  if (m) return { kind: 'upload', name: m[1] as string, id: m[2] as string };
  m = BLOB.exec(path);
  if (m) return { kind: 'blob', name: m[1] as string, digest: m[2] as string };
  m = MANIFEST.exec(path);
  if (m) return { kind: 'manifest', name: m[1] as string, reference: m[2] as string };
  m = TAGS.exec(path);
  if (m) return { kind: 'tags', name: m[1] as string };
  m = REFERRERS.exec(path);
  if (m) return { kind: 'referrers', name: m[1] as string, digest: m[2] as string };
  return undefined;
}

/** The methods each route answers (anything else is 405 UNSUPPORTED). */
export function methodAllowed(route: RegistryRoute, method: string): boolean {
  switch (route.kind) {
    case 'catalog':
    case 'tags':
    case 'referrers':
      return method === 'GET';
    case 'uploadStart':
      return method === 'POST';
    case 'upload':
      return method === 'GET' || method === 'PATCH' || method === 'PUT' || method === 'DELETE';
    case 'blob':
      return method === 'GET' || method === 'HEAD' || method === 'DELETE';
    case 'manifest':
      return method === 'GET' || method === 'HEAD' || method === 'PUT' || method === 'DELETE';
  }
}

const repo = (name: string, ...actions: string[]): RequiredAccess[] => actions.map((action) => ({ type: 'repository', name, action }));

/**
 * What a token must hold (docker/distribution's access records): `pull` to
 * read, `push` and `pull` to upload, `delete` to delete, `pull` on the source
 * repository of a cross-repository mount, `registry:catalog:*` for the catalog.
 */
export function registryRouteAccess(route: RegistryRoute, method: string, query: URLSearchParams): RouteAccess {
  if (route.kind === 'catalog') return { access: [{ type: 'registry', name: 'catalog', action: '*' }], anyToken: false };
  const name = route.name;
  if (method === 'DELETE' && (route.kind === 'blob' || route.kind === 'manifest')) return { access: repo(name, 'delete'), anyToken: false };
  if (route.kind === 'uploadStart' || route.kind === 'upload' || (route.kind === 'manifest' && method === 'PUT')) {
    const access = repo(name, 'pull', 'push');
    const from = query.get('from');
    if (route.kind === 'uploadStart' && query.get('mount') !== null && from !== null && from !== name && isValidRepositoryName(from)) {
      access.push(...repo(from, 'pull'));
    }
    return { access, anyToken: false };
  }
  return { access: repo(name, 'pull'), anyToken: false };
}
