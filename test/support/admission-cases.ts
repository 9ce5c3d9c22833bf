/**
 * The admission end-to-end cases of one registry: for each format an image signed as the
 * policy wants, one unsigned, one whose signature was tampered with, one signed by the wrong
 * signer, one whose signature expired — pushed and signed by dct's own commands (the notation
 * ones also from the real notation's e2e layouts), and the policy rules that judge them.
 *
 * | repository              | rule requires                        | cases                                              |
 * | dct/app                 | dct signers [releases]               | signed, unsigned (tag not in the trust data), moved |
 * | dct/alice               | dct signers [alice]                  | wrong signer (signed by the owner, not alice)      |
 * | cosign/app              | cosign key release.pub, tlog: false  | signed, unsigned, tampered (legacy .sig), stranger  |
 * | notation/app            | notation ca:release.example          | signed, unsigned, other (other.example), tampered  |
 * | notation-e2e/invalid    | notation ca:e2e                      | the real notation's invalid signature              |
 * | notation-e2e/expired    | notation ca:expired                  | certificate expired, no timestamp                  |
 */
import { NOTATION_E2E_IMAGE, pushNotationLayout } from './admission-layouts.js';
import { tamperCosignSignature, tamperNotationSignature } from './admission-tampering.js';
import { cosignSign, notationSign, trustSign, type PushedImage, type SigningWorld } from './admission-world.js';

export interface FormatCases {
  host: string;
  dct: { signed: PushedImage; unsigned: PushedImage; moved: PushedImage & { unsignedDigest: string }; alice: PushedImage };
  cosign: { signed: PushedImage; unsigned: PushedImage; tampered: PushedImage; stranger: PushedImage };
  notation: {
    signed: PushedImage;
    unsigned: PushedImage;
    other: PushedImage;
    /** another image's signature, its payload rewritten to claim this one */
    tampered: PushedImage;
    /** the real notation's e2e signature with an invalid integrity */
    invalid: PushedImage;
    expired: PushedImage;
  };
}

/** Pushes and signs every case on `host` (`tagSchema`: a registry without the referrers API). */
export async function prepareFormatCases(world: SigningWorld, host: string, tagSchema: boolean): Promise<FormatCases> {
  const push = (repo: string, tag: string) => world.push(host, repo, tag);

  const dctSigned = await push('dct/app', 'signed');
  const dctUnsigned = await push('dct/app', 'unsigned');
  const moved = await push('dct/app', 'moved');
  const alice = await push('dct/alice', 'v1');
  await trustSign(world, dctSigned);
  await trustSign(world, moved);
  await trustSign(world, alice);
  // the registry's tag moves to another (unsigned) image after signing: DCT's signed digest still rules
  const movedTo = await world.push(host, 'dct/app', 'moved', 'the image the tag was moved to');

  const cosignSigned = await push('cosign/app', 'signed');
  const cosignUnsigned = await push('cosign/app', 'unsigned');
  const cosignTampered = await push('cosign/app', 'tampered');
  const stranger = await push('cosign/app', 'stranger');
  await cosignSign(world, cosignSigned);
  await cosignSign(world, cosignTampered, 'release', true);
  await tamperCosignSignature(world, cosignTampered);
  await cosignSign(world, stranger, 'stranger');

  const notationSigned = await push('notation/app', 'signed');
  const notationUnsigned = await push('notation/app', 'unsigned');
  const other = await push('notation/app', 'other');
  const notationTampered = await push('notation/app', 'tampered');
  await notationSign(world, notationSigned);
  await notationSign(world, other, 'other.example');
  await tamperNotationSignature(world, notationSigned, notationTampered);
  const store = world.store(host);
  await pushNotationLayout(store, 'notation-e2e/invalid', 'e2e-invalid-signature', tagSchema);
  await pushNotationLayout(store, 'notation-e2e/expired', 'e2e-with-expired-cert', tagSchema);
  const layoutImage = (repo: string): PushedImage => ({
    image: `${host}/${repo}:v1`,
    name: `${host}/${repo}`,
    digest: NOTATION_E2E_IMAGE,
    size: 517,
  });

  return {
    host,
    dct: { signed: dctSigned, unsigned: dctUnsigned, moved: { ...moved, unsignedDigest: movedTo.digest }, alice },
    cosign: { signed: cosignSigned, unsigned: cosignUnsigned, tampered: cosignTampered, stranger },
    notation: {
      signed: notationSigned,
      unsigned: notationUnsigned,
      other,
      tampered: notationTampered,
      invalid: layoutImage('notation-e2e/invalid'),
      expired: layoutImage('notation-e2e/expired'),
    },
  };
}

/** The policy rules judging one registry's cases (the key file is relative to the policy file). */
export function formatRules(host: string, cosignKey: string): unknown[] {
  return [
    { name: `${host} dct`, match: `${host}/dct/*`, require: { dct: { signers: ['releases'] } } },
    { name: `${host} dct alice`, match: `${host}/dct/alice`, require: { dct: { signers: ['alice'] } } },
    { name: `${host} cosign`, match: `${host}/cosign/*`, require: { cosign: { key: cosignKey, tlog: false } } },
    { name: `${host} notation`, match: `${host}/notation/*`, require: { notation: { trustStore: 'ca:release.example' } } },
    { name: `${host} notation e2e`, match: `${host}/notation-e2e/*`, require: { notation: { trustStore: 'ca:e2e' } } },
    { name: `${host} notation expired`, match: `${host}/notation-e2e/expired`, require: { notation: { trustStore: 'ca:expired' } } },
  ];
}
