/**
 * `dct trust inspect` outputs against the REAL docker CLI 28 outputs of the
 * notary-0.7 fixtures: the repositories are loaded from their `server/` folders
 * (clock pinned), and the JSON and --pretty texts must equal docker's bytes.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { trustInfoOf, type TrustInfo } from '../../../src/app/docker-trust/inspect.js';
import {
  displayWidth,
  dockerTable,
  goIndentedJson,
  inspectJson,
  inspectPretty,
  truncateId,
  trustRepoJson,
} from '../../../src/cli/commands/trust/inspect-format.js';
import { fixturePath, notaryCases } from '../../support/fixtures.js';
import { fixtureGun, fixtureRepository } from '../../app/docker-trust/fixture-repository.js';

const withInspect = notaryCases().filter((c) => existsSync(fixturePath('notary-0.7', c, 'docker-trust-inspect.json')));

describe('docker trust inspect outputs on the real fixtures', () => {
  it('covers the fixture cases that have docker outputs', () => {
    assert.ok(withInspect.length >= 7, withInspect.join(', '));
  });

  for (const name of withInspect) {
    it(`${name}: JSON and --pretty equal docker's bytes`, async () => {
      const gun = fixtureGun(name);
      const { trusted, warnings } = await fixtureRepository(name).read();
      assert.deepEqual(warnings, []);
      const info = trustInfoOf(trusted);
      assert.equal(inspectJson([{ name: gun, info }]), readFileSync(fixturePath('notary-0.7', name, 'docker-trust-inspect.json'), 'utf8'));
      assert.equal(inspectPretty(gun, info), readFileSync(fixturePath('notary-0.7', name, 'docker-trust-inspect-pretty.txt'), 'utf8'));
    });
  }

  it('docker-signer-releases: inspect IMAGE:v1 limits the tags to v1 and keeps the argument as Name', async () => {
    const gun = fixtureGun('docker-signer-releases');
    const { trusted } = await fixtureRepository('docker-signer-releases').read();
    const out = inspectJson([{ name: `${gun}:v1`, info: trustInfoOf(trusted, 'v1') }]);
    assert.equal(out, readFileSync(fixturePath('notary-0.7', 'docker-signer-releases', 'docker-trust-inspect-v1.json'), 'utf8'));
    assert.deepEqual(trustInfoOf(trusted, 'v2').signedTags, []);
  });

  it('several arguments: one array, in argument order', async () => {
    const a = await fixtureRepository('targets-only').read();
    const b = await fixtureRepository('removed-target').read();
    const json = JSON.parse(
      inspectJson([
        { name: 'a', info: trustInfoOf(a.trusted) },
        { name: 'b', info: trustInfoOf(b.trusted) },
      ]),
    ) as Array<{ Name: string }>;
    assert.deepEqual(
      json.map((r) => r.Name),
      ['a', 'b'],
    );
  });
});

describe('inspect formatting details', () => {
  const info = (over: Partial<TrustInfo>): TrustInfo => ({
    signedTags: [],
    signers: [],
    rootKeyIds: ['r'.repeat(64)],
    repositoryKeyIds: ['t2', 't1'],
    ...over,
  });

  it('no tags: "No signatures", no signer block; admin keys sorted and tab-separated', () => {
    assert.equal(
      inspectPretty('x', info({})),
      '\nNo signatures for x\n\n\nAdministrative keys for x\n\n  Repository Key:\tt1, t2\n  Root Key:\t' + 'r'.repeat(64) + '\n',
    );
  });

  it('signers: sorted by name (natural order) in --pretty, descending in JSON; keys sorted and cut to 12', () => {
    const i = info({
      signers: [
        { name: 'b10', keyIds: ['f'.repeat(64), 'a'.repeat(64)] },
        { name: 'b9', keyIds: ['c'.repeat(64)] },
        { name: 'a', keyIds: [] },
      ],
    });
    const pretty = inspectPretty('x', i);
    assert.match(pretty, /SIGNER {4}KEYS\na {9}\nb9 {8}cccccccccccc\nb10 {7}aaaaaaaaaaaa, ffffffffffff\n/);
    const json = JSON.parse(inspectJson([{ name: 'x', info: i }])) as Array<{ Signers: Array<{ Name: string; Keys?: unknown[] }> }>;
    assert.deepEqual(
      json[0]!.Signers.map((s) => s.Name),
      ['b9', 'b10', 'a'],
    );
    assert.equal(json[0]!.Signers[2]!.Keys, undefined, 'Keys is omitempty');
  });

  it('tags: other signers listed sorted, else (Repo Admin); "Repo Admin" in JSON', () => {
    const i = info({
      signedTags: [
        { tag: 'v1', digest: 'd'.repeat(64), signers: ['zed', 'amy'] },
        { tag: 'v2', digest: '', signers: [] },
      ],
    });
    assert.match(inspectPretty('x', i), /\nv1 {11}d{64} {3}amy, zed\nv2 {11} {64} {3}\(Repo Admin\)\n/);
    const json = JSON.parse(inspectJson([{ name: 'x', info: i }])) as Array<{ SignedTags: Array<{ Signers: string[] }> }>;
    assert.deepEqual(
      json[0]!.SignedTags.map((t) => t.Signers),
      [['zed', 'amy'], ['Repo Admin']],
    );
  });

  it('JSON escapes as Go does (HTML-safe, U+2028), indents by 4, keeps [] for empty lists', () => {
    assert.equal(
      goIndentedJson({ a: '<&>\u2028"\\\n', b: [], c: {} }),
      '{\n    "a": "\\u003c\\u0026\\u003e\\u2028\\"\\\\\\n",\n    "b": [],\n    "c": {}\n}',
    );
    assert.equal(inspectJson([]).trim(), '[]');
  });

  it('tables measure display width: wide characters count twice, combining marks not at all', () => {
    assert.equal(displayWidth('日本'), 4);
    assert.equal(displayWidth('e\u0301'), 1);
    assert.equal(
      dockerTable([
        ['A', 'B'],
        ['日本語', 'x'],
      ]),
      'A         B\n日本語    x\n',
    );
    assert.equal(truncateId('sha256:0123456789abcdef'), '0123456789ab');
  });
});

describe('inspect JSON: the fast writer equals the exact Go writer', () => {
  it('for names with HTML characters, control characters, line separators, emoji and lone surrogates', () => {
    const names = [
      'plain',
      'a<b>&c',
      'tab\there',
      'bs\bff\f',
      'nl\nline',
      'ls\u2028ps\u2029',
      'smile 😀',
      'lone \ud800 x',
      'back\\slash',
      'quote"',
      'del\u007f',
    ];
    for (const name of names) {
      const info = {
        signedTags: [{ tag: name, digest: 'ab'.repeat(32), signers: [name] }],
        signers: [{ name, keyIds: ['k'] }],
        rootKeyIds: ['r'],
        repositoryKeyIds: [],
      };
      assert.equal(inspectJson([{ name, info }]), goIndentedJson([trustRepoJson(name, info)]) + '\n', JSON.stringify(name));
    }
  });
});
