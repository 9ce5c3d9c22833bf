/**
 * notation's registry credentials: `-u`/`-p` (else NOTATION_USERNAME/NOTATION_PASSWORD) are
 * sent to a registry that asks for basic auth, instead of docker's; a username without a
 * password is refused before any request, in notation's words.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runNotation } from '../../../src/cli/commands/notation/index.js';

describe('notation -u/-p: registry credentials', () => {
  let server: Server;
  let host: string;
  const seen: string[] = [];
  const home = mkdtempSync(join(tmpdir(), 'dct-notation-creds-'));
  const digest = `sha256:${'a'.repeat(64)}`;

  before(async () => {
    // a registry that wants basic auth everywhere and has nothing
    server = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      if (!req.headers.authorization) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"', 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(home, { recursive: true, force: true });
  });

  const run = async (args: string[], env: Record<string, string> = {}) => {
    let out = '';
    let err = '';
    const code = await runNotation(args, {
      io: { out: (s) => (out += s), err: (s) => (err += s) },
      env: { HOME: home, DOCKER_CONFIG: join(home, 'docker'), NOTATION_CONFIG: join(home, 'notation'), ...env },
    });
    return { code, out, err };
  };
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  it('sends -u/-p as basic credentials', async () => {
    seen.length = 0;
    const r = await run(['ls', '-u', 'alice', '-p', 's3cret', `${host}/repo@${digest}`]);
    assert.notEqual(r.code, 0);
    assert.ok(seen.includes(basic('alice', 's3cret')), `authorization headers seen: ${JSON.stringify(seen)}`);
  });

  it('falls back to NOTATION_USERNAME / NOTATION_PASSWORD', async () => {
    seen.length = 0;
    await run(['ls', `${host}/repo@${digest}`], { NOTATION_USERNAME: 'bob', NOTATION_PASSWORD: 'pw' });
    assert.ok(seen.includes(basic('bob', 'pw')), `authorization headers seen: ${JSON.stringify(seen)}`);
  });

  it('refuses a username without a password before any request', async () => {
    seen.length = 0;
    const r = await run(['ls', '-u', 'alice', `${host}/repo@${digest}`]);
    assert.equal(r.code, 1);
    assert.match(r.err, /password is required when username is provided/);
    assert.deepEqual(seen, []);
  });
});
