/**
 * The port through which the policy use case gets an image's digest and the verifiers of
 * every format, told what the matched rule needs checked: the cosign keys and keyless
 * identities it names (the cosign verifier checks each signature against them, so a rule
 * naming a key makes cosign verify with that key), whether a transparency log may be
 * missing, and the Notation trust stores it names (each verified against its store, the
 * report saying which). The CLI wires it over DCT's resolver and the registry formats
 * (`src/cli/policy-decider.ts`).
 */
import type { ImageReference } from '../../core/image-reference.js';
import type { DecideOptions } from '../../core/policy/decision.js';
import type { FormatVerifier } from '../../core/signatures/signature-report.js';
import type { StringMatcher } from '../../core/signatures/sigstore-verification.js';
import { leavesOf, type Requirement } from '../../core/policy/trust-policy.js';
import type { ManifestReader } from '../signatures/verify-image-signatures.js';

export interface SignatureNeeds {
  /**
   * the formats the rule's requirement names: only their signatures can meet it (a report of
   * another format never counts, `requirement-evaluation.ts`), so only they need looking for
   */
  formats: { dct: boolean; cosign: boolean; notation: boolean };
  cosign: {
    /** PEM public keys the rule names */
    keys: string[];
    identities: Array<{ identity: StringMatcher; issuer: StringMatcher }>;
    /** some cosign requirement of the rule accepts a signature without a transparency log entry */
    ignoreTlog: boolean;
  };
  notation: {
    /** the trust stores the rule names (`ca:release`) */
    trustStores: string[];
    /** some notation requirement names no store: notation's own trust policy judges too */
    ownPolicy: boolean;
  };
}

/** What the rule's requirement needs checked (see the module comment). */
export function signatureNeeds(require: Requirement): SignatureNeeds {
  const needs: SignatureNeeds = {
    formats: { dct: false, cosign: false, notation: false },
    cosign: { keys: [], identities: [], ignoreTlog: false },
    notation: { trustStores: [], ownPolicy: false },
  };
  for (const leaf of leavesOf(require)) {
    needs.formats[leaf.kind] = true;
    if (leaf.kind === 'cosign') {
      if (leaf.key && !needs.cosign.keys.includes(leaf.key.pem)) needs.cosign.keys.push(leaf.key.pem);
      if (leaf.identity && leaf.issuer) needs.cosign.identities.push({ identity: leaf.identity, issuer: leaf.issuer });
      if (!leaf.tlog) needs.cosign.ignoreTlog = true;
    } else if (leaf.kind === 'notation') {
      if (leaf.trustStore === undefined) needs.notation.ownPolicy = true;
      else if (!needs.notation.trustStores.includes(leaf.trustStore)) needs.notation.trustStores.push(leaf.trustStore);
    }
  }
  return needs;
}

export interface ImageSources {
  /** the tag the digest was resolved from (absent for a reference by digest alone) */
  tag?: string;
  digest: string;
  /** every format's verifier for this image, DCT first */
  verifiers: FormatVerifier[];
  /** the registry's manifests (an index's platforms); absent: only the digest is checked */
  manifests?: ManifestReader;
  /** what went wrong on the way that did not stop it (DCT has no trust data for the repository, …) */
  notes: string[];
  /** releases what was opened for the image, once its signatures are verified */
  close(): void;
}

export interface SignatureSources {
  /**
   * the image's digest and verifiers; throws a DctError when the digest cannot be found.
   * `opts.credentials`: the caller's registry credentials, tried before the process's own
   */
  open(ref: ImageReference, needs: SignatureNeeds, opts?: DecideOptions): Promise<ImageSources>;
  /**
   * the policy in force changed (a reload): what the sources kept for the decisions of the old
   * one (registry clients, trust material, verifiers) is dropped
   */
  policyChanged?(): void;
}
