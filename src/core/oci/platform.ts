/**
 * Platforms (`os/architecture[/variant]`, OCI image index `platform`), normalised as
 * containerd does (`x86_64` → `amd64`, `aarch64` → `arm64`, `arm64` ⇒ variant `v8`,
 * `arm` ⇒ `v7`), and the choice of an index entry for a wanted platform.
 *
 * The core reads no environment: the caller passes the platform to default to (see
 * `platformOfNode` for Node's `process.platform`/`process.arch`).
 */
import { ociError } from './oci-error.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  /** `os.version` (windows builds) */
  osVersion?: string;
  /** `os.features` */
  osFeatures?: string[];
  features?: string[];
}

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  i386: '386',
  i686: '386',
  x86: '386',
};
const OS_ALIASES: Record<string, string> = { macos: 'darwin', osx: 'darwin' };
/** architectures whose variant has a default that may be left out */
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

const COMPONENT = /^[A-Za-z0-9_.-]+$/;

/** containerd's `Normalize`: lower case, aliases resolved, default variants spelled out. */
export function normalizePlatform(p: Platform): Platform {
  const os = OS_ALIASES[p.os.toLowerCase()] ?? p.os.toLowerCase();
  const rawArch = p.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  let variant = p.variant?.toLowerCase();
  if (variant === undefined || variant === '') {
    if (rawArch === 'armhf') variant = 'v7';
    else if (rawArch === 'armel') variant = 'v6';
    else variant = DEFAULT_VARIANT[architecture];
  }
  if (architecture === 'arm64' && (variant === '8' || variant === 'v8')) variant = 'v8';
  if (architecture === 'arm' && variant !== undefined && /^[5-8]$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return {
    os,
    architecture,
    ...(variant !== undefined && variant !== '' ? { variant } : {}),
    ...(p.osVersion !== undefined && p.osVersion !== '' ? { osVersion: p.osVersion } : {}),
    ...(p.osFeatures !== undefined ? { osFeatures: [...p.osFeatures] } : {}),
    ...(p.features !== undefined ? { features: [...p.features] } : {}),
  };
}

/**
 * `os/arch[/variant]`, e.g. `linux/amd64`, `linux/arm64/v8`, `linux/arm/v6`; the os may carry
 * a version in parentheses (`windows(10.0.17763.1234)/amd64`). A single component is an
 * architecture (with `defaults.os`) or, for a known os name, an os (with `defaults.architecture`).
 * The result is normalised. INVALID_PLATFORM otherwise.
 */
export function parsePlatform(spec: string, defaults?: { os?: string; architecture?: string }): Platform {
  const bad = (why: string) =>
    ociError(
      'INVALID_PLATFORM',
      `invalid platform ${JSON.stringify(spec.slice(0, 100))}: ${why} (expected os/arch[/variant], e.g. linux/arm64/v8)`,
    );
  const parts = spec.trim().split('/');
  if (parts.length > 3) throw bad('too many components');
  let osVersion: string | undefined;
  const first = parts[0] ?? '';
  const m = /^([^()]*)\(([^()]*)\)$/.exec(first);
  if (m) {
    parts[0] = m[1] as string;
    osVersion = m[2];
  }
  for (const part of parts)
    if (!COMPONENT.test(part))
      throw bad(part === '' ? 'an empty component' : `${JSON.stringify(part.slice(0, 40))} is not a valid component`);
  let os: string;
  let architecture: string;
  let variant: string | undefined;
  if (parts.length === 1) {
    const only = (parts[0] as string).toLowerCase();
    if (KNOWN_OS.has(OS_ALIASES[only] ?? only)) {
      os = only;
      architecture = defaults?.architecture ?? '';
      if (architecture === '') throw bad('no architecture');
    } else {
      architecture = only;
      os = defaults?.os ?? '';
      if (os === '') throw bad('no os');
    }
  } else {
    os = parts[0] as string;
    architecture = parts[1] as string;
    variant = parts[2];
  }
  return normalizePlatform({
    os,
    architecture,
    ...(variant !== undefined ? { variant } : {}),
    ...(osVersion !== undefined ? { osVersion } : {}),
  });
}

const KNOWN_OS: ReadonlySet<string> = new Set([
  'linux',
  'windows',
  'darwin',
  'freebsd',
  'netbsd',
  'openbsd',
  'solaris',
  'illumos',
  'aix',
  'android',
  'ios',
  'plan9',
  'js',
  'wasip1',
  'dragonfly',
]);

/** `os/arch[/variant]` (the os version is not shown). */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * The OCI platform of a Node process: `platformOfNode(process.platform, process.arch)`
 * (`x64` → `amd64`, `ia32` → `386`, `win32` → `windows`, `ppc64` → `ppc64le` on Linux…).
 */
export function platformOfNode(nodePlatform: string, nodeArch: string, armVersion?: string): Platform {
  const os = nodePlatform === 'win32' ? 'windows' : nodePlatform === 'sunos' ? 'solaris' : nodePlatform;
  const arch: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loong64',
    mips: 'mips',
    mipsel: 'mipsle',
    ppc: 'ppc',
  };
  const architecture = arch[nodeArch] ?? nodeArch;
  const variant = architecture === 'arm' && armVersion !== undefined && /^[5-8]$/.test(armVersion) ? `v${armVersion}` : undefined;
  return normalizePlatform({ os, architecture, ...(variant !== undefined ? { variant } : {}) });
}

/**
 * Whether an image for `candidate` serves `wanted`: same os and architecture (after
 * normalisation); when `wanted` names a variant, the candidate's must be it — or, for
 * `arm`, an older one (v7 runs v6 and v5, as containerd allows); when `wanted` names an
 * os version, a candidate naming another is refused.
 */
export function platformMatches(candidate: Platform, wanted: Platform): boolean {
  return rank(normalizePlatform(candidate), normalizePlatform(wanted)) !== undefined;
}

/** Lower is better; undefined = no match. */
function rank(c: Platform, w: Platform): number | undefined {
  if (c.os !== w.os || c.architecture !== w.architecture) return undefined;
  let score = 0;
  if (w.osVersion !== undefined && c.osVersion !== undefined) {
    if (c.osVersion === w.osVersion) score += 0;
    else if (w.os === 'windows' && windowsBuild(c.osVersion) === windowsBuild(w.osVersion)) score += 1;
    else return undefined;
  } else if (w.osVersion !== undefined) score += 2;
  if (w.variant === undefined) {
    // any variant, the architecture's default first
    if (c.variant !== DEFAULT_VARIANT[c.architecture]) score += 10;
    return score;
  }
  if (c.variant === w.variant) return score;
  if (c.architecture === 'arm' && c.variant !== undefined) {
    const have = Number(c.variant.slice(1));
    const want = Number(w.variant.slice(1));
    if (/^v[5-8]$/.test(c.variant) && /^v[5-8]$/.test(w.variant) && have < want) return score + 10 * (want - have);
  }
  return undefined;
}

/** `10.0.17763.1234` → `10.0.17763` */
function windowsBuild(v: string): string {
  return v.split('.').slice(0, 3).join('.');
}

/**
 * The best entry for `wanted` among those carrying a platform (entries without one, or
 * `unknown/unknown` attestations, never match); the first of equally good ones.
 */
export function matchPlatform<T extends { platform?: Platform }>(
  manifests: readonly T[] | { readonly manifests: readonly T[] },
  wanted: Platform | string,
): T | undefined {
  const list = 'manifests' in manifests ? manifests.manifests : manifests;
  const w = normalizePlatform(typeof wanted === 'string' ? parsePlatform(wanted) : wanted);
  let best: T | undefined;
  let bestScore = Infinity;
  for (const m of list) {
    if (!m.platform) continue;
    const s = rank(normalizePlatform(m.platform), w);
    if (s !== undefined && s < bestScore) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

/** `matchPlatform`, or PLATFORM_NOT_FOUND naming the platforms the index has. */
export function requirePlatform<T extends { platform?: Platform }>(
  manifests: readonly T[] | { readonly manifests: readonly T[] },
  wanted: Platform | string,
  what = 'the image',
): T {
  const found = matchPlatform(manifests, wanted);
  if (found) return found;
  const list = 'manifests' in manifests ? manifests.manifests : manifests;
  const have = [
    ...new Set(
      list.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(normalizePlatform(m.platform as Platform))),
    ),
  ];
  const w = typeof wanted === 'string' ? parsePlatform(wanted) : wanted;
  throw ociError(
    'PLATFORM_NOT_FOUND',
    `no matching manifest for ${formatPlatform(normalizePlatform(w))} in ${what}${have.length > 0 ? ` (it has ${have.join(', ')})` : ' (its entries name no platform)'}`,
  );
}
