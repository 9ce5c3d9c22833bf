/**
 * The trust resolver of the images commands (`dct verify`, `dct pin`, `dct pull`,
 * `dct docker`), wired as `dct trust` wires its trust context (or over a trust bundle:
 * `--trust-bundle`, DCT_TRUST_BUNDLE), and its failures in
 * docker's words (`trust.NotaryError`) with dct's hints.
 */
import { ResolutionFailure, TrustResolver } from '../../app/images/trust-resolver.js';
import { isDctError } from '../../core/errors.js';
import { CliFailure } from '../cli-failure.js';
import { hintFor, notaryErrorMessage } from './docker-errors.js';
import { logrusWarning } from './go-text.js';
import type { TrustIo } from './io.js';
import { trustDataOpener } from './trust-data.js';

export function trustResolver(io: TrustIo): TrustResolver {
  return new TrustResolver({
    open: trustDataOpener(io),
    onWarning: (message) => io.err(logrusWarning(io.now(), message)),
  });
}

/** Any failure of resolving as a CliFailure: docker's wording for a repository's trust data, the DctError code, a hint. */
export function resolutionFailure(err: unknown): CliFailure {
  if (err instanceof CliFailure) return err;
  const f = err instanceof ResolutionFailure ? err : new ResolutionFailure(err);
  const message = f.gun !== undefined ? notaryErrorMessage(f.gun, f.cause) : f.message;
  const hint = resolutionHint(f);
  return new CliFailure(message, { cause: f.cause, code: f.code, ...(hint ? { hint } : {}) });
}

function resolutionHint(f: ResolutionFailure): string | undefined {
  if (f.gun !== undefined) return hintFor(f.cause, f.gun);
  const ref = f.reference;
  if (!ref) return undefined;
  if (isDctError(f.cause, 'DIGEST_NOT_SIGNED')) {
    return `sign a tag for it with \`dct trust sign ${ref.familiarName}:<tag>\`, or pin a signed tag (\`dct verify ${ref.familiarName}:<tag>\`)`;
  }
  if (isDctError(f.cause, 'NO_SIGNED_TAGS')) return hintFor(f.cause, ref.name);
  return undefined;
}

/** A failure as the images commands' JSON shows it (`code` always present, as before CliFailure). */
export function failureJson(f: CliFailure): { code: string; message: string; hint?: string } {
  return { code: f.code ?? 'ERROR', message: f.message, ...(f.hint ? { hint: f.hint } : {}) };
}
