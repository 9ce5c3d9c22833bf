/**
 * `dct pin FILE… --policy FILE` (or `DCT_POLICY`): each reference decided by the trust policy
 * instead of DCT alone, and pinned to the digest decided about.
 * - `name[:tag]`: pinned to `name:tag@<decided digest>`;
 * - `name:tag@sha256:…`: the tag decided again (`name:tag`); a pin to another digest is stale
 *   (an error, re-pinned with `--update`);
 * - `name@sha256:…`: that digest decided; verified when allowed.
 * A denied reference fails its file (POLICY_DENIED, the reasons), as an unsigned one does
 * without a policy; every decision goes to the audit feed (`--audit`).
 */
import type { FoundReference } from '../../../app/images/found-reference.js';
import { pinnedForm, splitWritten, type Replacement } from '../../../app/images/pin-files.js';
import { parseReference } from '../../../app/images/trust-resolver.js';
import { CliFailure } from '../../cli-failure.js';
import { failureJson, resolutionFailure } from '../../docker-trust/trust-resolution.js';
import { deniedFailure, type PolicyEnforcement } from '../../policy-enforcement.js';
import type { PinnedReference } from './pinned-reference.js';

export async function pinReferenceByPolicy(
  f: FoundReference,
  enforcement: PolicyEnforcement,
  update: boolean,
  replacements: Replacement[],
): Promise<PinnedReference> {
  const base = { line: f.line, column: f.column, original: f.text };
  try {
    const ref = parseReference(f.text);
    const written = splitWritten(f.text);
    // a tag pinned to a digest: what matters is the tag's digest now
    const asked = ref.digest !== undefined && written.tag !== undefined ? `${written.name}:${written.tag}` : f.text;
    const { decision, admitted, digest } = await enforcement.decide(asked);
    const policy = { rule: decision.rule ?? null, verdict: decision.verdict, mode: decision.mode };
    if (!admitted) throw deniedFailure(decision);
    if (digest === undefined) {
      throw new CliFailure(`the trust policy let ${f.text} through (mode ${decision.mode}), but decided no digest to pin it to`);
    }
    if (ref.digest !== undefined && written.tag === undefined) return { ...base, pinned: f.text, status: 'verified', digest, policy };
    const pinned = pinnedForm(f.text, digest.slice('sha256:'.length));
    if (ref.digest === undefined) {
      replacements.push({ start: f.start, end: f.end, text: pinned });
      return { ...base, pinned, status: 'pinned', digest, policy };
    }
    if (ref.digest === digest) return { ...base, pinned: f.text, status: 'verified', digest, policy };
    if (!update) {
      throw new CliFailure(`pinned to ${ref.digest}, but the trust policy decided ${asked} is ${digest} (--update re-pins it)`, {
        code: 'DIGEST_MISMATCH',
      });
    }
    replacements.push({ start: f.start, end: f.end, text: pinned });
    return { ...base, pinned, status: 'updated', digest, policy };
  } catch (err) {
    return { ...base, pinned: null, status: 'failed', error: failureJson(resolutionFailure(err)) };
  }
}
