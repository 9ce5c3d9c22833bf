/**
 * `dct policy check FILE`: a valid file is explained (rules in the order they are tried, what
 * each requires, in words), exit 0; an invalid one gets every problem by line and field, exit 1;
 * both in text and JSON.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerPolicyCommand, runPolicyCheck } from '../../src/cli/commands/policy.js';
import type { TrustIo } from '../../src/cli/docker-trust/io.js';

const dir = mkdtempSync(join(tmpdir(), 'dct-policy-check-'));

async function check(text: string, format: 'text' | 'json' = 'text') {
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, text);
  let out = '';
  let err = '';
  const io: TrustIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    readLine: async () => undefined,
    env: {},
    cwd: dir,
    now: () => new Date(),
    hints: false,
  };
  return { code: await runPolicyCheck(file, format, io), out, err, file };
}

const GOOD = `version: 1
defaults: {mode: enforce}
publishers:
  - {namespace: docker.io/library, signedBy: Docker Official Images, repositories: [alpine]}
rules:
  - name: everything-else
    match: "**"
    mode: audit
    require: {dct: {}}
  - name: alpine
    match: docker.io/library/alpine
    require:
      anyOf:
        - dct: {signers: [releases], fresh: true}
        - cosign: {identity: ci@example.com, issuer: https://issuer.example.com}
  - name: team
    match: registry.example.com/team/*
    mode: warn
    require:
      atLeast:
        count: 2
        of:
          - dct: {roles: [targets/releases]}
          - notation: {trustStore: "ca:release"}
          - cosign: {identityRegexp: "^ci@", issuerRegexp: example}
`;

describe('dct policy check', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('explains a valid file: rules most specific first, their requirements in words', async () => {
    const r = await check(GOOD);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const lines = r.out.split('\n');
    const order = lines.filter((l) => /^ {2}\d\. /.test(l)).map((l) => l.trim());
    assert.deepEqual(order, [
      '1. alpine (mode enforce): docker.io/library/alpine',
      '2. team (mode warn): registry.example.com/team/*',
      '3. everything-else (mode audit): **',
    ]);
    assert.match(
      r.out,
      /requires any of 2:\n {9}dct: signer releases \(tag fresh through TUF\)\n {9}cosign: identity ci@example\.com, issuer https:\/\/issuer\.example\.com\n/,
    );
    assert.match(
      r.out,
      /requires 2 of 3:\n {9}dct: role targets\/releases\n {9}notation: trust store ca:release\n {9}cosign: identity \/\^ci@\/, issuer \/example\//,
    );
    assert.match(r.out, /default deny, mode enforce/);
    assert.match(r.out, /docker\.io\/library: alpine — Docker Official Images/);
  });

  it('json: the same, for scripts', async () => {
    const r = await check(GOOD, 'json');
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out) as { valid: boolean; rules: Array<{ name: string; requires: string[] }> };
    assert.equal(j.valid, true);
    assert.deepEqual(
      j.rules.map((x) => x.name),
      ['alpine', 'team', 'everything-else'],
    );
    assert.deepEqual(j.rules[1]?.requires, [
      '2 of 3:',
      '  dct: role targets/releases',
      '  notation: trust store ca:release',
      '  cosign: identity /^ci@/, issuer /example/',
    ]);
  });

  it('an invalid file: every problem by line and field, with its code; exit 1', async () => {
    const bad = GOOD.replace('mode: warn', 'mode: loud').replace('count: 2', 'count: 4');
    const r = await check(bad);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /^policy\.yaml:18: rules\[2\]\.mode: must be one of enforce, warn, audit \[POLICY_INVALID\]$/m);
    const semantic = await check(GOOD.replace('count: 2', 'count: 4'));
    assert.match(
      semantic.err,
      /^policy\.yaml:21: rules\[2\]\.require\.atLeast\.count: is 4, but only 3 requirement\(s\) are listed in of \[POLICY_INVALID\]$/m,
    );
    const json = await check(bad, 'json');
    assert.equal(json.code, 1);
    const j = JSON.parse(json.out) as { valid: boolean; code: string; errors: string[] };
    assert.deepEqual([j.valid, j.code], [false, 'POLICY_INVALID']);
    assert.ok(j.errors.some((e) => e.startsWith('policy.yaml:18: rules[2].mode')));
  });

  it('registers `dct policy check FILE`, `dct policy explain IMAGE --policy FILE` and `dct policy generate`', async () => {
    const program = new Command('dct').exitOverride();
    registerPolicyCommand(program);
    const policy = program.commands.find((c) => c.name() === 'policy');
    assert.deepEqual(
      policy?.commands.map((c) => c.name()),
      ['check', 'explain', 'generate'],
    );
    const explain = policy?.commands.find((c) => c.name() === 'explain');
    assert.ok(explain?.options.some((o) => o.long === '--policy' && o.mandatory));
    explain?.exitOverride().configureOutput({ writeErr: () => undefined });
    await assert.rejects(program.parseAsync(['node', 'dct', 'policy', 'explain', 'alpine']), /--policy/);
  });
});
