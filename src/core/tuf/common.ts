/** Members every role shares (notary `SignedCommon`) and notary's default expiry periods. */
import { GoTime } from '../go-time.js';
import { asInteger, asObject, asString, invalid, type JsonRecord } from './json-reader.js';

export const ROLE_TYPES = { root: 'Root', targets: 'Targets', snapshot: 'Snapshot', timestamp: 'Timestamp' } as const;
export type RoleKind = keyof typeof ROLE_TYPES;

const DAY_MS = 24 * 3600 * 1000;
const YEAR_MS = 365 * DAY_MS;

/** notary's NotaryDefaultExpiries: root 10 years, targets and snapshot 3 years, timestamp 14 days. */
export const DEFAULT_EXPIRY_MS: Record<RoleKind, number> = {
  root: 10 * YEAR_MS,
  targets: 3 * YEAR_MS,
  snapshot: 3 * YEAR_MS,
  timestamp: 14 * DAY_MS,
};

export function defaultExpires(kind: RoleKind, now: Date): GoTime {
  return GoTime.fromEpochMs(now.getTime() + DEFAULT_EXPIRY_MS[kind]);
}

export interface SignedCommon {
  version: number;
  expires: GoTime;
}

export function commonFromJSON(v: unknown, kind: RoleKind, role: string): SignedCommon & { obj: JsonRecord } {
  const obj = asObject(v, role);
  const type = asString(obj['_type'], `${role}._type`);
  if (type !== ROLE_TYPES[kind]) {
    throw invalid(role, `${role} type metadata invalid: expected type ${ROLE_TYPES[kind]}, not ${type}`);
  }
  const version = asInteger(obj['version'], `${role}.version`);
  if (version < 1) throw invalid(role, `${role} version cannot be less than 1`);
  let expires: GoTime;
  try {
    expires = GoTime.parse(asString(obj['expires'], `${role}.expires`));
  } catch (err) {
    throw invalid(`${role}.expires`, (err as Error).message);
  }
  return { version, expires, obj };
}
