/**
 * The cross-format verification use case with test-double formats and an in-memory
 * registry: every format on every digest (an index and each platform manifest), in
 * parallel; reports grouped per digest in the formats' order; formats that cannot look
 * reported beside the others; a report for another digest refused; the verdict rule
 * (a verified signature of the image's digest in any format, or of every platform of an
 * index); an index too large and a manifest that cannot be read.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { RegistryManifest } from '../../../src/app/signatures/signature-registry.js';
import { verifyImageSignatures, type ManifestReader } from '../../../src/app/signatures/verify-image-signatures.js';
import { DctError } from '../../../src/core/errors.js';
import type { FormatVerifier, ImageSubject, SignatureFormat, SignatureReport } from '../../../src/core/signatures/signature-report.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function imageManifest(seed: string): RegistryManifest {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(Buffer.from(seed)), size: seed.length },
      layers: [],
    }),
  );
  return { bytes, mediaType: OCI_MANIFEST, digest: sha(bytes) };
}

function index(children: Array<{ m: RegistryManifest; platform?: string; attestation?: boolean }>): RegistryManifest {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children.map(({ m, platform, attestation }) => {
        const [os, architecture, variant] = (platform ?? 'unknown/unknown').split('/');
        return {
          mediaType: OCI_MANIFEST,
          digest: m.digest,
          size: m.bytes.length,
          platform: { os, architecture, ...(variant ? { variant } : {}) },
          ...(attestation ? { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } } : {}),
        };
      }),
    }),
  );
  return { bytes, mediaType: OCI_INDEX, digest: sha(bytes) };
}

function registry(...manifests: RegistryManifest[]): ManifestReader & { asked: string[] } {
  const byDigest = new Map(manifests.map((m) => [m.digest, m]));
  const asked: string[] = [];
  return {
    asked,
    getManifest: async (repo, reference) => {
      asked.push(`${repo}@${reference}`);
      return byDigest.get(reference);
    },
  };
}

/** A format that signs the digests it is told, in the way it is told. */
function format(
  name: SignatureFormat,
  behaviour: Record<string, 'verified' | 'failed' | 'throw' | 'other-digest'>,
  log: string[] = [],
  delayMs = 0,
): FormatVerifier {
  return {
    format: name,
    async verify(s: ImageSubject): Promise<SignatureReport[]> {
      log.push(`${name} start ${s.digest.slice(7, 15)}`);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      log.push(`${name} end ${s.digest.slice(7, 15)}`);
      const b = behaviour[s.digest];
      if (b === undefined) return [];
      if (b === 'throw') throw new DctError('REGISTRY_UNREACHABLE', `${name}: the registry does not answer`);
      const report: SignatureReport = {
        format: name,
        subject: b === 'other-digest' ? `sha256:${'0'.repeat(64)}` : s.digest,
        verdict: b === 'failed' ? 'failed' : 'verified',
        signer: { kind: 'key', keyId: `${name}-key` },
        foundAt: { via: 'referrers-api', reference: `${s.registry}/${s.repository}@sha256:sig` },
      };
      return [report];
    },
  };
}

const at = (digest: string, tag?: string): ImageSubject => ({
  registry: 'registry.example',
  repository: 'team/app',
  digest,
  ...(tag ? { tag } : {}),
});

describe('verifyImageSignatures', () => {
  it('a single manifest: every format, reports in the formats order, verified by any one format', async () => {
    const image = imageManifest('one');
    const result = await verifyImageSignatures(at(image.digest, 'v1'), {
      verifiers: [format('dct', {}), format('cosign', { [image.digest]: 'verified' }), format('notation', { [image.digest]: 'failed' })],
      manifests: registry(image),
    });
    assert.equal(result.verdict, 'verified');
    assert.equal(result.digests.length, 1);
    assert.equal(result.digests[0]!.kind, 'image');
    assert.deepEqual(
      result.digests[0]!.reports.map((r) => [r.format, r.verdict]),
      [
        ['cosign', 'verified'],
        ['notation', 'failed'],
      ],
    );
    assert.equal(result.code, undefined);
  });

  it('only failed reports, or none: unverified with NO_VERIFIED_SIGNATURE; a format that cannot look is reported, not fatal', async () => {
    const image = imageManifest('two');
    const result = await verifyImageSignatures(at(image.digest), {
      verifiers: [format('dct', { [image.digest]: 'failed' }), format('cosign', { [image.digest]: 'throw' })],
      manifests: registry(image),
    });
    assert.equal(result.verdict, 'unverified');
    assert.equal(result.code, 'NO_VERIFIED_SIGNATURE');
    assert.match(result.reason ?? '', /no verified signature of sha256:[0-9a-f]{64} in any format/);
    assert.deepEqual(result.digests[0]!.failures, [
      { format: 'cosign', code: 'REGISTRY_UNREACHABLE', message: 'cosign: the registry does not answer' },
    ]);
    const none = await verifyImageSignatures(at(image.digest), { verifiers: [format('dct', {})] });
    assert.equal(none.verdict, 'unverified');
  });

  it('a report claiming another digest is a failure (SIGNATURE_SUBJECT_MISMATCH), never a verified signature', async () => {
    const image = imageManifest('three');
    const result = await verifyImageSignatures(at(image.digest), {
      verifiers: [format('cosign', { [image.digest]: 'other-digest' })],
      manifests: registry(image),
    });
    assert.equal(result.verdict, 'unverified');
    const r = result.digests[0]!.reports[0]!;
    assert.equal(r.verdict, 'failed');
    assert.equal(r.code, 'SIGNATURE_SUBJECT_MISMATCH');
    assert.match(r.reason ?? '', new RegExp(`is for sha256:0{64}, not for ${image.digest}`));
  });

  it('multi-arch: the index and each platform manifest (attestations left out), all formats in parallel', async () => {
    const amd = imageManifest('amd64');
    const arm = imageManifest('arm64');
    const att = imageManifest('attestation');
    const idx = index([
      { m: amd, platform: 'linux/amd64' },
      { m: arm, platform: 'linux/arm64/v8' },
      { m: att, attestation: true },
    ]);
    const log: string[] = [];
    const reg = registry(idx, amd, arm, att);
    const signedIndex = await verifyImageSignatures(at(idx.digest, 'multi'), {
      verifiers: [format('dct', { [idx.digest]: 'verified' }, log, 30), format('notation', { [arm.digest]: 'verified' }, log, 30)],
      manifests: reg,
    });
    assert.deepEqual(reg.asked, [`team/app@${idx.digest}`]);
    assert.deepEqual(
      signedIndex.digests.map((d) => [d.kind, d.digest, d.platform]),
      [
        ['index', idx.digest, undefined],
        ['platform', amd.digest, 'linux/amd64'],
        ['platform', arm.digest, 'linux/arm64/v8'],
      ],
    );
    assert.equal(signedIndex.verdict, 'verified', 'a signature of the index covers its platforms');
    assert.deepEqual(
      signedIndex.digests[2]!.reports.map((r) => r.format),
      ['notation'],
    );
    // parallel: every verifier started before the first one ended
    const firstEnd = log.findIndex((l) => l.includes(' end '));
    assert.equal(firstEnd, 6, log.join('\n'));

    // the index unsigned: every platform must be signed
    const onePlatform = await verifyImageSignatures(at(idx.digest), {
      verifiers: [format('cosign', { [amd.digest]: 'verified' })],
      manifests: registry(idx, amd, arm),
    });
    assert.equal(onePlatform.verdict, 'unverified');
    assert.match(onePlatform.reason ?? '', /no verified signature of the index sha256:[0-9a-f]{64}, and none of linux\/arm64\/v8/);
    const everyPlatform = await verifyImageSignatures(at(idx.digest), {
      verifiers: [format('cosign', { [amd.digest]: 'verified' }), format('notation', { [arm.digest]: 'verified' })],
      manifests: registry(idx, amd, arm),
    });
    assert.equal(everyPlatform.verdict, 'verified');
  });

  it('an index listing too many manifests, or a manifest the registry does not have: only the digest itself is checked', async () => {
    const children = Array.from({ length: 5 }, (_, i) => ({ m: imageManifest(`c${i}`), platform: `linux/arch${i}` }));
    const idx = index(children);
    const big = await verifyImageSignatures(at(idx.digest), {
      verifiers: [format('dct', { [idx.digest]: 'verified' })],
      manifests: registry(idx),
      maxPlatforms: 4,
    });
    assert.equal(big.manifestFailure?.code, 'INDEX_TOO_LARGE');
    assert.match(big.manifestFailure?.message ?? '', /lists 5 manifests, more than the 4/);
    assert.equal(big.digests.length, 1);
    assert.equal(big.verdict, 'verified');

    const missing = await verifyImageSignatures(at(sha(Buffer.from('absent'))), {
      verifiers: [format('dct', {})],
      manifests: registry(),
    });
    assert.equal(missing.manifestFailure?.code, 'MANIFEST_NOT_FOUND');
    assert.equal(missing.verdict, 'unverified');

    // bytes that do not hash to the digest asked for are not read as its manifest
    const image = imageManifest('liar');
    const liar: ManifestReader = { getManifest: async () => image };
    const lied = await verifyImageSignatures(at(sha(Buffer.from('other'))), { verifiers: [], manifests: liar });
    assert.equal(lied.manifestFailure?.code, 'DIGEST_MISMATCH');
  });
});
