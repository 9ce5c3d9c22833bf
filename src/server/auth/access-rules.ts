/**
 * Who may do what to which repository, for the built-in token issuer.
 *
 * A rule `{ user, repositories, actions }` grants `actions` (`pull`, `push`, or
 * `*` = everything, including deletion and key rotation) on every GUN matching
 * the `repositories` glob to `user` (`*` = any authenticated user; anonymous
 * clients are never matched by rules). In a glob `*` stands for any run of
 * characters, `/` included (`docker.io/library/*`, `*`), and `${user}` for the
 * authenticated user's name (`registry.example.com/${user}/*`). Grants of all
 * matching rules add up. Anonymous clients get `pull` on every repository when
 * `anonymousPull` is set, and nothing otherwise.
 *
 * `registry:catalog:*` (the global changefeed) goes to users that a rule grants
 * `*` on the repositories glob `*`.
 */
import { DctError } from '../../core/errors.js';

export type RuleAction = 'pull' | 'push' | '*';

export interface AccessRule {
  /** a user name from the htpasswd file, or `*` for any authenticated user */
  user: string;
  /** a GUN glob: `*` matches any characters including `/`; `${user}` is the user's name */
  repositories: string;
  actions: RuleAction[];
}

/**
 * Without configured rules: every authenticated user may do everything (as a
 * docker registry's htpasswd auth). A pull gate refuses this default
 * (config.ts): every user would be a publisher and pass the gate unsigned.
 */
export const DEFAULT_RULES: readonly AccessRule[] = [{ user: '*', repositories: '*', actions: ['*'] }];

const ACTIONS: readonly string[] = ['pull', 'push', '*'];

/** Validates rules from a config file or environment (JSON already parsed); throws INVALID_CONFIG. */
export function parseAccessRules(value: unknown, source = 'authRules'): AccessRule[] {
  if (!Array.isArray(value)) throw new DctError('INVALID_CONFIG', `${source} must be a list of {"user","repositories","actions"} rules`);
  return value.map((raw: unknown, i) => {
    const where = `${source}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DctError('INVALID_CONFIG', `${where} must be an object`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (!['user', 'repositories', 'actions'].includes(k))
        throw new DctError('INVALID_CONFIG', `${where}: unknown field ${JSON.stringify(k)}`);
    }
    if (typeof r['user'] !== 'string' || r['user'] === '' || r['user'].includes(':')) {
      throw new DctError('INVALID_CONFIG', `${where}.user must be a user name or "*"`);
    }
    if (typeof r['repositories'] !== 'string' || r['repositories'] === '') {
      throw new DctError('INVALID_CONFIG', `${where}.repositories must be a repository name glob such as "docker.io/library/*" or "*"`);
    }
    const actions = r['actions'];
    if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => typeof a === 'string' && ACTIONS.includes(a))) {
      throw new DctError('INVALID_CONFIG', `${where}.actions must be a non-empty list of "pull", "push", "*"`);
    }
    return { user: r['user'], repositories: r['repositories'], actions: [...new Set(actions as RuleAction[])] };
  });
}

/** Does `name` match the glob (only `*` is special)? */
export function globMatch(glob: string, name: string, user?: string): boolean {
  const parts = glob.split('*');
  if (glob.includes('${user}')) {
    if (user === undefined) return false;
    for (let i = 0; i < parts.length; i++) parts[i] = (parts[i] as string).split('${user}').join(user);
  }
  if (parts.length === 1) return name === parts[0];
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const found = name.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

export class AccessRules {
  private readonly rules: readonly AccessRule[];
  readonly anonymousPull: boolean;

  constructor(rules: readonly AccessRule[] = DEFAULT_RULES, opts: { anonymousPull?: boolean } = {}) {
    this.rules = rules;
    this.anonymousPull = opts.anonymousPull ?? false;
  }

  /**
   * The subset of `requested` actions (in request order, without duplicates)
   * that `user` (undefined = anonymous) holds on repository `gun`.
   */
  granted(user: string | undefined, gun: string, requested: readonly string[]): string[] {
    const held = new Set<string>();
    if (user === undefined) {
      if (this.anonymousPull) held.add('pull');
    } else {
      for (const rule of this.rules) {
        if ((rule.user === '*' || rule.user === user) && globMatch(rule.repositories, gun, user)) for (const a of rule.actions) held.add(a);
      }
    }
    const all = held.has('*');
    return [...new Set(requested)].filter((a) => all || held.has(a));
  }

  /** May `user` read the global changefeed (`registry:catalog:*`)? */
  catalogGranted(user: string | undefined): boolean {
    if (user === undefined) return false;
    return this.rules.some((r) => (r.user === '*' || r.user === user) && r.repositories === '*' && r.actions.includes('*'));
  }
}
