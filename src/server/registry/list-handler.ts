/** The paged lists: `/v2/<name>/tags/list` and `/v2/_catalog` (`n`, `last`, `Link: <…>; rel="next"`). */
import type { ServerResponse } from 'node:http';
import { RegistryApiError } from './registry-api-error.js';
import type { RegistryHandlerContext } from './handler-context.js';
import { respondJson } from './registry-responses.js';

export class ListHandler {
  constructor(private readonly ctx: RegistryHandlerContext) {}

  private pageSize(query: URLSearchParams): number {
    const n = query.get('n');
    if (n === null || n === '') return this.ctx.maxPageSize;
    if (!/^\d{1,9}$/.test(n)) throw new RegistryApiError('PAGINATION_NUMBER_INVALID', undefined, { n: n.slice(0, 20) });
    return Math.min(Number(n), this.ctx.maxPageSize);
  }

  async tags(res: ServerResponse, name: string, query: URLSearchParams): Promise<number> {
    const n = this.pageSize(query);
    const last = query.get('last') ?? undefined;
    const tags = n === 0 ? [] : await this.ctx.store.listTags(name, { ...(last ? { last } : {}), limit: n + 1 });
    if (tags.length === 0 && !last && !(await this.ctx.store.repositoryExists(name)))
      throw new RegistryApiError('NAME_UNKNOWN', undefined, { name });
    const more = tags.length > n;
    const page = tags.slice(0, n);
    const headers: Record<string, string> = {};
    if (more) headers['Link'] = `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1] as string)}>; rel="next"`;
    return respondJson(res, JSON.stringify({ name, tags: page }), 'application/json', headers);
  }

  async catalog(res: ServerResponse, query: URLSearchParams): Promise<number> {
    const n = this.pageSize(query);
    const last = query.get('last') ?? undefined;
    const repos = n === 0 ? [] : await this.ctx.store.listRepositories({ ...(last ? { last } : {}), limit: n + 1 });
    const more = repos.length > n;
    const page = repos.slice(0, n);
    const headers: Record<string, string> = {};
    if (more) headers['Link'] = `</v2/_catalog?n=${n}&last=${encodeURIComponent(page[page.length - 1] as string)}>; rel="next"`;
    return respondJson(res, JSON.stringify({ repositories: page }), 'application/json', headers);
  }
}
