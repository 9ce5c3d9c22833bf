/**
 * A repository's tags: `GET /v2/<repo>/tags/list`, page by page (`n=`, then
 * `Link: <…>; rel="next"`), refusing lists that loop or never end.
 */
import { repositoryScope } from '../http/registry-auth.js';
import { RegistryClientError } from './registry-client-error.js';
import type { CallOptions, RegistryConnection } from './registry-connection.js';
import { nextLink } from './registry-headers.js';
import { readBody } from '../http/transport/send.js';

export interface TagListOptions extends CallOptions {
  /** `n=`: tags a page */
  pageSize?: number;
  /** fail past this many pages (default 10,000) */
  maxPages?: number;
}

/** `GET /v2/<repo>/tags/list`, following `Link: <…>; rel="next"` pages. */
export async function listTags(conn: RegistryConnection, repo: string, opts: TagListOptions, maxList: number): Promise<string[]> {
  let url: URL | undefined = await conn.url(`/v2/${repo}/tags/list`);
  if (opts.pageSize !== undefined) url.searchParams.set('n', String(opts.pageSize));
  const tags: string[] = [];
  const seen = new Set<string>();
  const maxPages = opts.maxPages ?? 10_000;
  for (let page = 0; url !== undefined; page++) {
    if (page >= maxPages)
      throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `the tag list of ${repo} on ${conn.host} has more than ${maxPages} pages`);
    if (seen.has(url.href))
      throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `the tag list of ${repo} on ${conn.host} links back to a page already read`);
    seen.add(url.href);
    const res = await conn.exchange({
      method: 'GET',
      url,
      scopes: [repositoryScope(repo, 'pull')],
      headers: { Accept: 'application/json' },
      retry: 'idempotent',
      redirects: true,
      signal: opts.signal,
    });
    if (res.status !== 200) throw await conn.failure(res, `the tags of ${repo}`, 'repository');
    const body = await readBody(
      res,
      maxList,
      () => new RegistryClientError('RESPONSE_TOO_LARGE', `a page of the tag list of ${repo} is larger than ${maxList} bytes`, 200),
    );
    const json = parseJson(body, `the tag list of ${repo}`);
    const list = json['tags'];
    if (list !== null && list !== undefined && (!Array.isArray(list) || !list.every((t) => typeof t === 'string'))) {
      throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `the tag list of ${repo} from ${conn.host} is not a list of strings`, 200);
    }
    tags.push(...(list ?? []));
    url = nextLink(res);
  }
  return tags;
}

function parseJson(body: Buffer, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `${what} is not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `${what} is not a JSON object`);
  return json as Record<string, unknown>;
}
