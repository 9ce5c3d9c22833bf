/**
 * Signatures already verified, to check the same bytes twice without a second signature
 * verification: a reader that verifies one repository twice (the dashboard verifies expired
 * data again as of an instant it was valid) passes one memo to both passes.
 *
 * Only a positive verdict is kept, and only for exactly the same inputs: the key's ID (the
 * hash of its content, computed, not the ID a signature claims), the method, every byte of the
 * signature and every byte of the message. A changed byte anywhere is a miss and is verified
 * again; a bad signature is never remembered. No I/O, no clock.
 */
import type { PublicKey } from '../keys/public-key.js';
import { verifySignature } from '../keys/signature.js';

interface Verified {
  sig: Buffer;
  message: Buffer;
}

export class VerifiedSignatures {
  /** key ID, method and signature (base64) → the messages it was verified over */
  private readonly verified = new Map<string, Verified[]>();
  private entries = 0;
  /** verifications answered from the memo, and those that verified a signature */
  hits = 0;
  misses = 0;

  /** @param maxEntries verdicts kept; past it, new ones are verified but not remembered */
  constructor(private readonly maxEntries = 256) {}

  /** `verifySignature`, answered from the memo when these exact inputs verified before. */
  verify(key: PublicKey, method: string, sig: Buffer, message: Buffer): boolean {
    const id = `${key.id}\u0000${method}\u0000${sig.toString('base64')}`;
    const seen = this.verified.get(id);
    if (seen?.some((v) => v.sig.equals(sig) && v.message.equals(message))) {
      this.hits++;
      return true;
    }
    this.misses++;
    if (!verifySignature(key, method, sig, message)) return false;
    if (this.entries < this.maxEntries) {
      // copies: the caller's buffers may be views of data that changes later
      const entry = { sig: Buffer.from(sig), message: Buffer.from(message) };
      if (seen) seen.push(entry);
      else this.verified.set(id, [entry]);
      this.entries++;
    }
    return true;
  }
}
