/**
 * The cosign command line's frame: cobra's lookup and help, cosign's flag aliases, and its
 * failures as cosign prints them (`Error: …`, then Go's log line `… error during command
 * execution: …`, exit 1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosign } from '../../app/cosign/images/run-cosign.js';

const LOG_LINE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d error during command execution: /;

describe('dct cosign', () => {
  it('lists sign, verify and verify-attestation with the key and blob commands', async () => {
    const r = await cosign(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['sign', 'verify', 'verify-attestation', 'generate-key-pair', 'sign-blob', 'verify-blob'])
      assert.match(r.out, new RegExp(`\\n  ${c} +\\S`), c);
    const sign = await cosign(['sign', '--help']);
    assert.match(sign.out, /--new-bundle-format +expect the signature\/attestation to be packaged in a Sigstore bundle \(default true\)/);
    assert.match(sign.out, /-a, --annotations strings/);
  });

  it('prints an unknown command as cobra and cosign do', async () => {
    const r = await cosign(['sing']);
    assert.equal(r.code, 1);
    const lines = r.err.split('\n');
    assert.equal(lines[0], 'Error: unknown command "sing" for "cosign"');
    assert.ok(r.err.includes("Run 'cosign --help' for usage.\n"));
    assert.ok(
      lines.some((l) => LOG_LINE.test(l)),
      r.err,
    );
    assert.match(r.err, /Did you mean this\?\n\tsign\n/);
  });

  it('a bad flag value, a missing argument and an unparsable reference fail with exit 1 and the log line', async () => {
    const flag = await cosign(['verify', '--insecure-ignore-tlog=maybe', 'x']);
    assert.equal(flag.code, 1);
    assert.match(flag.err, /^Error: invalid argument "maybe" for "--insecure-ignore-tlog" flag: strconv.ParseBool/);
    const sign = await cosign(['sign', '--key', 'k', '--tlog-upload=false']);
    assert.equal(sign.code, 1);
    assert.match(sign.err, /^Error: requires at least 1 arg\(s\), only received 0\n/);
    assert.match(sign.err.split('\n')[1] ?? '', LOG_LINE);
    const ref = await cosign(['verify', '--key', 'k', 'UPPER/Case']);
    assert.equal(ref.code, 1);
    assert.match(ref.err, /^Error: loading verifier from key opts: loading public key: /);
  });

  it("takes cosign's certificate flag aliases (--cert-identity is --certificate-identity)", async () => {
    const r = await cosign(['verify', '--cert-identity', 'me@example.com', 'example.com/x:1']);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^Error: --certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for verification in keyless mode\n/,
    );
  });

  it('verify-attestation refuses an unknown predicate type', async () => {
    const r = await cosign(['verify-attestation', '--type', 'nonsense', '--key', 'k', 'example.com/x:1']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: invalid predicate type: nonsense\n/);
  });
});
