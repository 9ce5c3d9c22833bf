/**
 * The one way a command fails. A command throws a CliFailure; the front end that
 * runs it (dct's own commands, the docker-trust grammar, the notary grammar) decides
 * how to print it — `Error: …` as docker does, `* fatal: …` as notary does, a JSON
 * object under `--format json` — and exits with `exitCode`.
 *
 * - `kind` says what failed: the user's input (`usage`), the operation (`failed`),
 *   or nothing left to print because the command already wrote its own output
 *   (`reported`, e.g. docker-exact multi-line errors).
 * - `code` is the stable DctError code underneath, when there is one (for scripts).
 * - `hint` names the fix, when dct knows it.
 */
export type CliFailureKind = 'usage' | 'failed' | 'reported';

export interface CliFailureOptions {
  kind?: CliFailureKind;
  exitCode?: number;
  code?: string;
  hint?: string;
  cause?: unknown;
}

export class CliFailure extends Error {
  readonly kind: CliFailureKind;
  readonly exitCode: number;
  readonly code: string | undefined;
  readonly hint: string | undefined;

  constructor(message: string, options: CliFailureOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliFailure';
    this.kind = options.kind ?? 'failed';
    this.exitCode = options.exitCode ?? 1;
    this.code = options.code;
    this.hint = options.hint;
  }

  /** A failure the command has already printed: only the exit code is left to give. */
  static reported(exitCode: number): CliFailure {
    return new CliFailure('', { kind: 'reported', exitCode });
  }

  /** A usage problem (bad flag, missing argument): printed as is, exit `exitCode` (default 1). */
  static usage(message: string, exitCode = 1): CliFailure {
    return new CliFailure(message, { kind: 'usage', exitCode });
  }

  toJSON(): { code?: string; message: string; hint?: string } {
    return { ...(this.code ? { code: this.code } : {}), message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export function isCliFailure(err: unknown, kind?: CliFailureKind): err is CliFailure {
  return err instanceof CliFailure && (kind === undefined || err.kind === kind);
}
