/**
 * resignRepository over fake ports: a failing tag fails alone (with its code) and the others go
 * on; a tag only a signer's own role holds is not released and is skipped; the registry's
 * signature tags (cosign's `.sig`, the referrers tag schema) are not reported as unsigned images;
 * a tag list that cannot be read is a warning; a dry run signs nothing; provenance annotations.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegistryTagLister, ResignSigner } from '../../../src/app/trust-resign/ports.js';
import { provenanceAnnotations } from '../../../src/app/trust-resign/provenance.js';
import { resignRepository } from '../../../src/app/trust-resign/resign-repository.js';
import { DctError } from '../../../src/core/errors.js';
import type { BundleRepository, BundleTag } from '../../../src/core/trust-bundle/manifest.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const tag = (name: string, digest: string, roles: string[], released = true): BundleTag => ({
  name,
  digest,
  size: 10,
  roles: roles.map((role) => ({ role, keyIds: [`${role.length}`.padStart(64, 'a')] })),
  released,
});
const repository: BundleRepository = {
  gun: 'example.com/app',
  source: { kind: 'server', url: 'https://notary.example.com' },
  verifiedAt: '2026-12-07T00:00:00Z',
  verifiedAsOf: '2026-12-07T00:00:00Z',
  expired: [],
  roots: [1],
  files: [{ path: 'repositories/example.com/app/targets.json', role: 'targets', version: 7, sha256: '0'.repeat(64), length: 1 }],
  tags: [
    tag('v1', d('1'), ['targets']),
    tag('v2', d('2'), ['targets/alice', 'targets/releases']),
    tag('v3', d('3'), ['targets/bob'], false),
    tag('v4', d('4'), ['targets']),
  ],
  warnings: [],
};

function fakeSigner(signed: Set<string>, failOn?: string): ResignSigner & { calls: string[] } {
  const calls: string[] = [];
  return {
    format: 'cosign',
    keyId: 'sha256:key',
    calls,
    alreadySigned: (digest) => Promise.resolve(signed.has(digest)),
    sign: (digest, annotations) => {
      calls.push(`${digest} ${annotations['dev.dct.provenance.tag']}`);
      if (digest === failOn) return Promise.reject(new DctError('REGISTRY_DENIED', 'denied'));
      signed.add(digest);
      return Promise.resolve(`ref-${digest.slice(7, 9)}`);
    },
  };
}

const tags = (list: string[]): RegistryTagLister => ({ list: () => Promise.resolve(list) });

describe('resignRepository', () => {
  it('signs the released tags, fails one alone, skips unreleased and unsigned tags, ignores signature tags', async () => {
    const signer = fakeSigner(new Set(), d('4'));
    const sigTag = `sha256-${'1'.repeat(64)}`;
    const r = await resignRepository({
      repository,
      origin: { kind: 'server', url: 'https://notary.example.com' },
      signer,
      tags: tags(['v1', 'v2', 'v3', 'v4', 'latest', `${sigTag}.sig`, sigTag]),
      dryRun: false,
    });
    assert.deepEqual(
      r.tags.map((t) => `${t.tag} ${t.outcome}${t.code ? ` ${t.code}` : ''}`),
      ['latest skipped', 'v1 migrated', 'v2 migrated', 'v3 skipped', 'v4 failed REGISTRY_DENIED'],
    );
    assert.match(r.tags.find((t) => t.tag === 'v3')!.reason ?? '', /only signed by targets\/bob, not released/);
    assert.equal(r.targetsVersion, 7);
    const v2 = r.tags.find((t) => t.tag === 'v2')!;
    assert.equal(v2.stored, 'ref-22');
    assert.equal(v2.annotations?.['dev.dct.provenance.signers'], 'alice');
    assert.equal(v2.annotations?.['dev.dct.provenance.roles'], 'targets/alice,targets/releases');
    assert.equal(v2.annotations?.['dev.dct.provenance.targetsVersion'], '7');
    assert.equal(v2.annotations?.['dev.dct.provenance.trustServer'], 'https://notary.example.com');
    assert.equal(r.tags.find((t) => t.tag === 'v1')!.annotations?.['dev.dct.provenance.signers'], 'Repo Admin');
    // a re-run signs only what failed
    const again = await resignRepository({ repository, origin: { kind: 'server', url: 'x' }, signer, dryRun: false });
    assert.deepEqual(
      again.tags.filter((t) => t.outcome !== 'skipped').map((t) => `${t.tag} ${t.outcome}`),
      ['v4 failed'],
    );
    assert.equal(signer.calls.length, 4);
  });

  it('a dry run signs nothing; an unreadable tag list is a warning', async () => {
    const signer = fakeSigner(new Set([d('1')]));
    const r = await resignRepository({
      repository,
      origin: { kind: 'bundle', path: 'b.tar', exportedAt: '2026-12-07T00:00:00Z' },
      signer,
      tags: { list: () => Promise.reject(new Error('unauthorized')) },
      dryRun: true,
    });
    assert.deepEqual(signer.calls, []);
    assert.deepEqual(
      r.tags.map((t) => `${t.tag} ${t.outcome}`),
      ['v1 skipped', 'v2 would-sign', 'v3 skipped', 'v4 would-sign'],
    );
    assert.equal(r.tags[1]!.annotations?.['dev.dct.provenance.bundle'], 'b.tar');
    assert.match(r.warnings[0] ?? '', /tag list could not be read.*unauthorized/);
  });

  it("names docker trust inspect's signers: the other delegations sorted, else Repo Admin (targets/releases alone too)", () => {
    const signers = (roles: string[]) =>
      provenanceAnnotations(repository, tag('x', d('5'), roles), { kind: 'server', url: 'x' })['dev.dct.provenance.signers'];
    assert.equal(signers(['targets/releases']), 'Repo Admin');
    assert.equal(signers(['targets', 'targets/releases']), 'Repo Admin');
    assert.equal(signers(['targets/releases', 'targets/bob', 'targets/alice']), 'alice,bob');
  });
});
