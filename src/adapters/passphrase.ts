/**
 * Passphrases for private key files, the way notary and docker get them
 * (`N:passphrase/passphrase.go`, `N:cmd/notary/main.go`, `C:cli/trust/trust.go`):
 * environment variables first, then a no-echo terminal prompt with notary's texts,
 * else a clear PASSPHRASE_REQUIRED error.
 *
 * Environment variables (empty values count as unset, as in Go):
 * - docker: DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE for `root`,
 *   DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE for every other role (targets,
 *   snapshot, delegations, docker signer names);
 * - notary: NOTARY_ROOT_PASSPHRASE, NOTARY_TARGETS_PASSPHRASE,
 *   NOTARY_SNAPSHOT_PASSPHRASE, and NOTARY_DELEGATION_PASSPHRASE for any role that
 *   is not a base role (so, as in notary, not for `timestamp`);
 * - combined: the docker name first, then the notary one.
 */
import type { EventEmitter } from 'node:events';
import { CoreError, DctError, isDctError } from '../core/errors.js';

import type { PassphraseRequest, PassphraseSource } from '../core/ports.js';

export type { PassphraseRequest, PassphraseSource } from '../core/ports.js';

export type PassphraseEnvMode = 'docker' | 'notary' | 'combined';
export type Env = Record<string, string | undefined>;

const BASE_ROLES = new Set(['root', 'targets', 'snapshot', 'timestamp']);

/** The environment variables consulted for a role, in order. */
export function passphraseEnvNames(role: string, mode: PassphraseEnvMode = 'combined'): string[] {
  const docker = role === 'root' ? 'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE' : 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE';
  const notary =
    role === 'root' || role === 'targets' || role === 'snapshot'
      ? [`NOTARY_${role.toUpperCase()}_PASSPHRASE`]
      : BASE_ROLES.has(role)
        ? []
        : ['NOTARY_DELEGATION_PASSPHRASE'];
  if (mode === 'docker') return [docker];
  if (mode === 'notary') return notary;
  return [docker, ...notary];
}

/** First 7 hex digits, as notary shows key IDs in prompts. */
export function shortKeyId(keyId: string): string {
  return keyId.slice(0, 7);
}

export function passphraseRequiredError(request: PassphraseRequest, mode: PassphraseEnvMode = 'combined'): DctError {
  const names = passphraseEnvNames(request.role, mode);
  const hint = names.length > 0 ? `set ${names.join(' or ')}, or run on a terminal` : 'run on a terminal';
  const what = request.isNew ? 'new ' : '';
  return new DctError('PASSPHRASE_REQUIRED', `no passphrase for the ${what}${request.role} key ${shortKeyId(request.keyId)}: ${hint}`);
}

export class EnvPassphraseSource implements PassphraseSource {
  constructor(
    private readonly env: Env = process.env,
    readonly mode: PassphraseEnvMode = 'combined',
  ) {}

  /** The passphrase the environment holds for a role, if any. */
  lookup(role: string): string | undefined {
    for (const name of passphraseEnvNames(role, this.mode)) {
      const value = this.env[name];
      if (value) return value;
    }
    return undefined;
  }

  get(request: PassphraseRequest): Promise<string> {
    const value = this.lookup(request.role);
    return value === undefined ? Promise.reject(passphraseRequiredError(request, this.mode)) : Promise.resolve(value);
  }

  canRetry(): boolean {
    return false;
  }
}

// ---- terminal prompt --------------------------------------------------------

export interface PromptInput extends EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
}
export interface PromptOutput {
  write(text: string): unknown;
}

/** How roles are named in prompts: notary shows the role, docker says "repository" for targets/snapshot. */
export type PromptAliasStyle = 'notary' | 'docker';

export function promptAlias(role: string, style: PromptAliasStyle): string {
  if (style === 'docker' && (role === 'targets' || role === 'snapshot')) return 'repository';
  return role;
}

export const MIN_NEW_PASSPHRASE_LENGTH = 8;
export const DEFAULT_MAX_ATTEMPTS = 3;
const ROOT_KEY_WARNING =
  'You are about to create a new root signing key passphrase. It protects the most\n' +
  'sensitive key of your trust data: choose a long random passphrase (a password manager\n' +
  'can generate and keep it) and back up both the passphrase and the key file, which is\n' +
  'kept in your trust directory. A lost root key or passphrase cannot be recovered.\n';

export interface TtyPassphraseSourceOptions {
  input?: PromptInput;
  /** default: stderr, so that prompts never mix with command output */
  output?: PromptOutput;
  aliasStyle?: PromptAliasStyle;
  maxAttempts?: number;
}

export class TtyPassphraseSource implements PassphraseSource {
  private readonly input: PromptInput;
  private readonly output: PromptOutput;
  private readonly aliasStyle: PromptAliasStyle;
  private readonly maxAttempts: number;
  private readonly cache = new Map<string, string>();
  private pending = '';

  constructor(opts: TtyPassphraseSourceOptions = {}) {
    this.input = opts.input ?? process.stdin;
    this.output = opts.output ?? process.stderr;
    this.aliasStyle = opts.aliasStyle ?? 'notary';
    this.maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  get available(): boolean {
    return this.input.isTTY === true;
  }

  canRetry(request: PassphraseRequest): boolean {
    return this.available && (request.attempt ?? 0) < this.maxAttempts;
  }

  async get(request: PassphraseRequest): Promise<string> {
    if (!this.available) throw passphraseRequiredError(request);
    const attempt = request.attempt ?? 0;
    const alias = promptAlias(request.role, this.aliasStyle);
    const withId = request.keyId.length > 7 ? ` with ID ${shortKeyId(request.keyId)}` : '';
    if (attempt === 0) {
      if (request.isNew && request.role === 'root') this.output.write(ROOT_KEY_WARNING);
      const cached = this.cache.get(request.role);
      if (cached !== undefined) return cached;
    } else if (!request.isNew) {
      if (attempt >= this.maxAttempts) throw tooManyAttempts(request);
      this.output.write('Passphrase incorrect. Please retry.\n');
    }
    const passphrase = request.isNew
      ? await this.askNew(alias, withId, request)
      : await this.ask(`Enter passphrase for ${alias} key${withId}: `);
    this.cache.set(request.role, passphrase);
    return passphrase;
  }

  private async askNew(alias: string, withId: string, request: PassphraseRequest): Promise<string> {
    for (let i = 0; i < this.maxAttempts; i++) {
      const first = await this.ask(`Enter passphrase for new ${alias} key${withId}: `);
      if (first.length < MIN_NEW_PASSPHRASE_LENGTH) {
        this.output.write('Passphrase is too short. Please use a password manager to generate and store a good random passphrase.\n');
        continue;
      }
      const again = await this.ask(`Repeat passphrase for new ${alias} key${withId}: `);
      if (again === first) return first;
      this.output.write('Passphrases do not match. Please retry.\n');
    }
    throw tooManyAttempts(request);
  }

  private async ask(prompt: string): Promise<string> {
    this.output.write(prompt);
    const line = await this.readHiddenLine();
    this.output.write('\n');
    return line.trim();
  }

  /** One line from the terminal in raw mode (nothing echoed); Ctrl-C / Ctrl-D on an empty line cancel. */
  private readHiddenLine(): Promise<string> {
    const input = this.input;
    return new Promise((resolve, reject) => {
      let line = '';
      const finish = (err: Error | undefined, rest: string) => {
        input.removeListener('data', onData);
        input.setRawMode?.(false);
        input.pause();
        this.pending = rest;
        if (err) reject(err);
        else resolve(line);
      };
      const feed = (text: string): boolean => {
        for (let i = 0; i < text.length; i++) {
          const ch = text[i] as string;
          if (ch === '\r' || ch === '\n') {
            const next = ch === '\r' && text[i + 1] === '\n' ? i + 2 : i + 1;
            finish(undefined, text.slice(next));
            return true;
          }
          if (ch === '\u0003' || (ch === '\u0004' && line === '')) {
            finish(new DctError('PASSPHRASE_CANCELLED', 'passphrase entry cancelled'), '');
            return true;
          }
          if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
          else if (ch !== '\u0004') line += ch;
        }
        return false;
      };
      const onData = (chunk: Buffer | string) => void feed(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      const buffered = this.pending;
      this.pending = '';
      if (feed(buffered)) return;
      input.setRawMode?.(true);
      input.on('data', onData);
      input.resume();
    });
  }
}

function tooManyAttempts(request: PassphraseRequest): DctError {
  return new DctError(
    'PASSPHRASE_ATTEMPTS_EXCEEDED',
    `too many passphrase attempts for the ${request.role} key ${shortKeyId(request.keyId)}`,
  );
}

// ---- composition -----------------------------------------------------------

/** Environment first, then the terminal, else PASSPHRASE_REQUIRED naming the variables to set. */
export class EnvThenPromptPassphraseSource implements PassphraseSource {
  constructor(
    readonly env: EnvPassphraseSource,
    readonly prompt?: TtyPassphraseSource,
  ) {}

  get(request: PassphraseRequest): Promise<string> {
    const value = this.env.lookup(request.role);
    if (value !== undefined) return Promise.resolve(value);
    if (this.prompt?.available) return this.prompt.get(request);
    return Promise.reject(passphraseRequiredError(request, this.env.mode));
  }

  canRetry(request: PassphraseRequest): boolean {
    return this.env.lookup(request.role) === undefined && this.prompt?.canRetry(request) === true;
  }
}

export interface PassphraseSourceOptions extends TtyPassphraseSourceOptions {
  mode?: PassphraseEnvMode;
  env?: Env;
}

export function createPassphraseSource(opts: PassphraseSourceOptions = {}): EnvThenPromptPassphraseSource {
  const mode = opts.mode ?? 'combined';
  const aliasStyle = opts.aliasStyle ?? (mode === 'docker' ? 'docker' : 'notary');
  return new EnvThenPromptPassphraseSource(
    new EnvPassphraseSource(opts.env ?? process.env, mode),
    new TtyPassphraseSource({ ...opts, aliasStyle }),
  );
}

/**
 * Unlocks a key like notary does: first with the empty passphrase (unencrypted
 * files), then with passphrases from `source`, asking again after a wrong one
 * while the source can retry (a terminal, up to `maxAttempts`).
 * `unlock` must throw an error with code WRONG_PASSPHRASE for a wrong passphrase.
 */
export async function unlockWithPassphrase<T>(
  source: PassphraseSource,
  request: Omit<PassphraseRequest, 'attempt' | 'isNew'>,
  unlock: (passphrase: string) => T | Promise<T>,
  maxAttempts = DEFAULT_MAX_ATTEMPTS,
): Promise<T> {
  try {
    return await unlock('');
  } catch (err) {
    if (!isDctError(err, 'WRONG_PASSPHRASE')) throw err;
  }
  for (let attempt = 0; ; attempt++) {
    const passphrase = await source.get({ ...request, isNew: false, attempt });
    try {
      return await unlock(passphrase);
    } catch (err) {
      if (!isDctError(err, 'WRONG_PASSPHRASE')) throw err;
      const next = { ...request, isNew: false, attempt: attempt + 1 };
      if (attempt + 1 >= maxAttempts || source.canRetry?.(next) !== true) {
        throw new CoreError('WRONG_PASSPHRASE', `incorrect passphrase for the ${request.role} key ${shortKeyId(request.keyId)}`, {
          cause: err,
        });
      }
    }
  }
}
