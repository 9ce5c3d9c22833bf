/** Decisions: the audit feed (allowed, warned, denied by rule and image), filterable, following new records live. */
import { useEffect, useState } from 'preact/hooks';
import type { DecisionPage } from '../../../src/app/dashboard/dashboard-api.js';
import type { AuditRecord } from '../../../src/core/policy/audit-record.js';
import { getJson } from '../api.js';
import { query } from '../api-paths.js';
import { followEvents, type StreamState } from '../event-stream.js';
import { ErrorBox, Time } from '../format.js';
import { shortDigest } from '../short-digest.js';
import { useDebounced } from '../hooks.js';

const POINTS = ['admission', 'registry', 'verify', 'pull', 'pin', 'docker'] as const;
/** records kept on the page (the newest; older ones drop off as new ones come) */
const SHOWN = 1000;
const PAGE = 50;

type Outcome = 'allowed' | 'warned' | 'denied';

/** A deny let through (warn or audit mode) is "warned". */
function outcomeOf(r: AuditRecord): Outcome {
  return r.verdict === 'allow' ? 'allowed' : r.admitted ? 'warned' : 'denied';
}

const STATE_TEXT: Record<StreamState, string> = {
  connecting: 'connecting…',
  live: 'live',
  retrying: 'reconnecting…',
  stopped: 'not following (no access)',
};

export function DecisionsPage() {
  const [verdict, setVerdict] = useState('');
  const [point, setPoint] = useState('');
  const [image, setImage] = useState('');
  const settledImage = useDebounced(image.trim(), 300);
  const [records, setRecords] = useState<AuditRecord[]>([]);
  const [error, setError] = useState<unknown>();
  const [state, setState] = useState<StreamState>('connecting');
  // whether the feed may hold records older than the oldest shown
  const [older, setOlder] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const filter = { verdict, point, image: settledImage };

  const merge = (more: AuditRecord[]) =>
    setRecords((old) => {
      const byId = new Map<number | string, AuditRecord>();
      for (const r of [...more, ...old]) byId.set(r.id ?? `${r.at} ${r.image}`, r);
      return [...byId.values()].sort((a, b) => (b.id ?? 0) - (a.id ?? 0)).slice(0, SHOWN);
    });

  const loadOlder = async () => {
    const oldest = records[records.length - 1]?.id;
    if (oldest === undefined) return;
    setLoadingOlder(true);
    try {
      const page = await getJson<DecisionPage>(`/ui/api/decisions${query({ ...filter, change_id: oldest, records: -PAGE })}`);
      merge(page.records);
      setOlder(page.records.length === PAGE);
    } catch (e) {
      setError(e);
    } finally {
      setLoadingOlder(false);
    }
  };

  useEffect(() => {
    const ctl = new AbortController();
    setRecords([]);
    setError(undefined);
    setOlder(false);
    void (async () => {
      let from = -1;
      try {
        const page = await getJson<DecisionPage>(`/ui/api/decisions${query({ ...filter, change_id: -1, records: -PAGE })}`, ctl.signal);
        merge(page.records);
        setOlder(page.records.length === PAGE);
        from = Math.max(0, ...page.records.map((r) => r.id ?? 0));
      } catch (e) {
        if (ctl.signal.aborted) return;
        setError(e);
        setState('stopped');
        return;
      }
      await followEvents(
        `/ui/api/decisions${query({ ...filter, change_id: from })}`,
        (e) => {
          try {
            merge([JSON.parse(e.data) as AuditRecord]);
          } catch {
            // not a record (a future event type): skipped
          }
        },
        setState,
        ctl.signal,
      );
    })();
    return () => ctl.abort();
  }, [verdict, point, settledImage]);

  return (
    <section aria-labelledby="decisions-title">
      <h1 id="decisions-title">Decisions</h1>
      <form class="controls" onSubmit={(e) => e.preventDefault()} aria-label="Filter decisions">
        <div class="field">
          <label for="dec-verdict">Verdict</label>
          <select id="dec-verdict" value={verdict} onChange={(e) => setVerdict(e.currentTarget.value)}>
            <option value="">all</option>
            <option value="allow">allow</option>
            <option value="deny">deny (denied or warned)</option>
          </select>
        </div>
        <div class="field">
          <label for="dec-point">Enforcement point</label>
          <select id="dec-point" value={point} onChange={(e) => setPoint(e.currentTarget.value)}>
            <option value="">all</option>
            {POINTS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="dec-image">Image</label>
          <input id="dec-image" type="search" value={image} onInput={(e) => setImage(e.currentTarget.value)} />
        </div>
      </form>
      <p class="stream" data-testid="stream-state">
        Feed: <span class={`stream-${state}`}>{STATE_TEXT[state]}</span>
      </p>
      {error ? <ErrorBox error={error} /> : null}
      <div role="log" aria-label="Decisions, newest first" data-testid="decisions">
        <ol class="feed">
          {records.length === 0 && !error ? <li class="muted">No decisions yet.</li> : null}
          {records.map((r) => (
            <Decision key={r.id} record={r} />
          ))}
        </ol>
      </div>
      {older ? (
        <p>
          <button type="button" disabled={loadingOlder} onClick={() => void loadOlder()}>
            {loadingOlder ? 'Loading…' : 'Older decisions'}
          </button>
        </p>
      ) : null}
    </section>
  );
}

function Decision({ record: r }: { record: AuditRecord }) {
  const outcome = outcomeOf(r);
  const who = r.actor.user ?? r.actor.address ?? r.actor.host;
  return (
    <li class={`decision ${outcome}`} data-testid="decision" data-verdict={outcome} data-id={r.id}>
      <p class="line">
        <strong class={`outcome outcome-${outcome}`}>{outcome}</strong> <code class="image">{r.image}</code>
      </p>
      <p class="meta">
        <Time at={r.at} /> · {r.point} · rule {r.rule ? <code>{r.rule}</code> : <em>none matched</em>} · mode {r.mode}
        {who ? ` · by ${who}` : ''}
        {r.digest ? (
          <>
            {' '}
            · <code title={r.digest}>{shortDigest(r.digest)}</code>
          </>
        ) : null}
      </p>
      {r.reasons.length ? (
        <ul class="reasons">
          {r.reasons.map((x, i) => (
            <li key={i}>{x}</li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}
