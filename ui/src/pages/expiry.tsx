/** Expiry: what expires when (timeline and table), the ones inside the warning window highlighted. */
import { useEffect, useState } from 'preact/hooks';
import type { DashboardSession, ExpiryPage as Page } from '../../../src/app/dashboard/dashboard-api.js';
import { query } from '../api-paths.js';
import { ErrorBox, Gun, Indexing, Time } from '../format.js';
import { useJson } from '../hooks.js';
import { Link } from '../router.js';
import { repositoryHref } from '../routes.js';

type Chart = (typeof import('./expiry-chart.js'))['ExpiryChart'];

const PAGE_SIZE = 100;
const CHART_LIMIT = 500; // the API's largest page

export function ExpiryPage({ session }: { session: DashboardSession }) {
  // the chart library loads with this page only, not with the dashboard's first page
  const [ExpiryChart, setExpiryChart] = useState<Chart>();
  useEffect(() => {
    void import('./expiry-chart.js').then((m) => setExpiryChart(() => m.ExpiryChart));
  }, []);
  const windows = [...new Set([session.warnDays, 30, 90, 365])].sort((a, b) => a - b);
  const [within, setWithin] = useState<number | undefined>(90);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const indexing = (page: Page) => page.indexing !== undefined;
  const table = useJson<Page>(`/ui/api/expiry${query({ within, cursor, limit: PAGE_SIZE })}`, indexing);
  const chart = useJson<Page>(`/ui/api/expiry${query({ within, limit: CHART_LIMIT })}`, indexing);
  const first = (cursors.length - 1) * PAGE_SIZE;
  const counts = table.data?.counts;

  return (
    <section aria-labelledby="expiry-title">
      <h1 id="expiry-title">Expiry</h1>
      <form class="controls" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="expiry-within">Show what expires within</label>
          <select
            id="expiry-within"
            value={within === undefined ? 'all' : String(within)}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setWithin(v === 'all' ? undefined : Number(v));
              setCursors([undefined]);
            }}
          >
            {windows.map((d) => (
              <option key={d} value={String(d)}>
                {d} days{d === session.warnDays ? ' (warning window)' : ''}
              </option>
            ))}
            <option value="all">any time</option>
          </select>
        </div>
      </form>
      {counts ? (
        <p class="counts" data-testid="expiry-counts" aria-live="polite">
          <span class="health health-expired">{counts.expired} expired</span>{' '}
          <span class="health health-expiring">{counts.expiring} expiring</span> within {session.warnDays} days,{' '}
          <span class="health health-ok">{counts.ok} ok</span>
        </p>
      ) : null}
      <Indexing progress={table.data?.indexing} />
      {table.error ? <ErrorBox error={table.error} /> : chart.error ? <ErrorBox error={chart.error} /> : null}
      {ExpiryChart && chart.data && chart.data.items.length > 0 ? (
        <>
          <ExpiryChart items={chart.data.items} warnDays={session.warnDays} />
          {chart.data.total > chart.data.items.length ? (
            <p class="muted">
              The timeline shows the {chart.data.items.length} soonest of {chart.data.total}.
            </p>
          ) : null}
        </>
      ) : null}
      {table.data ? (
        table.data.items.length === 0 ? (
          <p>Nothing expires in this window.</p>
        ) : (
          <div class="table-wrap">
            <table data-testid="expiry-table">
              <caption class="visually-hidden">
                Items {first + 1} to {first + table.data.items.length} of {table.data.total}, soonest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Expires</th>
                  <th scope="col">Status</th>
                  <th scope="col">Repository</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Name</th>
                </tr>
              </thead>
              <tbody>
                {table.data.items.map((i) => (
                  <tr
                    key={`${i.gun} ${i.kind} ${i.name}`}
                    class={i.status}
                    data-testid="expiry-row"
                    data-status={i.status}
                    data-gun={i.gun}
                  >
                    <td data-label="Expires">
                      <Time at={i.expires} />
                    </td>
                    <td data-label="Status">
                      <span class={`health health-${i.status}`}>
                        <span aria-hidden="true">{i.status === 'ok' ? '✓ ' : i.status === 'expiring' ? '! ' : '✕ '}</span>
                        {i.status}
                      </span>
                      {i.renewedByServer ? <span class="renewed"> (renewed by the server)</span> : null}
                    </td>
                    <th scope="row" data-label="Repository">
                      <Link href={repositoryHref(i.gun)}>
                        <Gun gun={i.gun} />
                      </Link>
                    </th>
                    <td data-label="Kind">{i.kind}</td>
                    <td data-label="Name">
                      <code>{i.name}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : table.loading ? (
        <p aria-busy="true">Loading…</p>
      ) : null}
      <nav class="pager" aria-label="Pages of expiry items">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={!table.data?.next} onClick={() => table.data?.next && setCursors((c) => [...c, table.data?.next])}>
          Next page
        </button>
      </nav>
    </section>
  );
}
