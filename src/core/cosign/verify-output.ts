/**
 * What cosign prints after verifying an image: the checks performed (stderr) and the
 * verified payloads (stdout: one JSON list, or each payload with `-o text`), byte for byte
 * as cosign 3 prints them (Go's JSON: map keys sorted, HTML characters escaped).
 */
import type { SignerIdentity } from '../signatures/signature-report.js';
import type { RekorBundle } from './legacy-bundle.js';
import { goJson, sortedMap } from './go-json.js';

/** One verified signature as cosign shows it. */
export interface VerifiedPayload {
  layout: 'bundle' | 'legacy';
  dockerReference: string;
  digest: string;
  type: string;
  optional: Record<string, unknown> | null;
  signer: SignerIdentity;
  rekorBundle?: RekorBundle;
}

/** The OID of Fulcio's OIDC issuer extension, which cosign repeats in the output. */
const OIDC_ISSUER_OID = '1.3.6.1.4.1.57264.1.1';

export function verificationHeader(name: string, checks: { claims: boolean; annotations: boolean; tlog: boolean; key: boolean }): string {
  let s = `\nVerification for ${name} --\nThe following checks were performed on each of these signatures:\n`;
  if (checks.claims) {
    if (checks.annotations) s += '  - The specified annotations were verified.\n';
    s += '  - The cosign claims were validated\n';
  }
  if (checks.tlog) s += '  - Existence of the claims in the transparency log was verified offline\n';
  if (checks.key) s += '  - The signatures were verified against the specified public key\n';
  else s += '  - The code-signing certificate was verified using trusted certificate authority certificates\n';
  return s;
}

function payloadOf(v: VerifiedPayload, withExtras: boolean): Record<string, unknown> {
  let optional: Record<string, unknown> | null = v.optional === null ? null : { ...v.optional };
  if (withExtras && v.layout === 'legacy') {
    if (v.signer.kind === 'certificate') {
      optional ??= {};
      optional['Subject'] = v.signer.san ?? '';
      if (v.signer.issuer) {
        optional['Issuer'] = v.signer.issuer;
        optional[OIDC_ISSUER_OID] = v.signer.issuer;
      }
    }
    if (v.rekorBundle) {
      optional ??= {};
      optional['Bundle'] = v.rekorBundle;
    }
  }
  return {
    critical: { identity: { 'docker-reference': v.dockerReference }, image: { 'docker-manifest-digest': v.digest }, type: v.type },
    optional: optional === null ? null : sortedMap(optional),
  };
}

/** stdout of `cosign verify`: `-o json` (default) one list; `-o text` each payload on its line. */
export function formatVerifiedPayloads(verified: readonly VerifiedPayload[], output: string): string {
  if (output === 'text') return verified.map((v) => `${goJson(payloadOf(v, false))}\n`).join('');
  return `\n${goJson(verified.map((v) => payloadOf(v, true)))}\n`;
}
