/**
 * cosign's simple-signing payload (`application/vnd.dev.cosign.simplesigning.v1+json`,
 * containers/image's "atomic container signature" with cosign's type): what a legacy
 * cosign image signature signs. Written byte for byte as cosign writes it, read as Go
 * reads it (field names without regard to case).
 */
import { DctError } from '../errors.js';
import { goJson, sortedMap } from './go-json.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  /** `critical.identity.docker-reference` (cosign writes the repository; verifiers ignore it) */
  dockerReference: string;
  /** `critical.image.docker-manifest-digest` */
  digest: string;
  /** `critical.type` */
  type: string;
  /** `optional`: the signer's annotations (`-a key=value`), or null */
  optional: Record<string, unknown> | null;
}

/** The payload cosign signs for `digest` in `dockerReference` (`host/repo`), with `-a` annotations. */
export function simpleSigningPayload(dockerReference: string, digest: string, annotations?: Readonly<Record<string, unknown>>): Buffer {
  const optional = annotations && Object.keys(annotations).length > 0 ? sortedMap(annotations) : null;
  return Buffer.from(
    goJson({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': digest },
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional,
    }),
    'utf8',
  );
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A member as Go's decoder finds it: exact name first, else the first name equal without regard to case. */
function member(o: Json, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function optionalObject(o: Json, name: string, where: string): Json {
  const v = member(o, name);
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw bad(`${where}${name} is not an object`);
  return v;
}

function optionalString(o: Json, name: string, where: string): string {
  const v = member(o, name);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(`${where}${name} is not a string`);
  return v;
}

function bad(why: string): DctError {
  return new DctError('COSIGN_INVALID_PAYLOAD', `the simple-signing payload is malformed: ${why}`);
}

/** Reads a simple-signing payload. COSIGN_INVALID_PAYLOAD when it is not JSON of that shape. */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new DctError('COSIGN_INVALID_PAYLOAD', `the simple-signing payload is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw bad('not a JSON object');
  const critical = optionalObject(doc, 'critical', '');
  const identity = optionalObject(critical, 'identity', 'critical.');
  const image = optionalObject(critical, 'image', 'critical.');
  const optional = member(doc, 'optional');
  if (optional !== undefined && optional !== null && !isObject(optional)) throw bad('optional is not an object');
  return {
    dockerReference: optionalString(identity, 'docker-reference', 'critical.identity.'),
    digest: optionalString(image, 'docker-manifest-digest', 'critical.image.'),
    type: optionalString(critical, 'type', 'critical.'),
    optional: isObject(optional) ? optional : null,
  };
}

/**
 * Whether every wanted annotation is in the payload's optional section with the same value
 * (cosign's `-a` check on verify).
 */
export function hasAnnotations(
  optional: Readonly<Record<string, unknown>> | null | undefined,
  wanted: Readonly<Record<string, string>>,
): boolean {
  for (const [k, v] of Object.entries(wanted)) {
    const got = optional?.[k];
    if (got === undefined || goStringOf(got) !== v) return false;
  }
  return true;
}

function goStringOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
