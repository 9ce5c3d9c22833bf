/**
 * The CLI's signature-format wiring releases what it opened: after `close()`, no keep-alive
 * connection to the image's registry is left (the admission webhook wires it once per
 * decision, for ever; a leaked socket per decision exhausted a registry's per-client limit).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signatureFormats } from '../../src/cli/signature-formats.js';
import type { TrustIo } from '../../src/cli/docker-trust/io.js';
import { parseImageReference } from '../../src/core/image-reference.js';

const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 },
    layers: [],
  }),
);
const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

describe('signatureFormats: close() releases the registry connections', () => {
  let server: Server;
  let home: string;
  let port = 0;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'dct-sigformats-'));
    server = createServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      if (req.url === '/v2/app/manifests/v1' || req.url === `/v2/app/manifests/${digest}`) {
        res.writeHead(200, {
          'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
          'Docker-Content-Digest': digest,
          'Content-Length': String(manifest.length),
        });
        return void res.end(req.method === 'HEAD' ? undefined : manifest);
      }
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    server.close();
    rmSync(home, { recursive: true, force: true });
  });

  const connections = () => new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));

  it('opens a connection to read the registry, and none is left after close()', async () => {
    const env = { HOME: home, DOCKER_CONFIG: join(home, 'docker'), DCT_CONFIG: join(home, 'dct.json') };
    const io: TrustIo = {
      out: () => {},
      err: () => {},
      readLine: async () => undefined,
      env,
      cwd: home,
      now: () => new Date(),
      hints: false,
    };
    const formats = signatureFormats(io, [() => ({ format: 'cosign', verify: () => Promise.resolve([]) })]);
    const target = await formats.target(parseImageReference(`127.0.0.1:${port}/app:v1`));
    assert.equal(await target.resolveTag?.('v1'), digest);
    assert.ok((await connections()) > 0, 'a keep-alive connection is open while the wiring is in use');
    formats.close();
    for (let i = 0; i < 50 && (await connections()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await connections(), 0);
  });
});
