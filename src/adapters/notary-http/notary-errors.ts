/**
 * The errors of the Notary client: notary's httpstore status mapping (404 → ErrMetaNotFound,
 * 400 → the server's code or ErrInvalidOperation, 401, anything else → ErrServerUnavailable),
 * with the decoded `errors[]` body and, for INVALID_UPDATE, the validation failure.
 */
import { DctError } from '../../core/errors.js';
import { isNotaryClientErrorCode, type NotaryClientErrorCode } from '../errors.js';
import { decodeErrorBody } from '../http/transport/error-body.js';

/** One entry of notary's `{"errors":[{code,message,detail}]}` body. */
export interface ServerErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** A decoded `INVALID_UPDATE` detail: `{"Name":"ErrBadTargets","Error":{"Msg":"…"}}`. */
export interface ValidationFailure {
  /** ErrBadRoot, ErrBadTargets, ErrBadSnapshot, ErrBadHierarchy, ErrValidation, … */
  name: string;
  msg: string;
  /** ErrBadHierarchy's missing role */
  missing?: string;
}

/**
 * An error from the server or the transport. `code` is the server's error code
 * for 400/401 responses that carry one (INVALID_UPDATE, VERSION, MALFORMED_JSON…),
 * METADATA_NOT_FOUND for every 404, else one of `NotaryClientErrorCode`.
 */
export class NotaryHttpError extends DctError {
  declare readonly code: NotaryClientErrorCode;

  constructor(
    code: NotaryClientErrorCode,
    message: string,
    readonly details: {
      status?: number;
      method?: string;
      url?: string;
      /** the decoded error body entries, if any */
      errors?: ServerErrorEntry[];
      validation?: ValidationFailure;
      cause?: unknown;
    } = {},
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get status(): number | undefined {
    return this.details.status;
  }

  /** The first server error entry's code, if the body had one. */
  get serverCode(): string | undefined {
    return this.details.errors?.[0]?.code;
  }
}

const UNAUTHORIZED_TEXT = 'you are not authorized to perform this operation: server returned 401.';

/** notary's wording of each validation failure (before its message) */
export const VALIDATION_TEXT: Readonly<Record<string, string>> = {
  ErrBadRoot: 'The root metadata is invalid:',
  ErrBadTargets: 'The targets metadata is invalid:',
  ErrBadSnapshot: 'The snapshot metadata is invalid:',
  ErrBadHierarchy: 'Metadata hierarchy is incomplete:',
  ErrValidation: 'An error occurred during validation:',
};

/** Maps a non-200 response to an error the way notary's httpstore does, keeping the decoded body. */
export function errorFromResponse(status: number, body: Buffer, method?: string, url?: string): NotaryHttpError {
  const errors = serverErrors(body);
  const first = errors?.[0];
  const base = { status, ...(method ? { method } : {}), ...(url ? { url } : {}), ...(errors ? { errors } : {}) };
  const where = method && url ? `${method} ${url}: ` : '';
  if (status === 404) {
    return new NotaryHttpError(
      'METADATA_NOT_FOUND',
      `${where}${first?.message ?? 'You have requested metadata that does not exist.'}`,
      base,
    );
  }
  if (status === 401) {
    return new NotaryHttpError('UNAUTHORIZED', `${where}${UNAUTHORIZED_TEXT}`, base);
  }
  if (status === 400) {
    // a code notary-server does not send reads as notary's ErrInvalidOperation (the message stays the server's)
    const code = first && isNotaryClientErrorCode(first.code) ? first.code : 'INVALID_OPERATION';
    const validation = first?.code === 'INVALID_UPDATE' ? decodeValidation(first.detail) : undefined;
    let message = first?.message ?? 'invalid operation';
    if (validation) {
      const prefix = VALIDATION_TEXT[validation.name];
      message = prefix ? `${prefix} ${validation.msg}` : `${validation.name}: ${validation.msg}`;
    }
    return new NotaryHttpError(code, `${where}${message}`, { ...base, ...(validation ? { validation } : {}) });
  }
  return new NotaryHttpError(
    'SERVER_UNAVAILABLE',
    `${where}unable to reach trust server at this time: ${status}${first ? ` (${first.code}: ${first.message})` : ''}`,
    base,
  );
}

/** The entries of notary's `errors[]` that carry a code; undefined when there are none. */
function serverErrors(body: Buffer): ServerErrorEntry[] | undefined {
  const out: ServerErrorEntry[] = [];
  for (const e of decodeErrorBody(body)) {
    if (e.code === undefined) continue;
    out.push({ code: e.code, message: e.message ?? '', ...(e.detail !== undefined ? { detail: e.detail } : {}) });
  }
  return out.length > 0 ? out : undefined;
}

function decodeValidation(detail: unknown): ValidationFailure | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const { Name, Error: inner } = detail as Record<string, unknown>;
  if (typeof Name !== 'string') return undefined;
  const fields = typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : {};
  const out: ValidationFailure = { name: Name, msg: typeof fields['Msg'] === 'string' ? fields['Msg'] : '' };
  if (typeof fields['Missing'] === 'string') out.missing = fields['Missing'];
  return out;
}
