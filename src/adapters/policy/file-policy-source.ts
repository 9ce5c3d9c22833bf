/**
 * The policy file as a `PolicySource`: loaded on first use, and loaded again when the file
 * changes (its modification time or size), so a long-running enforcement point (the admission
 * webhook) follows edits of a mounted ConfigMap. A file that no longer loads throws (the
 * decider then denies: fail closed) until it is fixed.
 */
import { stat } from 'node:fs/promises';
import { DctError } from '../../core/errors.js';
import type { PolicySource } from '../../core/policy/policy-source.js';
import type { TrustPolicy } from '../../core/policy/trust-policy.js';
import { loadPolicyFile } from './policy-file.js';

export class FilePolicySource implements PolicySource {
  private loaded: { stamp: string; policy: Promise<TrustPolicy> } | undefined;

  constructor(readonly file: string) {}

  async current(): Promise<TrustPolicy> {
    let stamp: string;
    try {
      const info = await stat(this.file);
      stamp = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch (err) {
      throw new DctError('POLICY_FILE_UNREADABLE', `cannot read the policy file ${this.file}: ${(err as Error).message}`);
    }
    if (this.loaded?.stamp !== stamp) this.loaded = { stamp, policy: loadPolicyFile(this.file).then((l) => l.policy) };
    return this.loaded.policy;
  }
}
