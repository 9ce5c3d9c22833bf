/**
 * Content digests (`algorithm:encoded`, OCI image spec "Digests"): parsed, computed over
 * raw bytes, and checked. sha256 is what dct writes; sha384 and sha512 are verified too.
 */
import { createHash, type Hash } from 'node:crypto';
import { ociError } from './oci-error.js';

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };
/** the OCI grammar: `algorithm ::= component (separator component)*`, `encoded ::= [a-zA-Z0-9=_-]+` */
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  /** lower-case hex */
  hex: string;
  /** `algorithm:hex` */
  digest: string;
}

export function isSupportedDigestAlgorithm(a: string): a is DigestAlgorithm {
  return Object.prototype.hasOwnProperty.call(HEX_LENGTH, a);
}

/**
 * `sha256:<64 hex>` (or sha384/sha512 with their lengths), lower-case hex only.
 * INVALID_DIGEST for a malformed string, UNSUPPORTED_DIGEST_ALGORITHM for a well-formed
 * one with another algorithm.
 */
export function parseDigest(s: string): ParsedDigest {
  if (typeof s !== 'string' || !GRAMMAR.test(s)) {
    throw ociError(
      'INVALID_DIGEST',
      `invalid digest ${JSON.stringify(typeof s === 'string' ? s.slice(0, 150) : s)}: expected algorithm:hex, e.g. sha256:<64 hex digits>`,
    );
  }
  const i = s.indexOf(':');
  const algorithm = s.slice(0, i);
  const hex = s.slice(i + 1);
  if (!isSupportedDigestAlgorithm(algorithm)) {
    throw ociError(
      'UNSUPPORTED_DIGEST_ALGORITHM',
      `unsupported digest algorithm ${JSON.stringify(algorithm.slice(0, 50))} (dct knows sha256, sha384 and sha512)`,
    );
  }
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[0-9a-f]+$/.test(hex)) {
    throw ociError(
      'INVALID_DIGEST',
      `invalid ${algorithm} digest ${JSON.stringify(s.slice(0, 150))}: expected ${HEX_LENGTH[algorithm]} lower-case hex digits`,
    );
  }
  return { algorithm, hex, digest: s };
}

/** Whether `s` is a digest dct can verify. */
export function isValidDigest(s: string): boolean {
  try {
    parseDigest(s);
    return true;
  } catch {
    return false;
  }
}

/** `sha256:<hex>` (or the given algorithm) of the bytes as they are. */
export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * An incremental digest with a byte count, for streams: `update` each chunk, `digest()`
 * at the end. `copy()` forks the state (e.g. to check a prefix while continuing).
 */
export class Digester {
  private constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly hash: Hash,
    private count: number,
  ) {}

  static create(algorithm: DigestAlgorithm = 'sha256'): Digester {
    return new Digester(algorithm, createHash(algorithm), 0);
  }

  /** A digester for the algorithm of `digest` (which is validated). */
  static for(digest: string): Digester {
    return Digester.create(parseDigest(digest).algorithm);
  }

  update(chunk: Uint8Array): this {
    this.hash.update(chunk);
    this.count += chunk.length;
    return this;
  }

  /** bytes hashed so far */
  get size(): number {
    return this.count;
  }

  /** `algorithm:hex` of everything so far (the digester stays usable). */
  digest(): string {
    return `${this.algorithm}:${this.hash.copy().digest('hex')}`;
  }

  copy(): Digester {
    return new Digester(this.algorithm, this.hash.copy(), this.count);
  }
}

/**
 * Checks bytes against an expected size and digest: SIZE_MISMATCH first (cheap), then
 * DIGEST_MISMATCH. `what` names the content in the message.
 */
export function verifyBytes(bytes: Uint8Array, expected: { digest: string; size?: number }, what = 'content'): void {
  const { algorithm } = parseDigest(expected.digest);
  if (expected.size !== undefined && bytes.length !== expected.size) {
    throw ociError('SIZE_MISMATCH', `${what} has ${bytes.length} bytes, not the ${expected.size} of ${expected.digest}`);
  }
  const got = digestOf(bytes, algorithm);
  if (got !== expected.digest) throw ociError('DIGEST_MISMATCH', `${what} hashes to ${got}, not to the expected ${expected.digest}`);
}

/** The same checks for a finished `Digester`. */
export function verifyDigester(d: Digester, expected: { digest: string; size?: number }, what = 'content'): void {
  if (expected.size !== undefined && d.size !== expected.size) {
    throw ociError('SIZE_MISMATCH', `${what} has ${d.size} bytes, not the ${expected.size} of ${expected.digest}`);
  }
  const got = d.digest();
  if (got !== expected.digest) throw ociError('DIGEST_MISMATCH', `${what} hashes to ${got}, not to the expected ${expected.digest}`);
}
