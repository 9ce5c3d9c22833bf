/**
 * Tag → digest pinning of admitted images: `name:tag` becomes `name:tag@sha256:<verified digest>`
 * (the tag stays for people; the runtime pulls by digest), as a JSON Patch (RFC 6902) `replace`
 * of the container's `image` field. Only a verified decision pins: `allow` under `enforce`, or a
 * `warn`/`audit` rule whose requirements held.
 */
import { parseImageReference } from '../../core/image-reference.js';
import type { ImageDecision } from '../../core/policy/decision.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface ReplaceOperation {
  op: 'replace';
  path: string;
  value: string;
}

export type Pinning =
  /** write `value` in place of the image */
  | { kind: 'pin'; value: string }
  /** already pinned to the decided digest */
  | { kind: 'pinned' }
  /** the reference pins another digest than the one decided: refuse */
  | { kind: 'mismatch'; pinned: string; decided: string }
  /** nothing verified to pin to */
  | { kind: 'none' };

/** The digest a decision verified, when it verified one. */
export function verifiedDigest(decision: ImageDecision): string | undefined {
  if (decision.verdict !== 'allow' || decision.digest === undefined || !DIGEST.test(decision.digest)) return undefined;
  const verified = decision.mode === 'enforce' || decision.requirements?.satisfied === true;
  return verified ? decision.digest : undefined;
}

/** The digest a reference pins, if any (undefined for a reference that does not parse). */
export function pinnedDigest(image: string): string | undefined {
  try {
    return parseImageReference(image).digest;
  } catch {
    return undefined;
  }
}

export function pinning(image: string, decision: ImageDecision): Pinning {
  const pinned = pinnedDigest(image);
  const decided = verifiedDigest(decision);
  if (pinned !== undefined) {
    if (decision.digest !== undefined && decision.digest !== pinned) return { kind: 'mismatch', pinned, decided: decision.digest };
    return { kind: 'pinned' };
  }
  if (decided === undefined) return { kind: 'none' };
  return { kind: 'pin', value: `${image}@${decided}` };
}

/** base64 of the JSON Patch, as `AdmissionResponse.patch` carries it. */
export function encodePatch(ops: readonly ReplaceOperation[]): string {
  return Buffer.from(JSON.stringify(ops), 'utf8').toString('base64');
}
