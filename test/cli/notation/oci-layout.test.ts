/**
 * `dct notation sign | verify | list --oci-layout`: notation's layouts of its e2e suite verified
 * in place (the trust policy statement chosen by `--scope`), and a copy of the unsigned one
 * signed by dct (the signature manifest listed in index.json, found through its subject) and
 * verified; the flag rules notation has for these flags.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runNotation } from '../../../src/cli/commands/notation/index.js';
import { fixturePath } from '../../support/fixtures.js';

const CLI = fixturePath('notation', 'notation-cli');
const IMAGE = 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9';
const work = mkdtempSync(join(tmpdir(), 'dct-notation-layout-'));
after(() => rmSync(work, { recursive: true, force: true }));

const config = join(work, 'config');
mkdirSync(join(config, 'truststore/x509/ca/e2e'), { recursive: true });
copyFileSync(join(CLI, 'localkeys/e2e.crt'), join(config, 'truststore/x509/ca/e2e/e2e.crt'));
copyFileSync(join(CLI, 'trustpolicies/trustpolicy.json'), join(config, 'trustpolicy.oci.json'));
writeFileSync(
  join(config, 'signingkeys.json'),
  JSON.stringify({
    default: 'e2e',
    keys: [{ name: 'e2e', keyPath: join(CLI, 'localkeys/e2e.key'), certPath: join(CLI, 'localkeys/e2e.crt') }],
  }),
);

function layout(name: string): string {
  const dir = join(work, name);
  cpSync(join(CLI, 'oci-layouts', name), dir, { recursive: true });
  return dir;
}

async function notation(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runNotation(args, {
    io: { out: (s) => (out += s), err: (s) => (err += s) },
    env: { NOTATION_CONFIG: config, HOME: work },
  });
  return { code, out, err };
}

describe('dct notation --oci-layout', () => {
  it('verifies a layout notation signed, by digest and by tag, with the statement of --scope', async () => {
    const dir = layout('e2e-valid-signature');
    const r = await notation('verify', '--oci-layout', '--scope', 'localhost:5000/e2e', `${dir}@${IMAGE}`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `Successfully verified signature for ${dir}@${IMAGE}\n`);
    const byTag = await notation('verify', '--oci-layout', '--scope', 'localhost:5000/e2e', `${dir}:v1`);
    assert.equal(byTag.code, 0, byTag.err);
    const expired = layout('e2e-expired-signature');
    const refused = await notation('verify', '--oci-layout', '--scope', 'localhost:5000/e2e', '-d', `${expired}@${IMAGE}`);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /expiry validation failed/);
  });

  it('signs a layout: the signature manifest joins index.json untagged, list and verify find it', async () => {
    const dir = layout('e2e');
    const signed = await notation('sign', '--oci-layout', '--signature-format', 'cose', `${dir}:v1`);
    assert.equal(signed.code, 0, signed.err);
    const sig = /Pushed the signature to .*@(sha256:[0-9a-f]{64})\n$/.exec(signed.out)?.[1];
    assert.ok(sig, signed.out);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
    };
    const entry = index.manifests.find((m) => m.digest === sig);
    assert.ok(entry && entry.annotations?.['org.opencontainers.image.ref.name'] === undefined);
    const list = await notation('list', '--oci-layout', `${dir}@${IMAGE}`);
    assert.equal(list.out, `${dir}@${IMAGE}\n└── application/vnd.cncf.notary.signature\n    └── ${sig}\n`);
    const verified = await notation('verify', '--oci-layout', '--scope', 'localhost:5000/e2e', `${dir}@${IMAGE}`);
    assert.equal(verified.code, 0, verified.err);
  });

  it('keeps notation rules for these flags', async () => {
    const dir = layout('e2e-invalid-signature');
    const noScope = await notation('verify', '--oci-layout', `${dir}@${IMAGE}`);
    assert.equal(noScope.err, 'Error: if any flags in the group [oci-layout scope] are set they must all be set; missing [scope]\n');
    const both = await notation('sign', '--oci-layout', '--force-referrers-tag', `${dir}@${IMAGE}`);
    assert.match(both.err, /^Error: if any flags in the group \[oci-layout force-referrers-tag\] are set none of the others can be/);
    const noRef = await notation('list', '--oci-layout', dir);
    assert.equal(noRef.err, `Error: ${JSON.stringify(dir)}: reference is missing either digest or tag\n`);
  });
});
