/**
 * `dct cosign sign | verify` as cosign 3 runs them, on both registries: key files in
 * cosign's format, both layouts (`--new-bundle-format=false` writes the legacy tag), the
 * stderr lines and the JSON list cosign prints, and cosign's errors and exit codes
 * (`no signatures found` 10, `no matching signatures` 12, image not found 11).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCosignKeyPair, writeCosignPrivateKey, writeCosignPublicKey } from '../../../src/adapters/cosign/key-file.js';
import { RegistryClient } from '../../../src/adapters/registry/registry-client.js';
import { RegistrySignatureStore } from '../../../src/adapters/registry/signature-registry-client.js';
import { pushImage, REGISTRIES, type TestRegistry } from '../../app/cosign/images/registries.js';
import { cosign } from '../../app/cosign/images/run-cosign.js';

for (const [name, , start, skip] of REGISTRIES)
  describe(`dct cosign sign and verify: ${name}`, { skip }, () => {
    let registry: TestRegistry;
    let store: RegistrySignatureStore;
    let dir: string;
    let key: string;
    let pub: string;
    let otherPub: string;
    let digest: string;

    before(async () => {
      registry = await start();
      store = new RegistrySignatureStore(new RegistryClient(registry.host, {}));
      dir = mkdtempSync(join(tmpdir(), 'dct-cosign-cli-'));
      const pair = generateCosignKeyPair();
      key = join(dir, 'cosign.key');
      pub = join(dir, 'cosign.pub');
      otherPub = join(dir, 'other.pub');
      writeFileSync(key, writeCosignPrivateKey(pair.privateKey, 'secret'));
      writeFileSync(pub, writeCosignPublicKey(pair.publicKey));
      writeFileSync(otherPub, writeCosignPublicKey(generateCosignKeyPair().publicKey));
      digest = (await pushImage(store, 'demo/app', 'v1', 'cli image')).digest;
    });
    after(async () => {
      await registry?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('verify before any signature: no signatures found, exit 10; a missing image exit 11', async () => {
      const r = await cosign(['verify', '--key', pub, '--insecure-ignore-tlog', `${registry.host}/demo/app:v1`]);
      assert.equal(r.code, 10, r.err);
      assert.match(r.err, /^WARNING: Skipping tlog verification is an insecure practice/);
      assert.match(
        r.err,
        /\nError: no signatures found\n\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d error during command execution: no signatures found\n$/,
      );
      assert.equal(r.out, '');
      const missing = await cosign(['verify', '--key', pub, '--insecure-ignore-tlog', `${registry.host}/demo/app:nope`]);
      assert.equal(missing.code, 11, missing.err);
      assert.match(missing.err, /Error: image tag not found/);
    });

    it('signs in the legacy layout and verifies: the JSON list of payloads, cosign claims and key checks', async () => {
      const ref = `${registry.host}/demo/app@${digest}`;
      const s = await cosign(['sign', '--key', key, '--tlog-upload=false', '--new-bundle-format=false', '-a', 'team=web', ref]);
      assert.equal(s.code, 0, s.err);
      assert.equal(s.err, `Pushing signature to: ${registry.host}/demo/app\n`);
      const v = await cosign(['verify', '--key', pub, '--insecure-ignore-tlog=true', `${registry.host}/demo/app:v1`]);
      assert.equal(v.code, 0, v.err);
      assert.equal(
        v.err,
        'WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.\n' +
          `\nVerification for ${registry.host}/demo/app:v1 --\n` +
          'The following checks were performed on each of these signatures:\n' +
          '  - The cosign claims were validated\n' +
          '  - The signatures were verified against the specified public key\n',
      );
      assert.equal(
        v.out,
        `\n[{"critical":{"identity":{"docker-reference":"${registry.host}/demo/app"},"image":{"docker-manifest-digest":"${digest}"},` +
          '"type":"cosign container image signature"},"optional":{"team":"web"}}]\n',
      );
      const wrongKey = await cosign(['verify', '--key', otherPub, '--insecure-ignore-tlog', '--new-bundle-format=false', ref]);
      assert.equal(wrongKey.code, 12, wrongKey.err);
      assert.match(wrongKey.err, /Error: no matching signatures: invalid signature when validating ASN\.1 encoded signature\n/);
      const annotation = await cosign(['verify', '--key', pub, '--insecure-ignore-tlog', '-a', 'team=db', ref]);
      assert.equal(annotation.code, 12);
      assert.match(annotation.err, /missing or incorrect annotation/);
    });

    it("signs in cosign 3's bundle layout and verifies it first", async () => {
      const ref = `${registry.host}/demo/app:v1`;
      const s = await cosign(['sign', '--key', key, '--tlog-upload=false', ref]);
      assert.equal(s.code, 0, s.err);
      assert.match(s.err, /^WARNING: Image reference .* uses a tag, not a digest/);
      const v = await cosign(['verify', '--key', pub, '--insecure-ignore-tlog', '--output-file', join(dir, 'out.json'), ref]);
      assert.equal(v.code, 0, v.err);
      assert.match(
        v.err,
        / {2}- The cosign claims were validated\n {2}- Existence of the claims in the transparency log was verified offline\n {2}- The signatures were verified/,
      );
      assert.equal(
        readFileSync(join(dir, 'out.json'), 'utf8'),
        `\n[{"critical":{"identity":{"docker-reference":"${ref}"},"image":{"docker-manifest-digest":"${digest}"},` +
          '"type":"https://sigstore.dev/cosign/sign/v1"},"optional":{}}]\n',
      );
      const wrongKey = await cosign(['verify', '--key', otherPub, '--insecure-ignore-tlog', ref]);
      assert.equal(wrongKey.code, 1);
      assert.match(wrongKey.err, /Error: no matching attestations: /);
    });

    it('writes --output-signature and --output-certificate, and stops when the log upload prompt is declined', async () => {
      const ref = `${registry.host}/demo/app@${digest}`;
      const sigFile = join(dir, 'sig.b64');
      const certFile = join(dir, 'key.pem');
      const s = await cosign([
        'sign',
        '--key',
        key,
        '--tlog-upload=false',
        '--output-signature',
        sigFile,
        '--output-certificate',
        certFile,
        ref,
      ]);
      assert.equal(s.code, 0, s.err);
      assert.match(readFileSync(sigFile, 'utf8'), /^[A-Za-z0-9+/]+=*$/);
      assert.equal(readFileSync(certFile, 'utf8'), readFileSync(pub, 'utf8'));
      assert.match(s.err, new RegExp(`Certificate wrote in the file ${certFile}\n`));
      const declined = await cosign(['sign', '--key', key, ref], {}, 'n\n');
      assert.equal(declined.code, 1);
      assert.match(declined.err, /The sigstore service, hosted by sigstore a Series of LF Projects, LLC/);
      assert.match(
        declined.err,
        /Are you sure you would like to continue\? \[y\/N\] Error: signing digest: should upload to tlog: user declined the prompt\n/,
      );
    });

    it('refuses the usage cosign refuses', async () => {
      const both = await cosign(['verify', '--key', pub, '--cert-identity', 'a@b', `${registry.host}/demo/app:v1`]);
      assert.equal(both.code, 1);
      assert.match(both.err, /^Error: exactly one of: key reference \(--key\) or certificate identity/);
      const noIdentity = await cosign(['verify', `${registry.host}/demo/app:v1`]);
      assert.match(noIdentity.err, /--certificate-identity or --certificate-identity-regexp is required for verification in keyless mode/);
      const flag = await cosign(['verify', '--nope', 'x']);
      assert.equal(flag.code, 1);
      assert.match(flag.err, /^Error: unknown flag: --nope\n/);
    });
  });
