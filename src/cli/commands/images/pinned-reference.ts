/** One image reference as `dct pin` left it: pinned, updated, verified, skipped or failed, and why. */
import type { SkipReason } from '../../../app/images/found-reference.js';

export type ReferenceStatus = 'pinned' | 'updated' | 'verified' | 'skipped' | 'failed';

export interface PinnedReference {
  line: number;
  column: number;
  original: string;
  /** the text written in its place (pinned, updated) or the verified reference */
  pinned: string | null;
  status: ReferenceStatus;
  digest?: string;
  role?: string;
  reason?: SkipReason;
  /** the trust policy's decision (--policy) */
  policy?: { rule: string | null; verdict: 'allow' | 'deny'; mode: string };
  error?: { code: string; message: string; hint?: string };
}
