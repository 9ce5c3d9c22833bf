/**
 * The port to cosign's key files and key cryptography (implemented by
 * `src/adapters/cosign/cosign-key-codec.ts`): read and write the files, generate a key pair,
 * check a raw signature.
 */
import type { KeyObject } from 'node:crypto';

export interface CosignKeyCodec {
  /** a new ECDSA P-256 private key */
  generate(): KeyObject;
  /** whether the key file is encrypted (needs a password) */
  isEncrypted(pem: string | Buffer): boolean;
  readPrivate(pem: string | Buffer, password: string): KeyObject;
  readPublic(bytes: string | Buffer): KeyObject;
  /** PEM `ENCRYPTED SIGSTORE PRIVATE KEY` */
  writePrivate(key: KeyObject, password: string): string;
  /** PEM SubjectPublicKeyInfo */
  writePublic(key: KeyObject): string;
  /** the signature over `bytes` with the key's algorithm (false for a wrong or malformed signature) */
  verifySignature(publicKey: KeyObject, bytes: Uint8Array, signature: Uint8Array): boolean;
}

/** Returns the password; `confirm`: a new password (asked twice on a terminal). */
export type PasswordSource = (confirm: boolean) => Promise<string>;
