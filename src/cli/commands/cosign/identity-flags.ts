/** cosign's keyless identity flags, with cosign's usage texts (verify, verify-attestation, verify-blob). */
import type { FlagSpec } from '../../cobra/flags.js';

export const CERTIFICATE_IDENTITY_FLAGS: readonly FlagSpec[] = [
  {
    name: 'certificate-identity',
    kind: 'string',
    usage:
      'The identity expected in a valid Fulcio certificate. Valid values include email address, DNS names, IP addresses, and URIs. Either --certificate-identity or --certificate-identity-regexp must be set for keyless flows.',
  },
  {
    name: 'certificate-identity-regexp',
    kind: 'string',
    usage:
      'A regular expression alternative to --certificate-identity. Accepts the Go regular expression syntax described at https://golang.org/s/re2syntax. Either --certificate-identity or --certificate-identity-regexp must be set for keyless flows.',
  },
  {
    name: 'certificate-oidc-issuer',
    kind: 'string',
    usage:
      'The OIDC issuer expected in a valid Fulcio certificate, e.g. https://token.actions.githubusercontent.com or https://oauth2.sigstore.dev/auth. Either --certificate-oidc-issuer or --certificate-oidc-issuer-regexp must be set for keyless flows.',
  },
  {
    name: 'certificate-oidc-issuer-regexp',
    kind: 'string',
    usage:
      'A regular expression alternative to --certificate-oidc-issuer. Accepts the Go regular expression syntax described at https://golang.org/s/re2syntax. Either --certificate-oidc-issuer or --certificate-oidc-issuer-regexp must be set for keyless flows.',
  },
];
