/**
 * The embedded registry's settings of `dct server` (config.ts loads them with the rest): on or
 * off, its public name, and the pull gate — `pullGate` rules or the trust policy (`--policy`,
 * with notation's configuration and Sigstore's root for the rules that need them), never both.
 */
import { DctError } from '../core/errors.js';
import type { RegistryPolicySettings } from './registry/policy-gate-wiring.js';
import { parsePullGate, type PullGateRule } from './registry/pull-gate.js';

/** The embedded registry's part of `ServerConfig`. */
export interface RegistrySettings {
  /** serve the embedded registry (OCI distribution API) next to the trust API */
  registry: boolean;
  /**
   * the registry's public host[:port], the first part of its images' GUNs
   * (`<registryName>/<repository>`); default: the listen address with the port it got
   */
  registryName?: string;
  /** the pull gate: per GUN pattern, manifests are served only when signed */
  pullGate: PullGateRule[];
  /** the pull gate judges with this trust policy file (reloaded when it changes); excludes `pullGate` */
  policy?: string;
  /** with `policy`: notation's configuration directory, for the trust stores rules name (default: NOTATION_CONFIG, else notation's) */
  notationConfig?: string;
  /** with `policy`: cosign keyless verification's Sigstore trusted_root.json (default: the production root dct ships) */
  cosignTrustedRoot?: string;
}

/** Checks the registry's settings (and parses `pullGate`); throws INVALID_CONFIG. The auth settings tell whether a pull gate can hold. */
export function validateRegistry(c: RegistrySettings & { authHtpasswd?: string; authRules?: readonly unknown[] }): void {
  if (typeof c.registry !== 'boolean') throw new DctError('INVALID_CONFIG', 'registry must be true or false');
  c.pullGate = parsePullGate(c.pullGate);
  if (!c.registry && c.pullGate.length > 0)
    throw new DctError('INVALID_CONFIG', 'pullGate rules need the embedded registry: remove --no-registry or the rules');
  for (const key of ['policy', 'notationConfig', 'cosignTrustedRoot'] as const) {
    if (c[key] !== undefined && (typeof c[key] !== 'string' || c[key] === ''))
      throw new DctError('INVALID_CONFIG', `${key} must be a file or folder path`);
  }
  if (c.policy !== undefined) {
    if (!c.registry) throw new DctError('INVALID_CONFIG', '--policy gates the embedded registry: remove --no-registry or --policy');
    if (c.pullGate.length > 0) {
      throw new DctError(
        'INVALID_CONFIG',
        'choose either --policy (the trust policy) or pullGate rules for the pull gate: write the pullGate rules as policy rules (dct: {signers: […]})',
      );
    }
  }
  // without rules every user of the built-in issuer holds push, and a pusher is a publisher the gate lets through
  if ((c.pullGate.length > 0 || c.policy !== undefined) && c.authHtpasswd && c.authRules === undefined) {
    throw new DctError(
      'INVALID_CONFIG',
      'a pull gate with --auth-htpasswd needs authRules: without them every user may push, and pushers (publishers) pass the gate unsigned; grant push only to publishers, e.g. "authRules": [{"user": "ci", "repositories": "*", "actions": ["push", "pull"]}, {"user": "*", "repositories": "*", "actions": ["pull"]}]',
    );
  }
  if (c.registryName !== undefined && (typeof c.registryName !== 'string' || !isRegistryHost(c.registryName))) {
    throw new DctError(
      'INVALID_CONFIG',
      `registryName must be a registry host as in image names (host, host:port, [v6]:port), not ${JSON.stringify(c.registryName)}`,
    );
  }
}

/** The embedded registry's policy settings, when the pull gate judges with the trust policy. */
export function registryPolicy(c: RegistrySettings): { policy: RegistryPolicySettings } | Record<string, never> {
  if (c.policy === undefined) return {};
  const root = c.cosignTrustedRoot !== undefined ? { cosignTrustedRoot: c.cosignTrustedRoot } : {};
  return { policy: { file: c.policy, notationConfigDir: c.notationConfig ?? '.notation', ...root } };
}

/** A registry host as docker references spell it: a domain (or IPv4) with an optional port, or a bracketed IPv6 address. */
export function isRegistryHost(name: string): boolean {
  return /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(
    name,
  );
}
