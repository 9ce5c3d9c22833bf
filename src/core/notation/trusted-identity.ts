/**
 * Whether a signature's signing certificate is one of the trust policy statement's trusted
 * identities (notation's `verifyX509TrustedIdentities`): `*` trusts any; otherwise the leaf
 * certificate's subject, printed and parsed as notation does, must contain every attribute of one
 * `x509.subject:` DN.
 */
import type { X509Certificate } from 'node:crypto';
import { certificateSubjectString, formatParsedDN, isSubsetDN, parseDistinguishedName, type ParsedDN } from './distinguished-name.js';

/**
 * undefined when the leaf certificate matches; otherwise why not, in notation's words (the
 * authenticity check's failure).
 */
export function trustedIdentityMismatch(
  /** the statement's name, quoted in the messages as notation's verifier quotes it (absent: not named) */
  statementName: string | undefined,
  trustedIdentities: readonly string[],
  leaf: X509Certificate,
): string | undefined {
  if (trustedIdentities.includes('*')) return undefined;
  const trusted: ParsedDN[] = [];
  for (const identity of trustedIdentities) {
    const i = identity.indexOf(':');
    if (i < 0) return `trust policy statement${named(statementName)} has trusted identity ${JSON.stringify(identity)} missing separator`;
    if (identity.slice(0, i) !== 'x509.subject') continue;
    try {
      trusted.push(parseDistinguishedName(identity.slice(i + 1)));
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (trusted.length === 0) return `no x509 trusted identities are configured in the trust policy${named(statementName)}`;
  let leafDN: ParsedDN;
  try {
    leafDN = parseDistinguishedName(certificateSubjectString(leaf));
  } catch (err) {
    return `error while parsing the certificate subject from the digital signature. error : ${JSON.stringify((err as Error).message)}`;
  }
  if (trusted.some((dn) => isSubsetDN(dn, leafDN))) return undefined;
  return `signing certificate from the digital signature does not match the X.509 trusted identities [${trusted.map(formatParsedDN).join(' ')}] defined in the trust policy${named(statementName)}`;
}

const named = (name: string | undefined): string => (name === undefined ? '' : ` ${JSON.stringify(name)}`);
