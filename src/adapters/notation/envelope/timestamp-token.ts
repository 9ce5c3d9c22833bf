/**
 * RFC 3161 timestamp countersignatures (the `io.cncf.notary.timestampSignature` unsigned
 * attribute): a CMS SignedData over a TSTInfo, read with pkijs/asn1js. The TSTInfo's message
 * imprint must be the hash of the envelope's signature; the CMS signature must verify with the
 * TSA certificate the token carries, whose chain (from the token's certificates) must reach a
 * certificate of the policy's `tsa` trust store and be valid at the timestamp.
 */
import { createHash, verify as verifySignature, constants, X509Certificate } from 'node:crypto';
import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { DctError } from '../../../core/errors.js';
import { lazyModule } from '../../lazy-module.js';
import { validateCertificateChain } from './certificate-chain.js';
import { children, oidString, readNode } from './der-reader.js';

export class TimestampError extends Error {}

// pkijs and asn1js (ES modules, with some thirty modules under them) load with the first token
// read, not with every command whose module graph reaches this one (require of an ES module:
// Node ≥ 20.19)
const asn1jsModule = lazyModule<typeof asn1js>('asn1js', import.meta);
const pkijsModule = lazyModule<typeof pkijs>('pkijs', import.meta);
const lib = (): { asn1js: typeof asn1js; pkijs: typeof pkijs } => ({ asn1js: asn1jsModule(), pkijs: pkijsModule() });

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_CERTIFICATE = '1.2.840.113549.1.9.16.2.12';
const OID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
const HASHES: Readonly<Record<string, string>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1',
};
const MAX_TSA_CHAIN = 10;

export interface TimestampRange {
  value: Date;
  earliest: Date;
  latest: Date;
}

export interface TimestampToken {
  signedData: pkijs.SignedData;
  content: Uint8Array;
  certificates: X509Certificate[];
  tstInfo?: pkijs.TSTInfo;
  tstInfoError?: string;
  /** the genTime ± accuracy range, or why the message imprint does not match */
  validate(signature: Uint8Array): TimestampRange | string;
}

function octets(v: asn1js.OctetString): Uint8Array {
  return new Uint8Array(v.getValue());
}

/** Reads a token; anything wrong with it is a TimestampError (never another exception). */
export function parseTimestampToken(der: Uint8Array): TimestampToken {
  try {
    return readTimestampToken(der);
  } catch (err) {
    if (err instanceof TimestampError) throw err;
    throw new TimestampError(`cms: syntax error: ${(err as Error).message}`);
  }
}

function readTimestampToken(der: Uint8Array): TimestampToken {
  const { asn1js, pkijs } = lib();
  const ber = asn1js.fromBER(new Uint8Array(der));
  if (ber.offset === -1 || ber.result.error !== '') throw new TimestampError(`cms: syntax error: ${ber.result.error || 'not ASN.1 DER'}`);
  if (ber.offset !== der.length) throw new TimestampError('cms: syntax error: trailing data after the timestamp token');
  let signedData: pkijs.SignedData;
  try {
    const info = new pkijs.ContentInfo({ schema: ber.result });
    if (info.contentType !== OID_SIGNED_DATA) throw new TimestampError(`cms: content type ${info.contentType} is not signed data`);
    signedData = new pkijs.SignedData({ schema: info.content });
  } catch (err) {
    if (err instanceof TimestampError) throw err;
    throw new TimestampError(`cms: syntax error: invalid signed data: ${(err as Error).message}`);
  }
  const eType = signedData.encapContentInfo.eContentType;
  if (eType !== OID_TST_INFO) throw new TimestampError(`unexpected content type: ${eType}. Expected to be id-ct-TSTInfo (${OID_TST_INFO})`);
  const eContent = signedData.encapContentInfo.eContent;
  const content = eContent === undefined ? new Uint8Array() : octets(eContent);
  const certificates: X509Certificate[] = [];
  for (const c of signedData.certificates ?? []) {
    if (!(c instanceof pkijs.Certificate)) continue;
    try {
      certificates.push(new X509Certificate(Buffer.from(c.toSchema().toBER())));
    } catch (err) {
      throw new TimestampError(`cms: a certificate of the timestamp token does not parse: ${(err as Error).message}`);
    }
  }
  let tstInfo: pkijs.TSTInfo | undefined;
  let tstInfoError: string | undefined;
  try {
    const parsed = asn1js.fromBER(content);
    if (parsed.offset === -1 || parsed.offset !== content.length) throw new Error('bad DER');
    tstInfo = new pkijs.TSTInfo({ schema: parsed.result });
  } catch {
    tstInfoError = 'cannot unmarshal TSTInfo from timestamp token';
  }
  return {
    signedData,
    content,
    certificates,
    ...(tstInfo !== undefined ? { tstInfo } : {}),
    ...(tstInfoError !== undefined ? { tstInfoError } : {}),
    validate(signature: Uint8Array): TimestampRange | string {
      if (tstInfo === undefined) return tstInfoError ?? 'cannot unmarshal TSTInfo from timestamp token';
      return validateTstInfo(tstInfo, signature);
    },
  };
}

/** genTime ± accuracy (1 s when the token states none). */
export function timestampRange(info: pkijs.TSTInfo): TimestampRange {
  const a = info.accuracy;
  const ms = a === undefined ? 1000 : (a.seconds ?? 0) * 1000 + (a.millis ?? 0) + (a.micros ?? 0) / 1000;
  const value = info.genTime;
  return { value, earliest: new Date(value.getTime() - ms), latest: new Date(value.getTime() + ms) };
}

function validateTstInfo(info: pkijs.TSTInfo, message: Uint8Array): TimestampRange | string {
  const oid = info.messageImprint.hashAlgorithm.algorithmId;
  const hash = HASHES[oid];
  if (hash === undefined || hash === 'sha1') return `invalid TSTInfo: unsupported hash algorithm ${oid}`;
  const expected = createHash(hash).update(message).digest();
  if (!expected.equals(Buffer.from(octets(info.messageImprint.hashedMessage)))) return 'invalid TSTInfo: mismatched message';
  return timestampRange(info);
}

function findSigner(token: TimestampToken, signer: pkijs.SignerInfo): X509Certificate | undefined {
  const { asn1js, pkijs } = lib();
  const sid = signer.sid as unknown;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const issuer = Buffer.from(sid.issuer.toSchema().toBER());
    const serial = Buffer.from(sid.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^0+/, '').toUpperCase();
    return token.certificates.find((c) => {
      const parsed = pkijs.Certificate.fromBER(c.raw);
      return c.serialNumber.replace(/^0+/, '').toUpperCase() === serial && Buffer.from(parsed.issuer.toSchema().toBER()).equals(issuer);
    });
  }
  if (sid instanceof asn1js.Constructed || sid instanceof asn1js.OctetString || sid instanceof asn1js.Primitive) {
    const ski = Buffer.from((sid as asn1js.OctetString).valueBlock.valueHexView).toString('hex');
    return token.certificates.find((c) => {
      const ext = pkijs.Certificate.fromBER(c.raw).extensions?.find((e) => e.extnID === '2.5.29.14');
      return ext !== undefined && Buffer.from(octets(ext.parsedValue as asn1js.OctetString)).toString('hex') === ski;
    });
  }
  return undefined;
}

function attributeValue(signer: pkijs.SignerInfo, oid: string): asn1js.AsnType | undefined {
  const attr = signer.signedAttrs?.attributes.find((a) => a.type === oid);
  const values: unknown[] = attr?.values ?? [];
  return values[0] as asn1js.AsnType | undefined;
}

function checkCmsSignature(token: TimestampToken, signer: pkijs.SignerInfo, cert: X509Certificate): void {
  const { asn1js } = lib();
  const hash = HASHES[signer.digestAlgorithm.algorithmId];
  if (hash === undefined)
    throw new TimestampError(`failed to verify signed token: unsupported digest algorithm ${signer.digestAlgorithm.algorithmId}`);
  if (signer.signedAttrs === undefined)
    throw new TimestampError('failed to verify signed token: the timestamp token has no signed attributes');
  const contentType = attributeValue(signer, OID_CONTENT_TYPE);
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== OID_TST_INFO)
    throw new TimestampError('failed to verify signed token: invalid content type attribute in the timestamp token');
  const digest = attributeValue(signer, OID_MESSAGE_DIGEST);
  if (!(digest instanceof asn1js.OctetString) || !Buffer.from(octets(digest)).equals(createHash(hash).update(token.content).digest()))
    throw new TimestampError('failed to verify signed token: invalid message digest attribute in the timestamp token');
  const signed = new Uint8Array(signer.signedAttrs.encodedValue);
  signed[0] = 0x31; // the DER of the SET OF the [0] IMPLICIT attributes
  const sig = Buffer.from(signer.signature.valueBlock.valueHexView);
  const alg = signer.signatureAlgorithm.algorithmId;
  let ok = false;
  try {
    if (alg === '1.2.840.113549.1.1.10')
      ok = verifySignature(
        hash,
        signed,
        { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        sig,
      );
    else ok = verifySignature(hash, signed, cert.publicKey, sig);
  } catch {
    ok = false;
  }
  if (!ok)
    throw new TimestampError(
      'failed to verify signed token: cms verification failure: the signature does not verify with the TSA certificate',
    );
  checkSigningCertificateAttribute(signer, cert);
}

/**
 * RFC 5035 / RFC 2634: the signed `signingCertificateV2` (or v1) attribute names the TSA
 * certificate by hash, so that another certificate with the same key cannot stand in.
 */
function checkSigningCertificateAttribute(signer: pkijs.SignerInfo, cert: X509Certificate): void {
  const fail = (why: string) => new TimestampError(`failed to verify signed token: ${why}`);
  const v2 = attributeValue(signer, OID_SIGNING_CERTIFICATE_V2);
  const value = v2 ?? attributeValue(signer, OID_SIGNING_CERTIFICATE);
  if (value === undefined) throw fail('the timestamp token has no signing certificate attribute');
  const der = new Uint8Array(value.toBER());
  try {
    const first = children(der, children(der, readNode(der, 0))[0]!)[0];
    if (first === undefined) throw fail('the signing certificate attribute lists no certificate');
    const fields = children(der, first);
    let hashName = v2 !== undefined ? 'sha256' : 'sha1';
    let hashNode = fields[0]!;
    if (v2 !== undefined && hashNode.tag === 0x30) {
      const algorithm = HASHES[oidString(der, children(der, hashNode)[0]!)];
      if (algorithm === undefined) throw fail('the signing certificate attribute uses an unsupported hash');
      hashName = algorithm;
      hashNode = fields[1]!;
    }
    const expected = createHash(hashName).update(cert.raw).digest();
    if (hashNode.tag !== 0x04 || !expected.equals(Buffer.from(der.subarray(hashNode.start, hashNode.end))))
      throw fail('the signing certificate attribute does not name the TSA certificate');
  } catch (err) {
    if (err instanceof TimestampError) throw err;
    throw fail(`the signing certificate attribute does not parse: ${(err as Error).message}`);
  }
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Verifies the token's CMS signature and TSA chain to `anchors` at `at`; returns the chain. */
export function verifyTimestampToken(token: TimestampToken, anchors: readonly X509Certificate[], at: Date): X509Certificate[] {
  const signers = token.signedData.signerInfos;
  if (signers.length !== 1)
    throw new TimestampError(`failed to verify signed token: the timestamp token must have exactly one signer, it has ${signers.length}`);
  const signerInfo = signers[0]!;
  const signer = findSigner(token, signerInfo);
  if (signer === undefined) throw new TimestampError('failed to verify signed token: signing certificate not found in the timestamp token');
  checkCmsSignature(token, signerInfo, signer);
  const chain = [signer];
  for (;;) {
    const current = chain[chain.length - 1]!;
    if (anchors.some((a) => a.raw.equals(current.raw))) break;
    const anchor = anchors.find((a) => issuedBy(current, a));
    if (anchor !== undefined) {
      chain.push(anchor);
      break;
    }
    const next = token.certificates.find((c) => !chain.includes(c) && issuedBy(current, c));
    if (next === undefined || chain.length >= MAX_TSA_CHAIN)
      throw new TimestampError('failed to verify signed token: x509: certificate signed by unknown authority');
    chain.push(next);
  }
  for (const cert of chain)
    if (at.getTime() < new Date(cert.validFrom).getTime() || at.getTime() > new Date(cert.validTo).getTime())
      throw new TimestampError(
        `x509: certificate has expired or is not yet valid: the TSA certificate ${cert.subject.replace(/\n/g, ', ')} is not valid at ${at.toISOString()}`,
      );
  try {
    validateCertificateChain(chain, 'timeStamping');
  } catch (err) {
    if (err instanceof DctError)
      throw new TimestampError(`failed to validate the timestamping certificate chain with error: ${err.message}`);
    throw err;
  }
  return chain;
}
