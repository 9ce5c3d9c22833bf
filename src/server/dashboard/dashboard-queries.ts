/**
 * The query parameters of the dashboard's API, checked: a bad one is 400 DASHBOARD_BAD_QUERY
 * naming the parameter and what it accepts.
 */
import type { RepositorySort } from '../../app/dashboard/dashboard-api.js';
import { ApiError } from '../api-errors.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;
const SORTS: readonly RepositorySort[] = ['name', 'updated', 'expires', 'tags'];

export function badQuery(detail: string): ApiError {
  return new ApiError('DASHBOARD_BAD_QUERY', detail, detail);
}

function one(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  if (all.length > 1) throw badQuery(`${name}: given ${all.length} times, at most once`);
  return all[0];
}

export function pageLimit(query: URLSearchParams): number {
  const raw = one(query, 'limit');
  if (raw === undefined || raw === '') return DEFAULT_PAGE;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE)
    throw badQuery(`limit: must be a whole number from 1 to ${MAX_PAGE}`);
  return Number(raw);
}

export function cursorOf(query: URLSearchParams): string | undefined {
  const raw = one(query, 'cursor');
  return raw === undefined || raw === '' ? undefined : raw;
}

export interface RepositoryParams {
  q?: string;
  sort: RepositorySort;
  order: 'asc' | 'desc';
  cursor?: string;
  limit: number;
}

export function repositoryParams(query: URLSearchParams): RepositoryParams {
  const known = new Set(['q', 'sort', 'order', 'cursor', 'limit']);
  for (const name of query.keys()) if (!known.has(name)) throw badQuery(`${name}: unknown parameter (known: ${[...known].join(', ')})`);
  const q = one(query, 'q') ?? '';
  if (q.length > 255) throw badQuery('q: at most 255 characters');
  const sort = one(query, 'sort') ?? 'name';
  if (!(SORTS as readonly string[]).includes(sort)) throw badQuery(`sort: must be one of ${SORTS.join(', ')}`);
  const order = one(query, 'order') ?? (sort === 'name' ? 'asc' : sort === 'expires' ? 'asc' : 'desc');
  if (order !== 'asc' && order !== 'desc') throw badQuery('order: must be asc or desc');
  const cursor = cursorOf(query);
  return {
    ...(q !== '' ? { q } : {}),
    sort: sort as RepositorySort,
    order,
    ...(cursor !== undefined ? { cursor } : {}),
    limit: pageLimit(query),
  };
}

export interface ExpiryParams {
  /** days ahead; undefined = everything */
  within?: number;
  cursor?: string;
  limit: number;
}

export function expiryParams(query: URLSearchParams): ExpiryParams {
  const known = new Set(['within', 'cursor', 'limit']);
  for (const name of query.keys()) if (!known.has(name)) throw badQuery(`${name}: unknown parameter (known: ${[...known].join(', ')})`);
  const raw = one(query, 'within');
  let within: number | undefined;
  if (raw !== undefined && raw !== '') {
    if (!/^\d{1,5}$/.test(raw) || Number(raw) > 36_500) throw badQuery('within: must be a whole number of days from 0 to 36500');
    within = Number(raw);
  }
  const cursor = cursorOf(query);
  return { ...(within !== undefined ? { within } : {}), ...(cursor !== undefined ? { cursor } : {}), limit: pageLimit(query) };
}

/** The decisions page keeps the audit feed's own parameters (checked by AuditApi); only unknown ones are refused here. */
export function checkDecisionParams(query: URLSearchParams): void {
  const known = new Set(['change_id', 'records', 'verdict', 'point', 'image']);
  for (const name of query.keys()) if (!known.has(name)) throw badQuery(`${name}: unknown parameter (known: ${[...known].join(', ')})`);
}
