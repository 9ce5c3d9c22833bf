/** Running `dct notary` in process (output captured) against an in-process `dct server`. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { runNotary } from '../../../src/cli/commands/notary/index.js';
import { createCertificate } from '../../../src/core/keys/certificate.js';
import { loadConfig, type ServerConfig } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';

export const PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'rootpass123',
  NOTARY_TARGETS_PASSPHRASE: 'targetspass123',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshotpass123',
  NOTARY_DELEGATION_PASSPHRASE: 'delegpass123',
};

export interface Result {
  code: number;
  out: string;
  err: string;
  /** raw bytes written to stdout (verify's payload) */
  bytes: Buffer;
}

export interface Runner {
  (...args: string[]): Promise<Result>;
  /** with stdin and extra environment */
  with(opts: { input?: string; env?: Record<string, string | undefined> }, ...args: string[]): Promise<Result>;
}

/** `dct notary -s <url> [--tlscacert <ca>] -d <trustDir> …` in process, cwd `dir`, HOME `dir` */
export function notaryRunner(dir: string, server: { url: string; caFile?: string } | undefined, trustDir = join(dir, 'trust')): Runner {
  const call = async (opts: { input?: string; env?: Record<string, string | undefined> }, args: string[]): Promise<Result> => {
    let out = '';
    let err = '';
    const bytes: Buffer[] = [];
    const prefix = server ? ['-s', server.url, ...(server.caFile ? ['--tlscacert', server.caFile] : [])] : [];
    const code = await runNotary([...prefix, '-d', trustDir, ...args], {
      env: { HOME: dir, ...PASSPHRASES, ...(opts.env ?? {}) },
      cwd: dir,
      io: { out: (s) => void (out += s), err: (s) => void (err += s), bytes: (b) => void bytes.push(b) },
      stdin: Readable.from([opts.input ?? '']),
    });
    return { code, out, err, bytes: Buffer.concat(bytes) };
  };
  const runner = ((...args: string[]) => call({}, args)) as Runner;
  runner.with = (opts, ...args) => call(opts, args);
  return runner;
}

/** A dct server on 127.0.0.1: plain HTTP unless `tls`, sqlite in `dir`. */
export async function startDctServer(dir: string, more: Partial<ServerConfig> = {}, tls = false): Promise<RunningServer> {
  mkdirSync(dir, { recursive: true });
  const config = loadConfig({
    env: {},
    flags: {
      listen: '127.0.0.1:0',
      storage: `sqlite:${join(dir, 'dct.db')}`,
      dataDir: join(dir, 'data'),
      logLevel: 'warn',
      ...(tls ? {} : { plainHttp: true }),
      ...more,
    },
  });
  return startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys' }, pino({ level: 'silent' }));
}

/** A P-256 key pair with a self-signed certificate (CN `cn`), as PEM files `<base>.key`/`.crt`/`.pub`. */
export function writeDelegationKey(base: string, cn: string, days = 365): { keyFile: string; certFile: string; pubFile: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = new Date();
  const cert = createCertificate({
    commonName: cn,
    publicKey,
    signingKey: privateKey,
    notBefore: now,
    notAfter: new Date(now.getTime() + days * 24 * 3600 * 1000),
    serial: Buffer.from('0102030405060708', 'hex'),
    extensions: [],
  });
  writeFileSync(`${base}.key`, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(`${base}.crt`, cert);
  writeFileSync(`${base}.pub`, publicKey.export({ format: 'pem', type: 'spki' }));
  return { keyFile: `${base}.key`, certFile: `${base}.crt`, pubFile: `${base}.pub` };
}

/** notary's tables: columns padded to the widest cell + 4 (Go tabwriter), last column bare */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 4, c.length + 4)));
  return rows.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i] as number) : c)).join('') + '\n').join('');
}
