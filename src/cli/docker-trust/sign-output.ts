/**
 * How `dct trust sign` and `dct push --sign` show the signing use case as docker
 * shows `trust sign` / `push` signing (spec §7.7, §7.10): its events as docker's
 * lines, its failures in docker's words (and a hint, or the JSON error document).
 */
import type { SignEvent } from '../../app/docker-trust/sign-tag.js';
import { SignFailure } from '../../app/docker-trust/sign-tag.js';
import { isDctError } from '../../core/errors.js';
import { CliFailure } from '../cli-failure.js';
import { errorJson, hintFor, notaryErrorMessage } from './docker-errors.js';
import { logrusWarning } from './go-text.js';
import { jsonOut, type TrustIo } from './io.js';

/** Docker's lines for the events of signing `image` (stdout lines left out in JSON mode). */
export function signEventPrinter(io: TrustIo, image: string, gun: string, json: boolean): (e: SignEvent) => void {
  const say = (t: string) => void (json ? undefined : io.out(t));
  return (e) => {
    switch (e.type) {
      case 'warning':
        io.err(logrusWarning(io.now(), e.message));
        break;
      case 'signer-created':
        say(`Created signer: ${e.signer}\n`);
        break;
      case 'initialized':
        say(e.withSigner ? `Finished initializing signed repository for ${image}\n` : `Finished initializing "${gun}"\n`);
        break;
      case 'signing':
        io.err(`Signing and pushing trust data for local image ${image}, may overwrite remote trust data\n`);
        say('Signing and pushing trust metadata\n');
        break;
      case 'resigning':
        say(`Signing and pushing trust metadata for ${image}\n`);
        break;
      case 'existing-signatures':
        say(`Existing signatures for tag ${e.tag} digest ${e.digest} from:\n${e.signers.join(', ')}\n`);
        break;
      case 'signed':
        say(`Successfully signed ${e.reference}\n`);
        break;
    }
  };
}

/** A failure of signing `image` (repository `gun`) as docker words it; the underlying error is the `cause`. */
export function signFailure(err: unknown, image: string, gun: string): CliFailure {
  if (err instanceof CliFailure) return err;
  let message = (err as Error)?.message ?? String(err);
  let cause = err;
  if (err instanceof SignFailure) {
    cause = err.cause;
    const text = (cause as Error | undefined)?.message ?? '';
    switch (err.step) {
      case 'digest-reference':
        return new CliFailure('cannot use a digest reference for IMAGE:TAG', { exitCode: 1 });
      case 'no-tag':
        return new CliFailure(`no tag specified for ${image}`, { exitCode: 1 });
      case 'read':
      case 'initialize':
        message = notaryErrorMessage(gun, cause);
        break;
      case 'add-signer':
        message = `could not add signer to repo: ${err.subject ?? ''}: ${text}`;
        break;
      case 'publish':
        message = `failed to sign ${err.subject ?? gun}: ${text}`;
        break;
    }
  }
  const hint = hintFor(cause, gun);
  return new CliFailure(message, { cause, ...(isDctError(cause) ? { code: cause.code } : {}), ...(hint ? { hint } : {}) });
}

/** The JSON error document of a signing failure. */
export function signFailureDocument(
  image: string,
  failure: CliFailure,
  gun: string,
): { image: string; error: ReturnType<typeof errorJson> } {
  return { image, error: errorJson(failure.cause, failure.message, gun) };
}

/** Prints a signing failure as docker does (and a hint on a terminal), or as the JSON error document; returns 1. */
export function reportSignFailure(io: TrustIo, json: boolean, image: string, failure: CliFailure, gun: string): number {
  if (json) jsonOut(io, signFailureDocument(image, failure, gun));
  else {
    io.err(`${failure.message}\n`);
    const hint = io.hints ? hintFor(failure.cause, gun) : undefined;
    if (hint) io.err(`hint: ${hint}\n`);
  }
  return 1;
}
