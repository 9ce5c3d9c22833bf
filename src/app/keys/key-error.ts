/** Failures of the key use cases, with notary's wording as their messages. */
import { DctError } from '../../core/errors.js';

export type KeyErrorCode =
  /** a key file or PEM block that cannot be imported */
  | 'KEY_IMPORT_FAILED'
  | 'KEY_NOT_FOUND'
  /** a rotation notary does not permit (role, server- or client-managed) */
  | 'KEY_ROTATION_REFUSED'
  /** a passphrase could not be had */
  | 'PASSPHRASE_ATTEMPTS_EXCEEDED'
  | 'EMPTY_PASSPHRASE'
  /** a step failed because of another error (`step` says which; the cause is worded by the front end) */
  | 'KEY_STEP_FAILED';

export class KeyError extends DctError {
  declare readonly code: KeyErrorCode;
  /** for KEY_STEP_FAILED: the step, as in `unable to generate key` */
  readonly step: string | undefined;

  constructor(code: KeyErrorCode, message: string, options: { cause?: unknown; step?: string } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.step = options.step;
  }

  /** `<step>: <cause>` — front ends may word the cause their own way (`step` and `cause` are kept) */
  static step(step: string, cause: unknown): KeyError {
    const why = cause instanceof Error ? cause.message : String(cause);
    return new KeyError('KEY_STEP_FAILED', `${step}: ${why}`, { cause, step });
  }
}

export function isKeyError(err: unknown, code?: KeyErrorCode): err is KeyError {
  return err instanceof KeyError && (code === undefined || err.code === code);
}

export const ATTEMPTS_EXCEEDED = 'maximum number of passphrase attempts exceeded';
