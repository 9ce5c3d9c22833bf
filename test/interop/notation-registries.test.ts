/**
 * `dct notation` against both kinds of registry, with the notation CLI's own end-to-end data:
 * the fixture OCI layouts (signed by the real notation) pushed into dct server's embedded
 * registry (its referrers API serves the signatures) and into the real docker-registry 2.8 (the
 * `sha256-<hex>` tag index of the layout); each verified with the outcome the notation e2e
 * suite expects, inspected against notation's expected output; then signed by dct (JWS and
 * COSE) and verified; a tampered payload, a foreign certificate, an expired certificate without
 * timestamp and a signature for another digest each refused with its own code; a referrers
 * index of 10,000 entries handled within bounds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { RegistryClient } from '../../src/adapters/registry/registry-client.js';
import { RegistrySignatureStore } from '../../src/adapters/registry/signature-registry-client.js';
import { NotationFormatVerifier } from '../../src/app/notation/notation-format-verifier.js';
import { NotationRepository } from '../../src/app/notation/notation-repository.js';
import { trustPolicySource } from '../../src/app/notation/trust-policy-source.js';
import { loadTrustAnchors, loadTrustPolicy } from '../../src/adapters/notation/config/index.js';
import { verifyEnvelope } from '../../src/adapters/notation/envelope/index.js';
import { buildSignatureManifest } from '../../src/app/notation/signature-manifest.js';
import { attachReferrer } from '../../src/app/signatures/attach-referrer.js';
import { runNotation } from '../../src/cli/commands/notation/index.js';
import type { Descriptor } from '../../src/core/oci/descriptor.js';
import { EMPTY_JSON_DESCRIPTOR, OCI_MEDIA_TYPES } from '../../src/core/oci/media-types.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/start-server.js';
import { fixturePath } from '../support/fixtures.js';
import { interopSkip } from '../support/interop.js';
import { plainRegistryMissing, startPlainRegistry } from '../support/plain-registry.js';
import { startRecordingProxy } from '../support/recording-proxy.js';

const CLI = fixturePath('notation', 'notation-cli');
const LAYOUTS = join(CLI, 'oci-layouts');
const IMAGE = 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9';
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Target {
  host: string;
  stop(): Promise<void>;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

const work = mkdtempSync(join(tmpdir(), 'dct-notation-interop-'));
const dockerConfig = join(work, 'docker');
mkdirSync(dockerConfig);

/** a notation config directory: trust store ca:e2e = `caCert`, the policy, the e2e signing key */
function configDir(name: string, caCert: string, policy = 'trustpolicy.json', signingKey?: { key: string; cert: string }): string {
  const dir = join(work, `config-${name}`);
  mkdirSync(join(dir, 'truststore/x509/ca/e2e'), { recursive: true });
  copyFileSync(caCert, join(dir, 'truststore/x509/ca/e2e', 'e2e.crt'));
  copyFileSync(join(CLI, 'trustpolicies', policy), join(dir, 'trustpolicy.oci.json'));
  const key = signingKey ?? { key: join(CLI, 'localkeys/e2e.key'), cert: join(CLI, 'localkeys/e2e.crt') };
  writeFileSync(
    join(dir, 'signingkeys.json'),
    JSON.stringify({ default: 'e2e', keys: [{ name: 'e2e', keyPath: key.key, certPath: key.cert }] }),
  );
  return dir;
}

const E2E_CRT = join(CLI, 'localkeys/e2e.crt');
const configs = {
  base: configDir('base', E2E_CRT),
  permissive: configDir('permissive', E2E_CRT, 'permissive_trustpolicy.json'),
  audit: configDir('audit', E2E_CRT, 'audit_trustpolicy.json'),
  skip: configDir('skip', E2E_CRT, 'skip_trustpolicy.json'),
  newCert: configDir('new-cert', join(CLI, 'localkeys/new_e2e.crt')),
  newCertAudit: configDir('new-cert-audit', join(CLI, 'localkeys/new_e2e.crt'), 'audit_trustpolicy.json'),
  expiredCert: configDir('expired-cert', join(CLI, 'localkeys/expired_e2e.crt')),
  otherScope: configDir('other-scope', E2E_CRT, 'registry_scope_trustpolicy.json'),
  expiredCertPermissive: configDir('expired-cert-permissive', join(CLI, 'localkeys/expired_e2e.crt'), 'permissive_trustpolicy.json'),
};

/** a signing key whose certificate is in no trust store */
function foreignKey(): { key: string; cert: string } {
  const key = join(work, 'foreign.key');
  const cert = join(work, 'foreign.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '30',
      '-subj',
      '/C=US/ST=WA/L=Seattle/O=Foreign/CN=foreign',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'keyUsage=critical,digitalSignature',
      '-addext',
      'extendedKeyUsage=codeSigning',
    ],
    { stdio: 'ignore' },
  );
  return { key, cert };
}

async function notation(config: string, ...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runNotation(args, {
    io: { out: (s) => (out += s), err: (s) => (err += s) },
    env: { NOTATION_CONFIG: config, DOCKER_CONFIG: dockerConfig, HOME: work },
  });
  return { code, out, err };
}

const MANIFEST_TYPES = new Set<string>([OCI_MEDIA_TYPES.manifest, OCI_MEDIA_TYPES.index]);

/** Pushes an OCI layout: blobs, manifests by digest (subjects first), its tags (`sha256-…` only when `tagSchema`). */
async function pushLayout(store: RegistrySignatureStore, repo: string, layout: string, tagSchema: boolean): Promise<void> {
  const dir = join(LAYOUTS, layout, 'blobs/sha256');
  const manifests: Array<{ bytes: Buffer; mediaType: string; digest: string; subject?: Descriptor }> = [];
  for (const name of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, name));
    const digest = `sha256:${name}`;
    let doc: { mediaType?: string; subject?: Descriptor } | undefined;
    try {
      doc = JSON.parse(bytes.toString()) as { mediaType?: string; subject?: Descriptor };
    } catch {
      doc = undefined;
    }
    if (doc && typeof doc.mediaType === 'string' && MANIFEST_TYPES.has(doc.mediaType))
      manifests.push({ bytes, mediaType: doc.mediaType, digest, ...(doc.subject ? { subject: doc.subject } : {}) });
    else await store.writeBlob(repo, { mediaType: 'application/octet-stream', digest, size: bytes.length }, bytes);
  }
  const index = JSON.parse(readFileSync(join(LAYOUTS, layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const tagOf = (d: string) => index.manifests.find((m) => m.digest === d)?.annotations?.['org.opencontainers.image.ref.name'];
  const order = (m: (typeof manifests)[number]) => (m.mediaType === OCI_MEDIA_TYPES.index ? 2 : m.subject ? 1 : 0);
  const hasTagIndex = manifests.some((m) => tagOf(m.digest)?.startsWith('sha256-'));
  for (const m of manifests.sort((a, b) => order(a) - order(b))) {
    const tag = tagOf(m.digest);
    if (tag?.startsWith('sha256-')) {
      if (tagSchema) await store.putManifest(repo, tag, m.bytes, m.mediaType);
      continue;
    }
    await store.putManifest(repo, m.digest, m.bytes, m.mediaType);
    if (tag !== undefined) await store.putManifest(repo, tag, m.bytes, m.mediaType);
    // a layout without a tag index (notation's newer layouts): index it as notation would on this registry
    if (m.subject && tagSchema && !hasTagIndex)
      await attachReferrer(store, repo, { bytes: m.bytes, mediaType: m.mediaType, subject: m.subject }, { forceTag: true });
  }
}

/** a small image of its own (empty config, one layer) for the signing cases */
async function pushImage(store: RegistrySignatureStore, repo: string, note: string): Promise<Descriptor> {
  const layer = Buffer.from(note);
  const layerDesc = { mediaType: OCI_MEDIA_TYPES.layer, digest: sha256(layer), size: layer.length };
  await store.writeBlob(repo, layerDesc, layer);
  await store.writeBlob(repo, { ...EMPTY_JSON_DESCRIPTOR }, Buffer.from('{}'));
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.manifest, config: EMPTY_JSON_DESCRIPTOR, layers: [layerDesc] }),
  );
  await store.putManifest(repo, 'v1', bytes, OCI_MEDIA_TYPES.manifest);
  return { mediaType: OCI_MEDIA_TYPES.manifest, digest: sha256(bytes), size: bytes.length };
}

const targets: Array<[string, 'api' | 'tag', () => Promise<Target>, string | false]> = [
  [
    "dct server's embedded registry",
    'api',
    async () => {
      const data = mkdtempSync(join(tmpdir(), 'dct-notation-reg-'));
      const config = loadConfig({
        env: {},
        flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(data, 'dct.db')}`, dataDir: data, logLevel: 'warn' },
      });
      const server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'notation-test' }, pino({ level: 'warn' }));
      return {
        host: new URL(server.url).host,
        stop: async () => {
          await server.close();
          rmSync(data, { recursive: true, force: true });
        },
      };
    },
    false,
  ],
  ['docker-registry 2.8', 'tag', startPlainRegistry, interopSkip(plainRegistryMissing())],
];

after(() => rmSync(work, { recursive: true, force: true }));

for (const [name, mode, start, skip] of targets)
  describe(`dct notation on ${name}`, { skip }, () => {
    let target: Target;
    let store: RegistrySignatureStore;
    const ref = (repo: string, digest = IMAGE) => `${target.host}/${repo}@${digest}`;
    const REPOS: Record<string, string> = {
      e2e: 'e2e',
      'e2e-valid-signature': 'e2e-valid-signature',
      'e2e-invalid-signature': 'e2e-invalid-signature',
      'e2e-expired-signature': 'e2e-expired-signature',
      'e2e-with-expired-cert': 'e2e-with-expired-cert',
      'e2e-valid-multiple-signatures': 'e2e-valid-multiple-signatures',
      'e2e-with-timestamped-signature': 'e2e-insepct-timestamped',
      'e2e-with-invalid-timestamped-signature': 'e2e-inspect-invalid-timstamped',
    };

    before(async () => {
      target = await start();
      store = new RegistrySignatureStore(new RegistryClient(target.host, { insecureRegistries: [target.host] }));
      for (const [layout, repo] of Object.entries(REPOS)) await pushLayout(store, repo, layout, mode === 'tag');
    });
    after(async () => target?.stop());

    it('e2e-valid-signature verifies with the e2e trust store (strict), by digest and by tag', async () => {
      const r = await notation(configs.base, 'verify', ref('e2e-valid-signature'));
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `Successfully verified signature for ${ref('e2e-valid-signature')}\n`);
      const byTag = await notation(configs.base, 'verify', `${target.host}/e2e-valid-signature:v1`);
      assert.equal(byTag.code, 0, byTag.err);
      assert.match(byTag.err, /^Warning: Always verify the artifact using digest\(@sha256:\.\.\.\) rather than a tag\(:v1\)/);
    });

    it('e2e-valid-signature with another certificate in the store: authenticity fails at strict, is a warning at audit', async () => {
      const r = await notation(configs.newCert, 'verify', '-d', ref('e2e-valid-signature'));
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        new RegExp(`Error: signature verification failed for all the signatures associated with ${ref('e2e-valid-signature')}\n$`),
      );
      assert.match(r.err, /authenticity validation failed.*\[NOTATION_UNTRUSTED_SIGNER\]/);
      const audit = await notation(configs.newCertAudit, 'verify', ref('e2e-valid-signature'));
      assert.equal(audit.code, 0, audit.err);
      assert.match(
        audit.err,
        /Warning: authenticity was set to "log" and failed with error: .*the signature's certificate chain does not contain any trusted certificate/,
      );
    });

    it('e2e-invalid-signature: integrity fails at strict, permissive and audit; skip says so', async () => {
      for (const config of [configs.base, configs.permissive, configs.audit]) {
        const r = await notation(config, 'verify', '-d', ref('e2e-invalid-signature'));
        assert.equal(r.code, 1, r.out);
        assert.match(r.err, /Error: signature verification failed for all the signatures associated with/);
        assert.match(r.err, /integrity/i);
      }
      const skip = await notation(configs.skip, 'verify', ref('e2e-invalid-signature'));
      assert.equal(skip.code, 0, skip.err);
      assert.equal(skip.out, `Trust policy is configured to skip signature verification for ${ref('e2e-invalid-signature')}\n`);
    });

    it('e2e-expired-signature: expiry fails at strict, is a warning at permissive', async () => {
      const r = await notation(configs.base, 'verify', '-d', ref('e2e-expired-signature'));
      assert.equal(r.code, 1);
      assert.match(r.err, /expiry validation failed.*\[NOTATION_SIGNATURE_EXPIRED\]/);
      const p = await notation(configs.permissive, 'verify', ref('e2e-expired-signature'));
      assert.equal(p.code, 0, p.err);
      assert.match(p.err, /Warning: expiry was set to "log" and failed with error: digital signature has expired/);
      assert.match(p.out, /^Successfully verified signature for /);
    });

    it('e2e-with-expired-cert (no timestamp): authenticTimestamp fails at strict, is a warning at permissive', async () => {
      const r = await notation(configs.expiredCert, 'verify', '-d', ref('e2e-with-expired-cert'));
      assert.equal(r.code, 1);
      assert.match(r.err, /authenticTimestamp validation failed.*\[NOTATION_CERTIFICATE_NOT_VALID_NOW\]/);
      const p = await notation(configs.expiredCertPermissive, 'verify', ref('e2e-with-expired-cert'));
      assert.equal(p.code, 0, p.err);
      assert.match(p.err, /Warning: authenticTimestamp was set to "log"/);
      assert.ok(
        p.err.includes(
          'after certificate "O=Internet Widgits Pty Ltd,ST=Some-State,C=AU" validity period, it was expired at "Tue, 27 Jun 2023 06:10:00 +0000"',
        ),
        p.err,
      );
    });

    it('a policy whose scopes do not name the repository: no statement applies, in notation words', async () => {
      const r = await notation(configs.otherScope, 'verify', ref('e2e-valid-signature'));
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        `Error: signature verification failed: artifact "${ref('e2e-valid-signature')}" has no applicable oci trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy\n`,
      );
    });

    it('e2e-valid-multiple-signatures: verified (one signature suffices); listed as this registry lists them', async () => {
      const r = await notation(configs.base, 'verify', ref('e2e-valid-multiple-signatures'));
      assert.equal(r.code, 0, r.err);
      const list = await notation(configs.base, 'ls', ref('e2e-valid-multiple-signatures'));
      assert.equal(list.code, 0, list.err);
      const digests = [...list.out.matchAll(/[├└]── (sha256:[0-9a-f]{64})/g)].map((m) => m[1]);
      const first = 'sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f';
      const second = 'sha256:c3ebe4a20b6832328fc5078a7795ddc1114b896e13fca2add38109c3866b5fbf';
      // the tag index of the layout lists only the first; the referrers API finds both subjects
      assert.deepEqual(digests.sort(), mode === 'tag' ? [first] : [first, second].sort());
      assert.ok(list.out.startsWith(`${ref('e2e-valid-multiple-signatures')}\n└── application/vnd.cncf.notary.signature\n`));
    });

    it('the unsigned e2e image: verify refuses, list and inspect say it has no signature', async () => {
      const r = await notation(configs.base, 'verify', ref('e2e'));
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        `Error: signature verification failed: no signature is associated with "${ref('e2e')}", make sure the artifact was signed successfully\n`,
      );
      assert.equal((await notation(configs.base, 'list', ref('e2e'))).out, `${ref('e2e')} has no associated signature\n`);
      assert.equal((await notation(configs.base, 'inspect', ref('e2e'))).out, `${ref('e2e')} has no associated signature\n`);
    });

    it('NotationFormatVerifier (dct verify) reports every signature of e2e-valid-multiple-signatures with its verdict, signer and location', async () => {
      const verifier = new NotationFormatVerifier({
        openRegistry: () => Promise.resolve(store),
        policy: trustPolicySource({
          load: () => loadTrustPolicy(configs.base),
          anchors: (statement) => loadTrustAnchors(configs.base, statement),
        }),
        verifier: { verify: verifyEnvelope },
      });
      const reports = await verifier.verify({ registry: target.host, repository: 'e2e-valid-multiple-signatures', digest: IMAGE });
      const e2e = reports.find((r) => r.foundAt.reference.endsWith('90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f'));
      assert.equal(e2e?.verdict, 'verified');
      assert.equal(e2e?.signer?.subject, 'CN=e2e,O=Notary,L=Seattle,ST=WA,C=US');
      assert.equal(e2e?.timeSource, 'claimed');
      assert.equal(e2e?.signedAt, '2023-06-27T05:30:33.000Z');
      assert.equal(e2e?.foundAt.via, mode === 'api' ? 'referrers-api' : 'referrers-tag');
      assert.equal(reports.length, mode === 'api' ? 2 : 1);
      if (mode === 'api') {
        const other = reports.find((r) => r !== e2e);
        assert.equal(other?.verdict, 'failed');
        assert.equal(other?.signer?.subject, 'CN=testcert11,O=Notary,L=Seattle,ST=WA,C=US');
        assert.ok(other?.code, 'a failed report carries its code');
      }
    });

    const expected = (file: string) => readFileSync(join(CLI, 'expected-inspect', file), 'utf8').replaceAll('localhost:5000', target.host);
    const TIMESTAMPED = 'sha256:53b0191218aed9a3c1f7c661736ac40cfc8eb928642348fd843ba3f0483c0c20';
    const INVALID_TIMESTAMPED = 'sha256:f1da8cd70d6d851fa2313c8d6618f79508cf1e86877edf1c0bfe49a1b0a6467a';

    it('inspect prints notation expected tree and JSON for the timestamped signature', async () => {
      const tree = await notation(configs.base, 'inspect', ref('e2e-insepct-timestamped', TIMESTAMPED));
      assert.equal(tree.code, 0, tree.err);
      assert.equal(tree.out, expected('oci-with-timestamped-oci-layout.txt').trimEnd() + '\n');
      const json = await notation(configs.base, 'inspect', '--output', 'json', ref('e2e-insepct-timestamped', TIMESTAMPED));
      assert.equal(json.code, 0, json.err);
      assert.deepEqual(JSON.parse(json.out), JSON.parse(expected('oci-with-timestamped-oci-layout-and-output-in-json.json')));
    });

    it('inspect shows an unparsable timestamp countersignature as notation does', async () => {
      const tree = await notation(configs.base, 'inspect', ref('e2e-inspect-invalid-timstamped', INVALID_TIMESTAMPED));
      assert.equal(tree.code, 0, tree.err);
      const want = expected('oci-with-invalid-timestamp-signature-in-text-format.txt').trimEnd().split('\n');
      const got = tree.out.trimEnd().split('\n');
      assert.equal(got.length, want.length, tree.out);
      // the timestamp parser's own words after "failed to parse timestamp countersignature:" are Go's; the rest is byte-exact
      got.forEach((line, i) =>
        line.includes('error: failed to parse timestamp countersignature:')
          ? assert.match(want[i] as string, /error: failed to parse timestamp countersignature:/)
          : assert.equal(line, want[i]),
      );
    });

    it('signs with the e2e key (JWS, then COSE) and verifies; list shows both', async () => {
      const image = await pushImage(store, 'signed-by-dct', `signed by dct on ${name}`);
      const jws = await notation(configs.base, 'sign', '--user-metadata', 'purpose=test', ref('signed-by-dct', image.digest));
      assert.equal(jws.code, 0, jws.err);
      assert.match(
        jws.out,
        new RegExp(
          `^Successfully signed ${ref('signed-by-dct', image.digest)}\nPushed the signature to ${target.host}/signed-by-dct@sha256:[0-9a-f]{64}\n$`,
        ),
      );
      const cose = await notation(
        configs.base,
        'sign',
        '--signature-format',
        'cose',
        '--force-referrers-tag=false',
        '-e',
        '24h',
        `${target.host}/signed-by-dct:v1`,
      );
      assert.equal(cose.code, 0, cose.err);
      assert.match(cose.err, /^Warning: Always sign the artifact using digest/);
      const verified = await notation(configs.base, 'verify', '-m', 'purpose=test', ref('signed-by-dct', image.digest));
      assert.equal(verified.code, 0, verified.err);
      assert.match(
        verified.out,
        /^Successfully verified signature for .*\n\nThe artifact was signed with the following user metadata.\n\nKEY +VALUE +\npurpose +test +\n$/,
      );
      const list = await notation(configs.base, 'list', ref('signed-by-dct', image.digest));
      assert.equal([...list.out.matchAll(/── sha256:/g)].length, 2, list.out);
      const inspect = await notation(configs.base, 'inspect', '-o', 'json', ref('signed-by-dct', image.digest));
      assert.equal(inspect.code, 0, inspect.err);
      const types = (JSON.parse(inspect.out) as { signatures: Array<{ signatureEnvelopeType: string }> }).signatures.map(
        (s) => s.signatureEnvelopeType,
      );
      assert.deepEqual(types.sort(), ['application/cose', 'application/jose+json']);
    });

    it('refuses a tampered payload, a foreign certificate and a signature for another digest, each with its own code', async () => {
      const repo = 'refusals';
      const repository = new NotationRepository(store, repo, `${target.host}/${repo}`);
      // tampered: a dct signature's JWS payload rewritten (another target, an added annotation), the signature kept
      const tampered = await pushImage(store, repo, 'tampered');
      assert.equal((await notation(configs.base, 'sign', ref(repo, tampered.digest))).code, 0);
      const listed = await store.referrers(repo, tampered.digest, { artifactType: 'application/vnd.cncf.notary.signature' });
      const env = await repository.envelope(listed.manifests[0] as Descriptor);
      const jws = JSON.parse(env.bytes.toString()) as { payload: string };
      const payload = JSON.parse(Buffer.from(jws.payload, 'base64url').toString()) as { targetArtifact: Descriptor };
      const tamperedImage = await pushImage(store, `${repo}-t`, 'tampered 2');
      const tamperedRepo = new NotationRepository(store, `${repo}-t`, `${target.host}/${repo}-t`);
      payload.targetArtifact = { ...tamperedImage, annotations: { injected: 'yes' } };
      jws.payload = Buffer.from(JSON.stringify(payload)).toString('base64url');
      const chainPem = readFileSync(E2E_CRT);
      const built = buildSignatureManifest(
        { bytes: Buffer.from(JSON.stringify(jws)), mediaType: env.mediaType, chain: [new X509Certificate(chainPem)] },
        tamperedImage,
        new Date(),
      );
      await tamperedRepo.push(built, tamperedImage, mode === 'tag');
      const t = await notation(configs.base, 'verify', '-d', ref(`${repo}-t`, tamperedImage.digest));
      assert.equal(t.code, 1);
      assert.match(t.err, /\[NOTATION_SIGNATURE_INVALID\]/);

      // foreign: signed by a certificate in no trust store
      const foreignImage = await pushImage(store, `${repo}-f`, 'foreign');
      const foreignConfig = configDir('foreign-signer', E2E_CRT, 'trustpolicy.json', foreignKey());
      const signed = await notation(foreignConfig, 'sign', ref(`${repo}-f`, foreignImage.digest));
      assert.equal(signed.code, 0, signed.err);
      const f = await notation(configs.base, 'verify', '-d', ref(`${repo}-f`, foreignImage.digest));
      assert.equal(f.code, 1);
      assert.match(f.err, /\[NOTATION_UNTRUSTED_SIGNER\]/);

      // another digest: image A's signature (valid, trusted) attached to image B
      const a = await pushImage(store, `${repo}-d`, 'image A');
      assert.equal((await notation(configs.base, 'sign', ref(`${repo}-d`, a.digest))).code, 0);
      const dRepo = new NotationRepository(store, `${repo}-d`, `${target.host}/${repo}-d`);
      const aSig = await store.referrers(`${repo}-d`, a.digest, { artifactType: 'application/vnd.cncf.notary.signature' });
      const aEnv = await dRepo.envelope(aSig.manifests[0] as Descriptor);
      const bBytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MEDIA_TYPES.manifest,
          config: EMPTY_JSON_DESCRIPTOR,
          layers: [],
          annotations: { b: 'yes' },
        }),
      );
      await store.putManifest(`${repo}-d`, 'b', bBytes, OCI_MEDIA_TYPES.manifest);
      const b: Descriptor = { mediaType: OCI_MEDIA_TYPES.manifest, digest: sha256(bBytes), size: bBytes.length };
      await dRepo.push(
        buildSignatureManifest({ bytes: aEnv.bytes, mediaType: aEnv.mediaType, chain: [new X509Certificate(chainPem)] }, b, new Date()),
        b,
        mode === 'tag',
      );
      const d = await notation(configs.base, 'verify', '-d', ref(`${repo}-d`, b.digest));
      assert.equal(d.code, 1);
      assert.match(d.err, /\[NOTATION_SUBJECT_MISMATCH\]/);
    });

    it(
      'a referrers index of 10,000 entries: bounded work, refused with the limit',
      { skip: mode === 'api' ? 'the referrers API computes its list; the tag index is the tag schema' : false },
      async () => {
        const image = await pushImage(store, 'flood', 'flooded');
        // docker-registry checks that an index's entries exist: one (bad) signature manifest, listed 10,000 times
        const bad = buildSignatureManifest(
          { bytes: Buffer.from('not an envelope'), mediaType: 'application/jose+json', chain: [] },
          image,
          new Date(),
        );
        await store.writeBlob('flood', bad.envelope.descriptor, bad.envelope.bytes);
        await store.writeBlob('flood', bad.config.descriptor, bad.config.bytes);
        await store.putManifest('flood', bad.descriptor.digest, bad.bytes, OCI_MEDIA_TYPES.manifest);
        const manifests = Array.from({ length: 10_000 }, () => bad.descriptor);
        await store.putManifest(
          'flood',
          image.digest.replace(':', '-'),
          Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests })),
          OCI_MEDIA_TYPES.index,
        );
        // through a proxy that counts the requests: the work is bounded by what is fetched, not by how long it takes
        const proxy = await startRecordingProxy(`http://${target.host}`);
        try {
          const r = await notation(
            configs.base,
            'verify',
            '-d',
            '--max-signatures',
            '20',
            `${new URL(proxy.url).host}/flood@${image.digest}`,
          );
          assert.equal(r.code, 1);
          assert.equal([...r.err.matchAll(/failed verification with error/g)].length, 20, r.err);
          const manifestGets = proxy.requests.filter((q) => q.method === 'GET' && q.target.startsWith('/v2/flood/manifests/')).length;
          assert.ok(manifestGets <= 22, `${manifestGets} manifest requests: the subject, the index and 20 signatures at most`);
        } finally {
          await proxy.close();
        }
        const list = await notation(configs.base, 'list', '--max-signatures', '5', ref('flood', image.digest));
        assert.equal(list.code, 0);
        assert.match(list.out, /Warning: exceeded configured limit of max signatures 5 to examine\n$/);
      },
    );
  });
