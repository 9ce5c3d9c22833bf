import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDctError } from '../../src/core/errors.js';
import {
  DigestReference,
  ImageReference,
  isLoopbackHost,
  isValidRegistryDomain,
  isValidTag,
  parseAnyReference,
  validatedDigest,
  parseImageReference,
  parseIPv6,
  parseReference,
  splitHostPort,
} from '../../src/core/image-reference.js';

const HEX = 'a'.repeat(64);
const D = `sha256:${HEX}`;

/** asserts an INVALID_REFERENCE error with exactly docker's message */
function refused(input: string, message: string, parse: (s: string) => unknown = parseImageReference): void {
  assert.throws(
    () => parse(input),
    (err: unknown) => {
      assert.ok(isDctError(err, 'INVALID_REFERENCE'), `${input}: ${String(err)}`);
      assert.equal(err.message, message, input);
      return true;
    },
  );
}

describe('parseImageReference (docker ParseNormalizedNamed)', () => {
  const cases: Array<[string, { domain: string; path: string; tag?: string; digest?: string; familiar: string; full: string }]> = [
    ['alpine', { domain: 'docker.io', path: 'library/alpine', familiar: 'alpine', full: 'docker.io/library/alpine' }],
    [
      'alpine:3.19',
      { domain: 'docker.io', path: 'library/alpine', tag: '3.19', familiar: 'alpine', full: 'docker.io/library/alpine:3.19' },
    ],
    ['user/x', { domain: 'docker.io', path: 'user/x', familiar: 'user/x', full: 'docker.io/user/x' }],
    ['docker.io/alpine', { domain: 'docker.io', path: 'library/alpine', familiar: 'alpine', full: 'docker.io/library/alpine' }],
    ['index.docker.io/alpine', { domain: 'docker.io', path: 'library/alpine', familiar: 'alpine', full: 'docker.io/library/alpine' }],
    ['index.docker.io/user/x:v1', { domain: 'docker.io', path: 'user/x', tag: 'v1', familiar: 'user/x', full: 'docker.io/user/x:v1' }],
    ['docker.io/library/a/b', { domain: 'docker.io', path: 'library/a/b', familiar: 'library/a/b', full: 'docker.io/library/a/b' }],
    ['127.0.0.1:5000/x', { domain: '127.0.0.1:5000', path: 'x', familiar: '127.0.0.1:5000/x', full: '127.0.0.1:5000/x' }],
    [
      '127.0.0.1:15000/fixtures/x:v2',
      {
        domain: '127.0.0.1:15000',
        path: 'fixtures/x',
        tag: 'v2',
        familiar: '127.0.0.1:15000/fixtures/x',
        full: '127.0.0.1:15000/fixtures/x:v2',
      },
    ],
    ['localhost/x', { domain: 'localhost', path: 'x', familiar: 'localhost/x', full: 'localhost/x' }],
    ['localhost:5000/a/b', { domain: 'localhost:5000', path: 'a/b', familiar: 'localhost:5000/a/b', full: 'localhost:5000/a/b' }],
    ['example.com/team/app', { domain: 'example.com', path: 'team/app', familiar: 'example.com/team/app', full: 'example.com/team/app' }],
    ['Example.COM/app', { domain: 'Example.COM', path: 'app', familiar: 'Example.COM/app', full: 'Example.COM/app' }],
    // an upper-case first element is a domain even without a dot
    ['Registry/app', { domain: 'Registry', path: 'app', familiar: 'Registry/app', full: 'Registry/app' }],
    ['[::1]:5000/app', { domain: '[::1]:5000', path: 'app', familiar: '[::1]:5000/app', full: '[::1]:5000/app' }],
    ['registry:5000/app', { domain: 'registry:5000', path: 'app', familiar: 'registry:5000/app', full: 'registry:5000/app' }],
    [
      'a.b/c__d/e--f/g.h/i_j',
      { domain: 'a.b', path: 'c__d/e--f/g.h/i_j', familiar: 'a.b/c__d/e--f/g.h/i_j', full: 'a.b/c__d/e--f/g.h/i_j' },
    ],
    [`alpine@${D}`, { domain: 'docker.io', path: 'library/alpine', digest: D, familiar: 'alpine', full: `docker.io/library/alpine@${D}` }],
    [`x.io/a:T_1.x-y@${D}`, { domain: 'x.io', path: 'a', tag: 'T_1.x-y', digest: D, familiar: 'x.io/a', full: `x.io/a:T_1.x-y@${D}` }],
    // a name that is not a valid domain (underscore) stays part of the path, as in docker
    ['foo_bar.com/x', { domain: '', path: 'foo_bar.com/x', familiar: 'foo_bar.com/x', full: 'foo_bar.com/x' }],
  ];
  for (const [input, want] of cases) {
    it(`${input} → ${want.full}`, () => {
      const ref = parseImageReference(input);
      assert.ok(ref instanceof ImageReference);
      assert.equal(ref.kind, 'named');
      assert.equal(ref.domain, want.domain);
      assert.equal(ref.path, want.path);
      assert.equal(ref.tag, want.tag);
      assert.equal(ref.digest, want.digest);
      assert.equal(ref.name, want.domain ? `${want.domain}/${want.path}` : want.path);
      assert.equal(ref.familiarName, want.familiar);
      assert.equal(ref.toString(), want.full);
      // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the test: a template literal uses toString()
      assert.equal(`${ref}`, want.full);
    });
  }

  it('familiar strings keep tag and digest', () => {
    assert.equal(parseImageReference('docker.io/library/alpine:3').familiarString(), 'alpine:3');
    assert.equal(parseImageReference(`user/x:1@${D}`).familiarString(), `user/x:1@${D}`);
  });

  it('refuses with docker messages', () => {
    refused('Alpine', 'invalid reference format: repository name (library/Alpine) must be lowercase');
    refused('user/Alpine:v1', 'invalid reference format: repository name (user/Alpine) must be lowercase');
    refused('localhost:5000/Foo', 'invalid reference format: repository name (Foo) must be lowercase');
    refused(HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`);
    refused('', 'invalid reference format');
    refused('alpine:', 'invalid reference format');
    refused('alpine:-tag', 'invalid reference format');
    refused(`alpine:${'t'.repeat(129)}`, 'invalid reference format');
    refused('a//b', 'invalid reference format');
    refused('a/b/', 'invalid reference format');
    refused('-a', 'invalid reference format');
    refused('a b', 'invalid reference format');
    refused('a___b', 'invalid reference format');
    refused('example.com:port/x', 'invalid reference format');
    refused(`x/${'a'.repeat(254)}`, 'repository name must not be more than 255 characters');
    refused('alpine@sha256:abc', 'invalid reference format');
    refused(`alpine@sha256:${'a'.repeat(32)}`, 'invalid checksum digest length');
    refused(`alpine@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format');
    refused(`alpine@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm');
  });

  it('accepts a path of exactly 255 characters (the domain does not count)', () => {
    const path = `x/${'a'.repeat(253)}`;
    assert.equal(parseImageReference(`registry.example.com:5000/${path}`).path, path);
    assert.equal(parseImageReference(`alpine:${'t'.repeat(128)}`).tag, 't'.repeat(128));
  });

  it('helpers: tags, digests, trimming', () => {
    const ref = parseImageReference(`user/x:1@${D}`);
    assert.equal(ref.trimmed().toString(), 'docker.io/user/x');
    assert.equal(ref.withTag('v2').toString(), `docker.io/user/x:v2@${D}`);
    assert.equal(ref.trimmed().withTag('v2').toString(), 'docker.io/user/x:v2');
    assert.equal(ref.trimmed().withDigest(D).toString(), `docker.io/user/x@${D}`);
    assert.equal(parseImageReference('user/x:1').withDigest(D).toString(), `docker.io/user/x:1@${D}`);
    assert.equal(parseImageReference('alpine').withDefaultTag().toString(), 'docker.io/library/alpine:latest');
    assert.equal(parseImageReference('alpine:3').withDefaultTag().tag, '3');
    assert.equal(parseImageReference(`alpine@${D}`).withDefaultTag().tag, undefined);
    assert.equal(parseImageReference('alpine').isNameOnly, true);
    refused('bad tag', 'invalid tag format', (s) => ref.withTag(s));
    assert.equal(isValidTag('_x'), true);
    assert.equal(isValidTag('.x'), false);
  });
});

describe('parseAnyReference / parseReference / validatedDigest', () => {
  it('image IDs and digests are digest references', () => {
    const id = parseAnyReference(HEX);
    assert.ok(id instanceof DigestReference);
    assert.equal(id.digest, D);
    const dg = parseAnyReference(`sha512:${'b'.repeat(128)}`);
    assert.equal(dg.kind, 'digest');
    assert.equal(dg.toString(), `sha512:${'b'.repeat(128)}`);
    const named = parseAnyReference('alpine:3');
    assert.equal(named.kind, 'named');
    assert.equal(named.toString(), 'docker.io/library/alpine:3');
    refused('UPPER', 'invalid reference format: repository name (library/UPPER) must be lowercase', parseAnyReference);
  });

  it('parseReference takes names as written', () => {
    const r = parseReference('alpine:3');
    assert.equal(r.domain, '');
    assert.equal(r.path, 'alpine');
    assert.equal(parseReference('a.b/c').domain, 'a.b');
    refused('A.b/C', 'repository name must be lowercase', parseReference);
    refused('', 'repository name must have at least one component', parseReference);
  });

  it('validatedDigest follows go-digest', () => {
    assert.equal(validatedDigest(D), D);
    assert.equal(validatedDigest(`sha384:${'c'.repeat(96)}`), `sha384:${'c'.repeat(96)}`);
    refused(':abc', 'invalid checksum digest format', validatedDigest);
    refused('sha256:', 'invalid checksum digest format', validatedDigest);
    refused('sha256', 'invalid checksum digest format', validatedDigest);
    refused(`sha256:${'g'.repeat(64)}`, 'invalid checksum digest format', validatedDigest);
    refused(`sha256:${'a'.repeat(63)}`, 'invalid checksum digest length', validatedDigest);
    refused('blake3:abcd', 'unsupported digest algorithm', validatedDigest);
    refused('Blake3:abcd', 'invalid checksum digest format', validatedDigest);
  });
});

describe('registry hosts', () => {
  it('splitHostPort behaves as Go net.SplitHostPort', () => {
    assert.deepEqual(splitHostPort('a:1'), { host: 'a', port: '1' });
    assert.deepEqual(splitHostPort('[::1]:5000'), { host: '::1', port: '5000' });
    assert.deepEqual(splitHostPort('a:'), { host: 'a', port: '' });
    assert.equal(splitHostPort('a'), undefined);
    assert.equal(splitHostPort('::1'), undefined);
    assert.equal(splitHostPort('[::1]'), undefined);
  });

  it("loopback hosts are docker's insecure ones", () => {
    for (const h of [
      'localhost',
      'LOCALHOST:5000',
      '127.0.0.1',
      '127.0.0.1:4443',
      '127.255.0.9:1',
      '::1',
      '[::1]:5000',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.2',
      '[::ffff:7f00:1]:80',
    ]) {
      assert.equal(isLoopbackHost(h), true, h);
    }
    for (const h of [
      'example.com',
      '128.0.0.1',
      '10.0.0.1:5000',
      '::2',
      '::',
      '0127.0.0.1',
      'localhost.example.com',
      '[::ffff:128.0.0.1]:1',
      'docker.io',
    ]) {
      assert.equal(isLoopbackHost(h), false, h);
    }
    assert.equal(isLoopbackHost('registry.local:5000', ['127.0.1.1']), true);
  });

  it('parseIPv6 expands :: and embedded IPv4', () => {
    assert.deepEqual(parseIPv6('::1'), [...new Array<number>(15).fill(0), 1]);
    assert.deepEqual(parseIPv6('1::'), [0, 1, ...new Array<number>(14).fill(0)]);
    assert.equal(parseIPv6('1:2:3:4:5:6:7:8::'), undefined);
    assert.equal(parseIPv6('1:::2'), undefined);
    assert.equal(parseIPv6('12345::'), undefined);
    assert.equal(parseIPv6('1:2:3:4:5:6:7'), undefined);
  });

  it('isValidRegistryDomain', () => {
    for (const d of ['docker.io', 'localhost:5000', '127.0.0.1:15000', '[::1]:5000', 'a-b.example'])
      assert.equal(isValidRegistryDomain(d), true, d);
    for (const d of ['', 'a_b.com', 'https://x', 'x/y', 'host:port', '-a.com']) assert.equal(isValidRegistryDomain(d), false, d);
  });
});
