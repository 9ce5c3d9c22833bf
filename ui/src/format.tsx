/** Small views shared by the pages: times (relative-time.ts), format badges, health text, GUNs. */
import { Fragment } from 'preact';
import type { IndexingProgress, MetadataHealth, SignatureFormat } from '../../src/app/dashboard/dashboard-api.js';
import { relative } from './relative-time.js';

/** A `<time>` showing the relative time, the exact UTC time as its title and datetime. */
export function Time({ at }: { at: string | undefined }) {
  if (!at) return <span>—</span>;
  return (
    <time dateTime={at} title={at}>
      {relative(at)}
    </time>
  );
}

const FORMAT_LABEL: Record<SignatureFormat, string> = { dct: 'DCT', cosign: 'cosign', notation: 'Notation' };

export function Formats({ formats }: { formats: readonly SignatureFormat[] }) {
  if (formats.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="badges" aria-label="signature formats">
      {formats.map((f) => (
        <li key={f} class={`badge badge-${f}`} data-testid={`format-${f}`}>
          {FORMAT_LABEL[f]}
        </li>
      ))}
    </ul>
  );
}

const HEALTH_TEXT: Record<MetadataHealth, string> = { ok: 'ok', expiring: 'expiring', expired: 'expired', invalid: 'invalid' };

/** Health as words and an icon-like mark, never as colour alone. */
export function Health({ health, reason }: { health: MetadataHealth | 'ok'; reason?: string | undefined }) {
  const mark = health === 'ok' ? '✓' : health === 'expiring' ? '!' : '✕';
  return (
    <span class={`health health-${health}`} data-testid="health" title={reason}>
      <span aria-hidden="true">{mark} </span>
      {HEALTH_TEXT[health]}
      {reason && health !== 'ok' ? <span class="reason">: {reason}</span> : null}
    </span>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" class="error">
      {msg}
    </p>
  );
}

/** While the server builds its repository index (first use of the dashboard): what is shown is partial. */
export function Indexing({ progress }: { progress: IndexingProgress | undefined }) {
  if (!progress) return null;
  return (
    <p role="status" class="indexing" data-testid="indexing">
      The server is indexing its repositories ({progress.repositories} read so far): this list is partial and fills in by itself.
    </p>
  );
}

/** A GUN that may wrap after its slashes on a narrow screen (and nowhere else while it fits). */
export function Gun({ gun }: { gun: string }) {
  const parts = gun.split('/');
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 ? (
            <>
              /<wbr />
            </>
          ) : null}
        </Fragment>
      ))}
    </>
  );
}
