/**
 * The shape of Notation's OCI trust policy document (`trustpolicy.oci.json`, version 1.0), as
 * `trust-policy.ts` decodes it and `trust-policy-validation.ts` checks it.
 */
export interface SignatureVerification {
  /** `strict`, `permissive`, `audit` or `skip` */
  level: string;
  override?: Record<string, string>;
  /** `always` (the default) or `afterCertExpiry` */
  verifyTimestamp?: string;
}

export interface TrustPolicyStatement {
  name: string;
  registryScopes: string[];
  signatureVerification: SignatureVerification;
  /** `<type>:<name>` with type `ca`, `signingAuthority` or `tsa` */
  trustStores: string[];
  /** `*` or `x509.subject:<DN>` */
  trustedIdentities: string[];
}

export interface TrustPolicyDocument {
  version: string;
  trustPolicies: TrustPolicyStatement[];
}
