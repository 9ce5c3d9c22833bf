/**
 * Where notation keeps its configuration (notation's `dir` package): `$NOTATION_CONFIG` when set
 * (notation's own override), else `notation` under the user's configuration directory as Go's
 * `os.UserConfigDir` finds it on Linux (`$XDG_CONFIG_HOME`, else `$HOME/.config`), else
 * `.notation` in the working directory. The file and folder names inside it.
 */
import { isAbsolute, join } from 'node:path';

export const SIGNING_KEYS_FILE = 'signingkeys.json';
export const OCI_TRUST_POLICY_FILE = 'trustpolicy.oci.json';
export const OLD_TRUST_POLICY_FILE = 'trustpolicy.json';
export const LOCAL_KEYS_DIR = 'localkeys';
export const TRUST_STORE_DIR = 'truststore';

/** notation's user configuration directory for this environment. */
export function notationConfigDir(env: Readonly<Record<string, string | undefined>>): string {
  const override = env['NOTATION_CONFIG'];
  if (override) return override;
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg) return isAbsolute(xdg) ? join(xdg, 'notation') : '.notation';
  const home = env['HOME'];
  if (home) return join(home, '.config', 'notation');
  return '.notation';
}

/** `truststore/x509/<type>/<name>` under the configuration directory. */
export function trustStorePath(configDir: string, ...items: string[]): string {
  return join(configDir, TRUST_STORE_DIR, 'x509', ...items);
}

/** `localkeys/<name>.key` and `localkeys/<name>.crt` */
export function localKeyPaths(configDir: string, name: string): { keyPath: string; certPath: string } {
  return { keyPath: join(configDir, LOCAL_KEYS_DIR, `${name}.key`), certPath: join(configDir, LOCAL_KEYS_DIR, `${name}.crt`) };
}
