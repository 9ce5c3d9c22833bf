/**
 * How `dct docker` turns an image argument into the `name@sha256:…` docker runs: the pinner.
 * - `dctPinner`: docker CLI 28's content trust (DOCKER_CONTENT_TRUST=1): a tag resolved
 *   through verified trust data; a digest reference passes as docker lets it.
 * - `policyPinner` (`--policy FILE` or DCT_POLICY): the trust policy decides every image, a
 *   digest reference too (`policy-enforcement.ts`), and the decided digest is the one run; a
 *   deny throws POLICY_DENIED before docker runs; `pull --all-tags` decides each released tag.
 */
import type { TrustResolver } from '../../../app/images/trust-resolver.js';
import type { ImageReference } from '../../../core/image-reference.js';
import { deniedFailure, type PolicyEnforcement } from '../../policy-enforcement.js';

export interface PinnedImage {
  /** the tag resolved (absent for a digest reference) */
  tag?: string;
  digest: string;
}

export interface ImagePinner {
  /** the digest `ref` (`written`: as the user wrote it) runs by; undefined: leave it as written */
  pin(ref: ImageReference, written: string): Promise<PinnedImage | undefined>;
  /** `pull --all-tags`: every released tag, each with the digest to pull */
  released(ref: ImageReference): Promise<Array<{ tag: string; digest: string }>>;
}

/** `name@sha256:…` in docker's familiar form (`reference.FamiliarString(trustedRef)`). */
export function trustedForm(ref: ImageReference, digest: string): string {
  return `${ref.familiarName}@${digest}`;
}

export function dctPinner(resolver: TrustResolver): ImagePinner {
  return {
    async pin(ref) {
      if (ref.digest !== undefined) return undefined; // docker lets a digest reference through
      const r = await resolver.resolveTag(ref);
      return { tag: r.tag, digest: r.digest };
    },
    async released(ref) {
      return (await resolver.released(ref)).map((t) => ({ tag: t.tag, digest: `sha256:${t.sha256Hex}` }));
    },
  };
}

export function policyPinner(enforcement: PolicyEnforcement, resolver: TrustResolver, command: string): ImagePinner {
  const decide = async (image: string): Promise<string | undefined> => {
    const { decision, admitted, digest } = await enforcement.decide(image, { command: `dct docker ${command}` });
    if (!admitted) throw deniedFailure(decision);
    return digest;
  };
  return {
    async pin(ref, written) {
      const digest = await decide(written);
      // a deny let through (warn, audit) without a digest: docker gets the reference as written
      if (digest === undefined) return undefined;
      return ref.digest !== undefined ? { digest } : { tag: ref.tag ?? 'latest', digest };
    },
    async released(ref) {
      const tags = await resolver.released(ref);
      const out: Array<{ tag: string; digest: string }> = [];
      for (const t of tags) {
        const digest = await decide(`${ref.familiarName}:${t.tag}`);
        out.push({ tag: t.tag, digest: digest ?? `sha256:${t.sha256Hex}` });
      }
      return out;
    },
  };
}
