/** openssl command lines the interop tests run (the real tool makes the test certificates). */

/**
 * `openssl` arguments for a self-signed P-256 certificate with CN `cn` and an unencrypted key
 * (as notary's docs make delegation certificates).
 */
export function selfSignedEcCertArgs(keyOut: string, certOut: string, cn: string, days: number): string[] {
  return [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyOut,
    '-out',
    certOut,
    '-days',
    String(days),
    '-subj',
    `/CN=${cn}`,
  ];
}
