/** Repositories: search, sort and server-side paging (the API's cursor) over every repository the user may pull. */
import { useEffect, useState } from 'preact/hooks';
import type { DashboardSession, RepositoryPage, RepositorySort } from '../../../src/app/dashboard/dashboard-api.js';
import { query } from '../api-paths.js';
import { ErrorBox, Formats, Gun, Health, Indexing, Time } from '../format.js';
import { useDebounced, useJson } from '../hooks.js';
import { Link, navigate } from '../router.js';
import { repositoryHref } from '../routes.js';

const PAGE_SIZE = 50;
const SORTS: { value: RepositorySort; label: string }[] = [
  { value: 'name', label: 'Name' },
  { value: 'updated', label: 'Last change' },
  { value: 'expires', label: 'Expires' },
  { value: 'tags', label: 'Tags' },
];

function isSort(s: string | null): s is RepositorySort {
  return SORTS.some((x) => x.value === s);
}

export function RepositoriesPage({ session }: { session: DashboardSession }) {
  const params = new URLSearchParams(location.search);
  const [q, setQ] = useState(params.get('q') ?? '');
  const [sort, setSort] = useState<RepositorySort>(isSort(params.get('sort')) ? (params.get('sort') as RepositorySort) : 'name');
  const [order, setOrder] = useState<'asc' | 'desc'>(params.get('order') === 'desc' ? 'desc' : 'asc');
  const settledQ = useDebounced(q.trim(), 250);
  // the cursors of the pages walked so far belong to one query: another query starts on its first page
  // in the same render (a cursor of another query is refused by the API)
  const listKey = `${settledQ}\n${sort}\n${order}`;
  const [walked, setWalked] = useState<{ key: string; cursors: (string | undefined)[] }>({ key: listKey, cursors: [undefined] });
  const cursors = walked.key === listKey ? walked.cursors : [undefined];
  const setCursors = (f: (c: (string | undefined)[]) => (string | undefined)[]) => setWalked({ key: listKey, cursors: f(cursors) });

  // the search and sort live in the address, so a reload or a shared link shows the same list
  useEffect(() => {
    navigate(
      `${location.pathname}${query({ q: settledQ, sort: sort === 'name' ? undefined : sort, order: order === 'asc' ? undefined : order })}`,
      true,
    );
  }, [settledQ, sort, order]);

  const cursor = cursors[cursors.length - 1];
  const { data, error, loading } = useJson<RepositoryPage>(
    `/ui/api/repositories${query({ q: settledQ, sort, order, cursor, limit: PAGE_SIZE })}`,
    (page) => page.indexing !== undefined,
  );
  const first = (cursors.length - 1) * PAGE_SIZE;

  return (
    <section aria-labelledby="repos-title">
      <h1 id="repos-title">Repositories</h1>
      <form class="controls" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="repo-search">Search repositories</label>
          <input id="repo-search" type="search" value={q} placeholder="name contains…" onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="repo-sort">Sort by</label>
          <select id="repo-sort" value={sort} onChange={(e) => setSort(e.currentTarget.value as RepositorySort)}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="repo-order">Order</label>
          <select id="repo-order" value={order} onChange={(e) => setOrder(e.currentTarget.value === 'desc' ? 'desc' : 'asc')}>
            <option value="asc">Ascending</option>
            <option value="desc">Descending</option>
          </select>
        </div>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      <Indexing progress={data?.indexing} />
      <p aria-live="polite" class="count" data-testid="repo-count">
        {data
          ? data.total === 0
            ? 'No repositories match.'
            : `${first + 1}–${first + data.items.length} of ${data.total} repositories`
          : loading
            ? 'Loading…'
            : ''}
        {!session.registry ? ' (embedded registry off: only DCT signatures are seen)' : ''}
      </p>
      {data && data.items.length > 0 ? (
        <div class="table-wrap">
          <table class="repos" aria-busy={loading}>
            <caption class="visually-hidden">Repositories, sorted by {SORTS.find((s) => s.value === sort)?.label}</caption>
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">Tags</th>
                <th scope="col">Signers</th>
                <th scope="col">Formats</th>
                <th scope="col">Last change</th>
                <th scope="col">Health</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((r) => (
                <tr key={r.gun} data-testid="repo-row" data-gun={r.gun} class={r.health === 'ok' ? undefined : r.health}>
                  <th scope="row" data-label="Repository">
                    <Link href={repositoryHref(r.gun)}>
                      <Gun gun={r.gun} />
                    </Link>
                  </th>
                  <td data-label="Tags">{r.tags}</td>
                  <td data-label="Signers">{r.signers.length ? r.signers.join(', ') : <span class="muted">none</span>}</td>
                  <td data-label="Formats">
                    <Formats formats={r.formats} />
                  </td>
                  <td data-label="Last change">
                    <Time at={r.updated} />
                  </td>
                  <td data-label="Health">
                    <Health health={r.health} reason={r.healthReason} />
                    {r.expires ? (
                      <span class="sub">
                        expires <Time at={r.expires} />
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <nav class="pager" aria-label="Pages of repositories">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={!data?.next} onClick={() => data?.next && setCursors((c) => [...c, data.next])}>
          Next page
        </button>
      </nav>
    </section>
  );
}
