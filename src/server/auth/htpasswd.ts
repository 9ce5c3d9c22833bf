/**
 * The user file of the built-in token issuer: Apache htpasswd with bcrypt
 * entries only (`htpasswd -B`, prefixes `$2y$`, `$2a$`, `$2b$`). Other formats
 * (MD5 `$apr1$`, `{SHA}`, crypt, plain text) are refused with the line named.
 *
 * Verification takes the same time for unknown users as for known ones (a
 * bcrypt comparison against the entry of the highest cost in the file),
 * and bcrypt compares digests in constant time. Comparisons run on worker
 * threads (password-check-pool.ts), never on the event loop. Successful checks
 * are remembered for a minute under an HMAC of user and password (with a key
 * made per process), so a client fetching several tokens pays bcrypt once;
 * failures are not remembered (each costs a comparison, and the login limiter
 * counts them).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { DctError } from '../../core/errors.js';
import { sharedPasswordCheckPool } from './password-check-pool.js';

/** bcrypt comparison of a password with a hash (a worker-thread pool's `compare`). */
export type PasswordCompare = (password: string, hash: string) => Promise<boolean>;

/** Anything that can check a user name and password. */
export interface CredentialChecker {
  verify(user: string, password: string): Promise<boolean>;
}

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** compared against when the user is unknown (bcrypt of random bytes, cost 10) */
const STAND_IN = '$2b$10$IHrIjGFDk7sf/YGbxuTHV.tYa61f.XU6NeBVJZpjcwjsWqYqgvpgC';

/** Parses htpasswd text into user → bcrypt hash; throws INVALID_CONFIG naming the offending line. */
export function parseHtpasswd(text: string, source = 'htpasswd'): Map<string, string> {
  const users = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${source} line ${i + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new DctError('INVALID_CONFIG', `${where}: expected "user:bcrypt-hash"`);
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    const m = BCRYPT.exec(hash);
    if (!m) {
      const kind = hash.startsWith('$apr1$')
        ? 'an Apache MD5 ($apr1$) hash'
        : hash.startsWith('{SHA}')
          ? 'a {SHA} hash'
          : hash.startsWith('$')
            ? `a ${hash.slice(0, hash.indexOf('$', 1) + 1) || '$'} hash`
            : 'not a bcrypt hash (crypt or plain text)';
      throw new DctError(
        'INVALID_CONFIG',
        `${where}: user ${JSON.stringify(user)} has ${kind}; only bcrypt entries ($2y$, $2a$, $2b$) are accepted (create them with "htpasswd -B")`,
      );
    }
    const cost = Number(m[1]);
    if (cost < 4 || cost > 31)
      throw new DctError('INVALID_CONFIG', `${where}: user ${JSON.stringify(user)} has a bcrypt cost of ${cost} (4 to 31)`);
    if (users.has(user)) throw new DctError('INVALID_CONFIG', `${where}: user ${JSON.stringify(user)} appears twice`);
    users.set(user, hash);
  }
  return users;
}

/** An in-memory user table. */
export class Htpasswd implements CredentialChecker {
  private readonly standIn: string;
  private readonly hmacKey = randomBytes(32);
  private readonly remembered = new Map<string, number>();

  constructor(
    private readonly entries: ReadonlyMap<string, string>,
    private readonly opts: { rememberMs?: number; now?: () => number; compare?: PasswordCompare } = {},
  ) {
    // the costliest entry of the file (same work as a known user), the constant only for an empty file
    let standIn: string | undefined;
    for (const hash of entries.values()) if (standIn === undefined || hash.slice(4, 6) > standIn.slice(4, 6)) standIn = hash;
    this.standIn = standIn ?? STAND_IN;
  }

  static fromText(text: string, source?: string, compare?: PasswordCompare): Htpasswd {
    return new Htpasswd(parseHtpasswd(text, source), compare ? { compare } : {});
  }

  get size(): number {
    return this.entries.size;
  }

  has(user: string): boolean {
    return this.entries.has(user);
  }

  async verify(user: string, password: string): Promise<boolean> {
    const now = (this.opts.now ?? Date.now)();
    const memo = createHmac('sha256', this.hmacKey).update(user).update('\u0000').update(password).digest('base64');
    const until = this.remembered.get(memo);
    if (until !== undefined && now < until && this.entries.has(user)) return true;
    const hash = this.entries.get(user);
    // unknown users cost one bcrypt comparison too
    const compare = this.opts.compare ?? ((p: string, h: string) => sharedPasswordCheckPool().compare(p, h));
    const ok = await compare(password, hash ?? this.standIn);
    if (!ok || hash === undefined) return false;
    if (this.remembered.size >= 1000) this.remembered.delete(this.remembered.keys().next().value as string);
    this.remembered.set(memo, now + (this.opts.rememberMs ?? 60_000));
    return true;
  }
}

/**
 * An htpasswd file, re-read when it changes (checked at most every two
 * seconds): users can be added or removed without a restart. A file that no
 * longer parses keeps the previous table in force and is reported once.
 */
export class HtpasswdFile implements CredentialChecker {
  private checkedAt = 0;
  private signature = '';
  private reported = '';

  private constructor(
    readonly path: string,
    private table: Htpasswd,
    private readonly onReloadError: (err: Error) => void,
    private readonly checkEveryMs: number,
    private readonly compare: PasswordCompare | undefined,
  ) {}

  /** Reads the file (throws INVALID_CONFIG when it is missing or malformed). */
  static async open(
    path: string,
    opts: { onReloadError?: (err: Error) => void; checkEveryMs?: number; compare?: PasswordCompare } = {},
  ): Promise<HtpasswdFile> {
    let text: string;
    let sig: string;
    try {
      const st = await stat(path);
      sig = `${st.mtimeMs}:${st.size}:${st.ino}`;
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new DctError('INVALID_CONFIG', `cannot read the htpasswd file ${path}: ${(err as Error).message}`);
    }
    const file = new HtpasswdFile(
      path,
      Htpasswd.fromText(text, path, opts.compare),
      opts.onReloadError ?? (() => {}),
      opts.checkEveryMs ?? 2000,
      opts.compare,
    );
    file.signature = sig;
    file.checkedAt = Date.now();
    return file;
  }

  get size(): number {
    return this.table.size;
  }

  async verify(user: string, password: string): Promise<boolean> {
    await this.refresh();
    return this.table.verify(user, password);
  }

  private async refresh(): Promise<void> {
    const now = Date.now();
    if (now - this.checkedAt < this.checkEveryMs) return;
    this.checkedAt = now;
    try {
      const st = await stat(this.path);
      const sig = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (sig === this.signature) return;
      // a version that does not parse is not read again until it changes
      this.signature = sig;
      this.table = Htpasswd.fromText(await readFile(this.path, 'utf8'), this.path, this.compare);
      this.reported = '';
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.reported) this.onReloadError(err as Error);
      this.reported = message;
    }
  }
}
