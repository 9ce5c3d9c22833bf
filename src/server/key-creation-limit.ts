/**
 * Limits on server key creation. `GET …/{timestamp,snapshot}.key` of a
 * repository whose root holds no server key asks the key service for a key:
 * a pending one of the repository (notary-signer hands the same unused key
 * out again), or a new one, generated and scrypt-encrypted — work a client
 * could otherwise request for any number of new GUNs. So each such request
 * counts as a write of its client (the per-client write limit), and at most
 * a few creations run at once with a bounded queue behind them (scrypt runs
 * on libuv's thread pool, which file reads of the registry share); beyond
 * that the answer is 429 TOO_MANY_REQUESTS.
 */
import type { PublicKey } from '../core/keys/public-key.js';
import type { KeyService } from '../core/ports.js';
import { ApiError } from './api-errors.js';

const tooMany = (): ApiError => new ApiError('TOO_MANY_REQUESTS', undefined, undefined, { 'Retry-After': '1' });

/** At most `concurrent` creations at once, `queued` more waiting; the rest refused. */
export class KeyCreationGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrent = 2,
    private readonly queued = 16,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrent) {
      if (this.waiting.length >= this.queued) throw tooMany();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await work();
    } finally {
      // the place passes to the next in line, or frees up
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * The key service as one request may use it: `createKey` first counts as a
 * write of the client (`countWrite` false → 429) and then waits its turn at the gate.
 */
export function limitKeyCreation(keys: KeyService, gate: KeyCreationGate, countWrite?: () => boolean): KeyService {
  return {
    createKey(gun: string, role: 'timestamp' | 'snapshot', algorithm?: string): Promise<PublicKey> {
      if (countWrite && !countWrite()) return Promise.reject(tooMany());
      return gate.run(() => keys.createKey(gun, role, algorithm));
    },
    getKey: (keyId) => keys.getKey(keyId),
    signer: (keyId) => keys.signer(keyId),
  };
}
