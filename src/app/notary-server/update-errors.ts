/**
 * The errors a notary-server update raises, with notary's codes and detail
 * shapes (spec §5.3, §5.4; `N:tuf/validation/errors.go`,
 * `N:server/handlers/default.go` atomicUpdateHandler).
 *
 * - `UpdateValidationError` → `INVALID_UPDATE` with the `SerializableError`
 *   detail: `{"Name":<kind>,"Error":{"Msg":…}}`; ErrBadHierarchy's Go struct
 *   has `Missing` *before* `Msg`: `{"Name":"ErrBadHierarchy","Error":{"Missing":"snapshot","Msg":…}}`.
 * - `invalidUpdate(msg)` → `INVALID_UPDATE` without detail: notary's answer for
 *   failures during validation that are not one of the five validation kinds
 *   (e.g. stored metadata that no longer loads).
 * - `malformedJson()` → `MALFORMED_JSON`, `invalidRole(role)` → `INVALID_ROLE`
 *   (detail: the role string).
 */
import { CoreError, DctError } from '../../core/errors.js';
import type { GoTime } from '../../core/go-time.js';

export type UpdateErrorKind = 'ErrBadRoot' | 'ErrBadTargets' | 'ErrBadSnapshot' | 'ErrBadHierarchy' | 'ErrValidation';

/** The `detail` member of notary's INVALID_UPDATE error, member order as Go writes it. */
export interface UpdateErrorDetail {
  Name: UpdateErrorKind;
  Error: { Missing?: string; Msg: string };
}

/** What notary's client prints for each kind (the Go `Error()` texts). */
const KIND_PREFIX: Record<UpdateErrorKind, string> = {
  ErrBadRoot: 'The root metadata is invalid: ',
  ErrBadTargets: 'The targets metadata is invalid: ',
  ErrBadSnapshot: 'The snapshot metadata is invalid: ',
  ErrBadHierarchy: 'Metadata hierarchy is incomplete: ',
  ErrValidation: 'An error occurred during validation: ',
};

const KINDS = Object.keys(KIND_PREFIX) as UpdateErrorKind[];

export class UpdateValidationError extends DctError {
  declare readonly code: 'INVALID_UPDATE';

  constructor(
    readonly kind: UpdateErrorKind,
    /** notary's `Msg`: the text that reaches clients inside `detail` */
    readonly msg: string,
    /** ErrBadHierarchy only: the role that is missing (`snapshot`) */
    readonly missing?: string,
    options?: { cause?: unknown },
  ) {
    super('INVALID_UPDATE', KIND_PREFIX[kind] + msg, options);
  }

  /** Exactly the JSON value notary puts in the error's `detail`. */
  detail(): UpdateErrorDetail {
    if (this.kind === 'ErrBadHierarchy') return { Name: this.kind, Error: { Missing: this.missing ?? '', Msg: this.msg } };
    return { Name: this.kind, Error: { Msg: this.msg } };
  }

  /** The error a client decodes from a 400's `detail` (notary `SerializableError.UnmarshalJSON`), if it is one. */
  static fromDetail(detail: unknown): UpdateValidationError | undefined {
    if (typeof detail !== 'object' || detail === null) return undefined;
    const { Name, Error: inner } = detail as { Name?: unknown; Error?: unknown };
    if (typeof Name !== 'string' || !(KINDS as string[]).includes(Name)) return undefined;
    const fields = typeof inner === 'object' && inner !== null ? (inner as { Msg?: unknown; Missing?: unknown }) : {};
    const msg = typeof fields.Msg === 'string' ? fields.Msg : '';
    const missing = typeof fields.Missing === 'string' ? fields.Missing : undefined;
    return new UpdateValidationError(Name as UpdateErrorKind, msg, Name === 'ErrBadHierarchy' ? missing : undefined);
  }
}

export const badRoot = (msg: string, cause?: unknown) => new UpdateValidationError('ErrBadRoot', msg, undefined, { cause });
export const badTargets = (msg: string, cause?: unknown) => new UpdateValidationError('ErrBadTargets', msg, undefined, { cause });
export const badSnapshot = (msg: string, cause?: unknown) => new UpdateValidationError('ErrBadSnapshot', msg, undefined, { cause });
export const badHierarchy = (missing: string, msg: string) => new UpdateValidationError('ErrBadHierarchy', msg, missing);
export const validationError = (msg: string, cause?: unknown) => new UpdateValidationError('ErrValidation', msg, undefined, { cause });

/** INVALID_UPDATE without detail: a failure during validation that is not a validation verdict. */
export function invalidUpdate(message: string, cause?: unknown): DctError {
  return new DctError('INVALID_UPDATE', message, { cause });
}

/** MALFORMED_JSON: an uploaded part is not a metadata envelope (§5.4 step 1). */
export function malformedJson(role: string, why: string, cause?: unknown): DctError {
  return new DctError('MALFORMED_JSON', `${role}: ${why}`, { cause });
}

/** INVALID_ROLE: an uploaded part names no valid role; notary's detail is the role string. */
export class InvalidRoleError extends DctError {
  declare readonly code: 'INVALID_ROLE';

  constructor(readonly role: string) {
    super('INVALID_ROLE', `${JSON.stringify(role)} is not a valid role`);
  }

  detail(): string {
    return this.role;
  }
}

export const invalidRole = (role: string) => new InvalidRoleError(role);

/**
 * The text notary's Go code would give for a core verification failure
 * (`N:tuf/signed/errors.go`, `verify.go`); other core messages pass through.
 */
export function notaryText(err: unknown): string {
  if (err instanceof CoreError) {
    switch (err.code) {
      case 'NO_SIGNATURES':
        return 'tuf: data has no signatures';
      case 'KEY_ID_MISMATCH':
        return 'key ID is not valid for key content';
      case 'INVALID_METADATA': {
        // core prefixes the field (`root: root type metadata invalid: …`); Go's text has no prefix
        const typeError = /^[^\s:]+: (\S+ type metadata invalid: [\s\S]*)$/.exec(err.message);
        return typeError ? (typeError[1] as string) : err.message;
      }
      default:
        return err.message;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * notary's `ErrExpired` text: `<role> expired at <Mon Jan 2 15:04:05 MST 2006>`,
 * the time in its own offset; Go names a zero offset `UTC` and others `-0500`.
 */
export function expiredText(role: string, expires: GoTime): string {
  const local = new Date(expires.epochMs + expires.offsetMinutes * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const abs = Math.abs(expires.offsetMinutes);
  const zone = expires.offsetMinutes === 0 ? 'UTC' : `${expires.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
  const when =
    `${DAYS[local.getUTCDay()]} ${MONTHS[local.getUTCMonth()]} ${local.getUTCDate()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${zone} ${local.getUTCFullYear()}`;
  return `${role} expired at ${when}`;
}
