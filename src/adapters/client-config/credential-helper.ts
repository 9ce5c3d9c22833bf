/**
 * docker credential helpers: a `docker-credential-<name> get` program reads the server
 * address on stdin and prints `{"ServerURL","Username","Secret"}` (user `<token>` means an
 * identity token).
 */
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { DctError } from '../../core/errors.js';
import type { RegistryCredentials } from '../http/registry-auth.js';
import type { Env } from './docker-config-file.js';
import { field, isObject } from './json-fields.js';

const TOKEN_USERNAME = '<token>';
const HELPER_PREFIX = 'docker-credential-';
const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';

/** Runs a credential helper: `(program, stdin)` → exit code and stdout. */
export type HelperRunner = (program: string, args: readonly string[], input: string) => Promise<{ code: number; stdout: string }>;

/** How a credential helper is run (part of `DockerCredentialOptions`). */
export interface CredentialHelperOptions {
  env?: Env;
  runHelper?: HelperRunner;
  /** deadline for a credential helper (default 60 s: some show a dialog) */
  helperTimeoutMs?: number;
}

/**
 * `docker-credential-<helper> get` with the server address on stdin. Undefined when
 * the helper has nothing for it; CREDENTIAL_HELPER_FAILED when it cannot be run or fails
 * (its output is quoted only when it is not JSON, so a secret never reaches the message).
 */
export async function credentialsFromHelper(
  helper: string,
  serverAddress: string,
  opts: CredentialHelperOptions = {},
): Promise<RegistryCredentials | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    throw new DctError('CREDENTIAL_HELPER_FAILED', `invalid credential helper name ${JSON.stringify(helper)} in the docker config`);
  }
  const program = HELPER_PREFIX + helper;
  const run = opts.runHelper ?? defaultHelperRunner(opts.env ?? process.env, opts.helperTimeoutMs ?? 60_000);
  let result: { code: number; stdout: string };
  try {
    result = await run(program, ['get'], serverAddress);
  } catch (err) {
    throw new DctError(
      'CREDENTIAL_HELPER_FAILED',
      `error getting credentials for ${serverAddress} from ${program}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const out = result.stdout.trim();
  if (result.code !== 0) {
    if (out === NOT_FOUND_MESSAGE) return undefined;
    const said = out === '' || out.startsWith('{') ? '' : `: ${out.slice(0, 200)}`;
    throw new DctError(
      'CREDENTIAL_HELPER_FAILED',
      `error getting credentials for ${serverAddress} from ${program} (exit status ${result.code})${said}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    throw new DctError('CREDENTIAL_HELPER_FAILED', `${program} answered with something that is not JSON for ${serverAddress}`);
  }
  if (!isObject(json))
    throw new DctError('CREDENTIAL_HELPER_FAILED', `${program} answered with something that is not a JSON object for ${serverAddress}`);
  const username = field(json, 'Username');
  const secret = field(json, 'Secret');
  const u = typeof username === 'string' ? username : '';
  const s = typeof secret === 'string' ? secret : '';
  if (u === TOKEN_USERNAME) return s ? { identityToken: s } : undefined;
  return u && s ? { username: u, password: s } : undefined;
}

function defaultHelperRunner(env: Env, timeoutMs: number): HelperRunner {
  // node:child_process loads only when a credential helper actually runs
  return async (program, args, input) => {
    const { spawn } = await import('node:child_process');
    return new Promise((resolve, reject) => {
      const child = spawn(program, [...args], { env: env, stdio: ['pipe', 'pipe', 'ignore'] });
      const chunks: Buffer[] = [];
      let size = 0;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      child.stdout.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 1024 * 1024) {
          child.kill('SIGKILL');
          return;
        }
        chunks.push(c);
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(`exec: "${program}": executable file not found in $PATH`) : err,
        );
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(chunks).toString('utf8') });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    });
  };
}

/** docker's `DetectDefaultStore` (only used when config.json holds no credentials at all). */
export async function detectDefaultStore(env: Env): Promise<string | undefined> {
  const path = env['PATH'] ?? '';
  let platform: string | undefined;
  if (process.platform === 'darwin') platform = 'osxkeychain';
  else if (process.platform === 'win32') platform = 'wincred';
  else if (process.platform === 'linux') platform = (await onPath('pass', path)) ? 'pass' : 'secretservice';
  if (platform === undefined) return undefined;
  return (await onPath(HELPER_PREFIX + platform, path)) ? platform : undefined;
}

async function onPath(name: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    for (const candidate of process.platform === 'win32' ? [`${name}.exe`, name] : [name]) {
      try {
        await access(join(dir, candidate), fsConstants.X_OK);
        return true;
      } catch {
        // next
      }
    }
  }
  return false;
}
