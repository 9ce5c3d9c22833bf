/**
 * The dashboard's formats: an image of the embedded registry signed with DCT (`dct trust
 * sign`), cosign (`dct cosign sign`, a key pair of `dct cosign generate-key-pair`) and Notation
 * (`dct notation sign`, a test certificate) shows all three on its tag and in its summary; a tag
 * signed with DCT only shows DCT.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExpiryPage, RepositoryDetail, RepositoryPage } from '../../../src/app/dashboard/dashboard-api.js';
import type { Io } from '../../../src/cli/cobra/command.js';
import { runCosign } from '../../../src/cli/commands/cosign/index.js';
import { runNotation } from '../../../src/cli/commands/notation/index.js';
import { runTrust } from '../../../src/cli/commands/trust/index.js';
import type { TrustIo } from '../../../src/cli/docker-trust/io.js';
import { buildImage, pushImage, Raw, startTestServer, type TestServer } from '../registry/support.js';

describe('dashboard formats: DCT, cosign and Notation signatures of embedded-registry images', () => {
  let server: TestServer;
  let home: string;
  let env: Record<string, string>;
  const both = buildImage('dashboard-formats-all');
  const dctOnly = buildImage('dashboard-formats-dct');

  const capture = async (f: (io: Io & TrustIo) => Promise<number>): Promise<string> => {
    let out = '';
    let err = '';
    const io = {
      out: (t: string) => void (out += t),
      err: (t: string) => void (err += t),
      readLine: async () => undefined,
      env,
      cwd: home,
      now: () => new Date(),
      hints: false,
    };
    const code = await f(io);
    assert.equal(code, 0, `${out}${err}`);
    return out;
  };
  const cosign = (...args: string[]) => capture((io) => runCosign(args, { io, env, stdin: process.stdin }));
  const notation = (...args: string[]) => capture((io) => runNotation(args, { io, env }));
  const trust = (...args: string[]) => capture((io) => runTrust(args, io));

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'dct-dashboard-formats-'));
    mkdirSync(join(home, 'docker'), { recursive: true });
    server = await startTestServer({ tls: true });
    // the server's CA as docker's trust commands find it
    mkdirSync(join(home, 'docker', 'tls', server.host), { recursive: true });
    writeFileSync(join(home, 'docker', 'tls', server.host, 'ca.crt'), server.ca as Buffer);
    env = {
      HOME: home,
      DOCKER_CONFIG: join(home, 'docker'),
      DCT_CONFIG: join(home, 'dct.json'),
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'formats-root-pass',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'formats-repo-pass',
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      COSIGN_PASSWORD: 'formats-cosign-pass',
      NOTATION_CONFIG: join(home, 'notation'),
      PATH: process.env['PATH'] ?? '',
    };
    const raw = new Raw(server.url, server.ca);
    await pushImage(raw, 'team/app', both, 'v1');
    await pushImage(raw, 'team/app', dctOnly, 'v2');
    const gun = `${server.host}/team/app`;
    await trust('sign', `${gun}:v1`, '--digest', both.digest, '--size', String(both.size));
    await trust('sign', `${gun}:v2`, '--digest', dctOnly.digest, '--size', String(dctOnly.size));
    await cosign('generate-key-pair', '--output-key-prefix', join(home, 'release'));
    await cosign('sign', '--key', join(home, 'release.key'), '--tlog-upload=false', '--yes', `${gun}@${both.digest}`);
    await notation('cert', 'generate-test', '--default', 'formats.example');
    await notation('sign', `${gun}@${both.digest}`);
  });
  after(async () => {
    await server?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('shows each tag with the formats that signed its digest, and the repository with all of them', { timeout: 120_000 }, async () => {
    const gun = `${server.host}/team/app`;
    const raw = new Raw(server.url, server.ca);
    const detail = (await raw.call(`/ui/api/repositories/${gun}`)).json<RepositoryDetail>();
    assert.deepEqual(
      detail.tags.map((t) => [t.tag, t.digest, t.formats]),
      [
        ['v1', both.digest.slice(7), ['dct', 'cosign', 'notation']],
        ['v2', dctOnly.digest.slice(7), ['dct']],
      ],
    );
    const page = (await raw.call(`/ui/api/repositories?q=${encodeURIComponent(gun)}`)).json<RepositoryPage>();
    assert.deepEqual(page.items[0]?.formats, ['dct', 'cosign', 'notation']);
    // the Notation signature's signing certificate is in the expiry timeline (cosign signed with a key: no certificate)
    const expiry = (await raw.call('/ui/api/expiry?limit=500')).json<ExpiryPage>();
    const certificates = expiry.items.filter((i) => i.kind.endsWith('-certificate') && i.kind !== 'root-certificate');
    assert.deepEqual(
      certificates.map((i) => [i.gun, i.kind, i.name]),
      [[gun, 'notation-certificate', 'formats.example']],
    );
    // notation's test certificates are short-lived: inside the 14-day window it is expiring
    const left = Date.parse(certificates[0]?.expires ?? '') - Date.now();
    assert.ok(left > 0, certificates[0]?.expires);
    assert.equal(certificates[0]?.status, left <= 14 * 86_400_000 ? 'expiring' : 'ok');
    const session = (await raw.call('/ui/api/session')).json<{ registry: boolean }>();
    assert.equal(session.registry, true);
  });
});
