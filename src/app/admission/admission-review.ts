/**
 * Kubernetes `AdmissionReview` (`admission.k8s.io/v1`) as the API server sends it to a webhook
 * and as the webhook answers. The body comes from the network: it is size-limited, parsed and
 * checked field by field before anything reads it, and refused with a message that says what is
 * wrong (`ADMISSION_BODY_TOO_LARGE`, `ADMISSION_REVIEW_INVALID`).
 */
import { DctError } from '../../core/errors.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';
/** An object is at most ~1.5 MiB in etcd; a review carries the object and the old one, and more around them. */
export const DEFAULT_MAX_REVIEW_BYTES = 6 * 1024 * 1024;

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
}

/** The request half of an AdmissionReview, checked. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: GroupVersionResource;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  /** the object as it will be stored (CREATE, UPDATE), null otherwise */
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
  dryRun: boolean;
}

export interface AdmissionStatus {
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: 'Forbidden' | 'BadRequest' | 'InternalError';
  code: number;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  /** base64 of a JSON Patch (RFC 6902) */
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: string;
  kind: string;
  response: AdmissionResponse;
}

export interface AdmissionReview {
  apiVersion: string;
  kind: string;
  request: AdmissionRequest;
}

const invalid = (message: string): DctError =>
  new DctError('ADMISSION_REVIEW_INVALID', `not an AdmissionReview ${ADMISSION_API_VERSION} request: ${message}`);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks a review request body (JSON, at most `maxBytes`). Throws a DctError saying what is wrong. */
export function parseAdmissionReview(body: Uint8Array | string, maxBytes = DEFAULT_MAX_REVIEW_BYTES): AdmissionReview {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size > maxBytes) {
    throw new DctError('ADMISSION_BODY_TOO_LARGE', `the AdmissionReview is ${size} bytes, more than the limit of ${maxBytes} bytes`);
  }
  if (size === 0) throw invalid('the body is empty');
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body));
  } catch (err) {
    throw invalid(`the body is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(value)) throw invalid('the body is not a JSON object');
  if (value.kind !== ADMISSION_KIND) throw invalid(`kind is ${JSON.stringify(value.kind)}, not "${ADMISSION_KIND}"`);
  if (value.apiVersion !== ADMISSION_API_VERSION) {
    throw invalid(
      `apiVersion is ${JSON.stringify(value.apiVersion)}: dct answers ${ADMISSION_API_VERSION} only (set admissionReviewVersions: ["v1"] in the webhook configuration)`,
    );
  }
  const r = value.request;
  if (!isRecord(r)) throw invalid('"request" is missing or not an object');
  const uid = r.uid;
  if (typeof uid !== 'string' || uid === '' || uid.length > 256) throw invalid('request.uid must be a non-empty string');
  const kind = groupVersion(r.kind, 'kind');
  const resource = r.resource === undefined ? undefined : groupVersionResource(r.resource);
  const operation = r.operation;
  if (typeof operation !== 'string' || !(OPERATIONS as readonly string[]).includes(operation)) {
    throw invalid(`request.operation must be one of ${OPERATIONS.join(', ')}, not ${JSON.stringify(operation)}`);
  }
  const object = optionalObject(r.object, 'object');
  const oldObject = optionalObject(r.oldObject, 'oldObject');
  if ((operation === 'CREATE' || operation === 'UPDATE') && object === null) throw invalid(`request.object is missing for ${operation}`);
  if (r.dryRun !== undefined && r.dryRun !== null && typeof r.dryRun !== 'boolean') throw invalid('request.dryRun must be a boolean');
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: ADMISSION_KIND,
    request: {
      uid,
      kind,
      ...(resource ? { resource } : {}),
      ...optionalString(r, 'subResource'),
      ...optionalString(r, 'name'),
      ...optionalString(r, 'namespace'),
      operation: operation as Operation,
      userInfo: userInfo(r.userInfo),
      object,
      oldObject,
      dryRun: r.dryRun === true,
    },
  };
}

/** The response to a review: `uid` is the request's, `apiVersion` and `kind` echo the request's. */
export function reviewResponse(review: AdmissionReview, response: Omit<AdmissionResponse, 'uid'>): AdmissionReviewResponse {
  return { apiVersion: review.apiVersion, kind: review.kind, response: { uid: review.request.uid, ...response } };
}

export function denialStatus(message: string, code = 403): AdmissionStatus {
  return {
    metadata: {},
    status: 'Failure',
    message,
    reason: code === 400 ? 'BadRequest' : code >= 500 ? 'InternalError' : 'Forbidden',
    code,
  };
}

function groupVersion(v: unknown, field: string): GroupVersionKind {
  if (!isRecord(v)) throw invalid(`request.${field} must be an object {group, version, kind}`);
  const { group = '', version, kind } = v;
  if (typeof group !== 'string' || typeof version !== 'string' || typeof kind !== 'string' || kind === '') {
    throw invalid(`request.${field} must have string group, version and kind`);
  }
  return { group, version, kind };
}

function groupVersionResource(v: unknown): GroupVersionResource {
  if (!isRecord(v)) throw invalid('request.resource must be an object {group, version, resource}');
  const { group = '', version, resource } = v;
  if (typeof group !== 'string' || typeof version !== 'string' || typeof resource !== 'string') {
    throw invalid('request.resource must have string group, version and resource');
  }
  return { group, version, resource };
}

function optionalObject(v: unknown, field: string): Record<string, unknown> | null {
  if (v === undefined || v === null) return null;
  if (!isRecord(v)) throw invalid(`request.${field} must be an object`);
  return v;
}

function optionalString(r: Record<string, unknown>, field: 'subResource' | 'name' | 'namespace'): Partial<Record<typeof field, string>> {
  const v = r[field];
  if (v === undefined || v === null || v === '') return {};
  if (typeof v !== 'string') throw invalid(`request.${field} must be a string`);
  return { [field]: v };
}

function userInfo(v: unknown): UserInfo {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) throw invalid('request.userInfo must be an object');
  const out: UserInfo = {};
  if (typeof v.username === 'string') out.username = v.username;
  if (typeof v.uid === 'string') out.uid = v.uid;
  if (Array.isArray(v.groups)) out.groups = v.groups.filter((g): g is string => typeof g === 'string');
  return out;
}
