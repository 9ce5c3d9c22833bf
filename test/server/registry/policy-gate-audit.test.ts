/**
 * The pull gates' decisions as the manifest handler sees them, with a recording audit sink:
 * the policy gate (over a scripted decider: the use case itself runs end to end in
 * policy-gate.test.ts) records every judged request — allowed, refused, warned — with its
 * actor and context; it refuses a tag the registry moved away from the decided digest, serves a
 * platform manifest through an allowed index, keeps decisions until the GUN or the policy
 * changes, and lets signature artifacts pass unrecorded. The legacy `pullGate` rules record an
 * equivalent record (rule `pullGate[N]`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { ImageDecision } from '../../../src/core/policy/decision.js';
import type { AuditRecord, AuditSink } from '../../../src/core/policy/audit-record.js';
import type { TufStore, RegistryStore } from '../../../src/core/ports.js';
import { PolicyGate } from '../../../src/server/registry/policy-gate.js';
import { PullGate } from '../../../src/server/registry/pull-gate.js';
import { RegistryApiError } from '../../../src/server/registry/registry-api-error.js';
import { ServerTrust } from '../../../src/server/registry/server-trust.js';
import { buildImage } from './support.js';

const GUN = 'registry.test/prod/app';
const image = buildImage('audit-gate');
const manifest = { mediaType: 'application/vnd.oci.image.manifest.v1+json', data: image.manifest };
const call = { method: 'GET', actor: { address: '10.0.0.7', user: 'reader' } };

function recording(): AuditSink & { records: AuditRecord[] } {
  const records: AuditRecord[] = [];
  return { records, record: (r) => void records.push(r), flush: () => Promise.resolve() };
}

function decision(image: string, over: Partial<ImageDecision> = {}): ImageDecision {
  return {
    image,
    verdict: 'allow',
    mode: 'enforce',
    rule: 'prod',
    reasons: ['rule prod: dct: signer releases met by dct targets'],
    warnings: [],
    reports: [
      {
        format: 'dct',
        subject: image,
        verdict: 'verified',
        signer: { kind: 'role', role: 'targets' },
        foundAt: { via: 'tuf', reference: GUN },
      },
    ],
    decidedAt: '2026-12-07T12:00:00.000Z',
    ...over,
  };
}

/** A decider answering from a table (image → decision), counting its calls. */
function scripted(table: Record<string, Partial<ImageDecision>>) {
  const calls: string[] = [];
  return {
    calls,
    decide: (img: string) => {
      calls.push(img);
      return Promise.resolve(decision(img, table[img] ?? { verdict: 'deny', reasons: ['rule prod: no signature'] }));
    },
  };
}

function gate(decider: ReturnType<typeof scripted>, audit: AuditSink, indexes: Record<string, string[]> = {}) {
  return new PolicyGate({
    decider,
    indexesListing: (_repo, digest) => Promise.resolve((indexes[digest] ?? []).map((d) => ({ digest: d, size: 100 }))),
    audit,
    log: pino({ level: 'silent' }),
  });
}

const byTag = { gun: GUN, repository: 'prod/app', tag: 'v1', digest: image.digest, size: image.size };
const byDigest = { gun: GUN, repository: 'prod/app', digest: image.digest, size: image.size };

describe('pull gate decisions and their audit records', () => {
  it('an allowed tag: served, one record with the actor, the context and the signatures', async () => {
    const audit = recording();
    const g = gate(scripted({ [`${GUN}:v1`]: { digest: image.digest } }), audit);
    assert.deepEqual(await g.check(byTag, manifest, call), { warnings: [] });
    assert.equal(audit.records.length, 1);
    const [r] = audit.records;
    assert.deepEqual(
      { point: r?.point, actor: r?.actor, image: r?.image, rule: r?.rule, verdict: r?.verdict, admitted: r?.admitted, context: r?.context },
      {
        point: 'registry',
        actor: { address: '10.0.0.7', user: 'reader' },
        image: `${GUN}:v1`,
        rule: 'prod',
        verdict: 'allow',
        admitted: true,
        context: { method: 'GET', repository: 'prod/app', reference: 'v1' },
      },
    );
    assert.deepEqual(r?.signatures, [{ format: 'dct', verdict: 'verified', subject: `${GUN}:v1`, signer: 'targets' }]);
  });

  it('a refused image: DENIED naming the rule and the reasons, recorded as not admitted', async () => {
    const audit = recording();
    const g = gate(scripted({}), audit);
    await assert.rejects(g.check(byDigest, manifest, { ...call, method: 'HEAD' }), (err: RegistryApiError) => {
      assert.equal(err.code, 'DENIED');
      assert.equal(err.message, `trust policy rule "prod" refuses ${GUN}@${image.digest}: rule prod: no signature`);
      return true;
    });
    assert.deepEqual(
      audit.records.map((r) => [r.verdict, r.admitted, r.context['method'], r.reasons]),
      [['deny', false, 'HEAD', ['rule prod: no signature']]],
    );
  });

  it('a tag the registry moved away from the decided digest is refused (under enforce), with the reason', async () => {
    const audit = recording();
    const g = gate(scripted({ [`${GUN}:v1`]: { digest: `sha256:${'0'.repeat(64)}` } }), audit);
    await assert.rejects(g.check(byTag, manifest, call), /the policy judged sha256:0{64}, but the registry serves/);
    assert.equal(audit.records[0]?.verdict, 'deny');
  });

  it('warn mode: served with the warnings; audit mode: served; both recorded as admitted', async () => {
    const audit = recording();
    const warned = {
      verdict: 'allow' as const,
      mode: 'warn' as const,
      warnings: [`${GUN}:v1: rule prod: no signature`],
      digest: image.digest,
    };
    const g = gate(
      scripted({ [`${GUN}:v1`]: warned, [`${GUN}@${image.digest}`]: { mode: 'audit', reasons: ['audit mode: allowed'] } }),
      audit,
    );
    assert.deepEqual(await g.check(byTag, manifest, call), { warnings: warned.warnings });
    assert.deepEqual(await g.check(byDigest, manifest, call), { warnings: [] });
    assert.deepEqual(
      audit.records.map((r) => [r.mode, r.admitted]),
      [
        ['warn', true],
        ['audit', true],
      ],
    );
  });

  it('a platform manifest is served through an allowed index listing it; the record says so', async () => {
    const audit = recording();
    const index = `sha256:${'1'.repeat(64)}`;
    const decider = scripted({ [`${GUN}@${index}`]: {} });
    const g = gate(decider, audit, { [image.digest]: [index] });
    await g.check(byDigest, manifest, call);
    assert.deepEqual(decider.calls, [`${GUN}@${image.digest}`, `${GUN}@${index}`]);
    assert.equal(audit.records[0]?.image, `${GUN}@${image.digest}`);
    assert.match(
      audit.records[0]?.reasons[0] ?? '',
      /^a platform manifest of registry\.test\/prod\/app@sha256:1{64}, which the policy allows$/,
    );
  });

  it('decisions are reused until the GUN or the policy changes; every request is recorded', async () => {
    const audit = recording();
    const decider = scripted({ [`${GUN}:v1`]: { digest: image.digest } });
    const g = gate(decider, audit);
    await g.check(byTag, manifest, call);
    await g.check(byTag, manifest, call);
    assert.equal(decider.calls.length, 1);
    g.changed('registry.test/other');
    await g.check(byTag, manifest, call);
    assert.equal(decider.calls.length, 1);
    g.changed(GUN);
    await g.check(byTag, manifest, call);
    assert.equal(decider.calls.length, 2);
    g.policyChanged();
    await g.check(byTag, manifest, call);
    assert.equal(decider.calls.length, 3);
    assert.equal(audit.records.length, 5);
  });

  it('signature artifacts pass on their content, unjudged and unrecorded', async () => {
    const audit = recording();
    const decider = scripted({});
    const sig = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.cncf.notary.signature',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: `sha256:${'4'.repeat(64)}`, size: 2 },
        layers: [{ mediaType: 'application/jose+json', digest: `sha256:${'5'.repeat(64)}`, size: 10 }],
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.digest, size: image.size },
      }),
    );
    await gate(decider, audit).check(byDigest, { mediaType: 'application/vnd.oci.image.manifest.v1+json', data: sig }, call);
    assert.deepEqual([decider.calls, audit.records], [[], []]);
  });

  it('the legacy pullGate rules record an equivalent record (rule pullGate[N]); ungated GUNs are not recorded', async () => {
    const audit = recording();
    const tuf = { getCurrent: () => Promise.resolve(undefined) } as unknown as TufStore;
    const store = { indexesListing: () => Promise.resolve([]) } as unknown as RegistryStore;
    const legacy = new PullGate(
      [
        { repositories: 'registry.test/dev/*', signers: [], allowDigests: true },
        { repositories: 'registry.test/prod/*', signers: ['alice'], allowDigests: false },
      ],
      new ServerTrust({ tuf }),
      store,
      audit,
    );
    await assert.rejects(legacy.check(byTag, manifest, call), /pull gate rule 2 \(repositories "registry\.test\/prod\/\*"\) refuses/);
    await legacy.check({ ...byTag, gun: 'registry.test/elsewhere/app' }, manifest, call);
    assert.deepEqual(
      audit.records.map((r) => ({
        rule: r.rule,
        verdict: r.verdict,
        admitted: r.admitted,
        mode: r.mode,
        reasons: r.reasons,
        image: r.image,
      })),
      [
        {
          rule: 'pullGate[1]',
          verdict: 'deny',
          admitted: false,
          mode: 'enforce',
          reasons: [`no trust data for ${GUN}`],
          image: `${GUN}:v1`,
        },
      ],
    );
  });
});
