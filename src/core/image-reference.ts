/**
 * Docker image references as docker parses them (`github.com/distribution/reference`:
 * `ParseNormalizedNamed`, `ParseAnyReference`, `FamiliarName`; digests as
 * `github.com/opencontainers/go-digest` validates them).
 *
 * `alpine` → `docker.io/library/alpine`, `user/x:1` → `docker.io/user/x:1`,
 * `index.docker.io/x` → `docker.io/library/x`, `127.0.0.1:5000/x@sha256:…` keeps its
 * domain. The first path element is a registry domain when it contains `.` or `:`,
 * is `localhost`, or has upper case letters. `name` (domain/path) is the GUN docker
 * uses for trust data.
 *
 * Every failure is `DctError('INVALID_REFERENCE', <docker's message>)`.
 */
import { DctError } from './errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
/** longest repository path (without the domain) */
export const NAME_TOTAL_LENGTH_MAX = 255;

// ---- grammar (distribution/reference regexp.go) ------------------------------------------

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const REFERENCE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const ANCHORED_TAG = new RegExp(`^${tagPat}$`);
const ANCHORED_IDENTIFIER = /^[a-f0-9]{64}$/;
const ANCHORED_DOMAIN = new RegExp(`^${domainAndPort}$`);
/** go-digest's DigestRegexp, for algorithms it does not know */
const GO_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** the algorithms go-digest has available in docker, with their hex lengths */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

function invalid(message: string): DctError {
  return new DctError('INVALID_REFERENCE', message);
}

// ---- references ---------------------------------------------------------------------------

/** A named reference: `domain/path[:tag][@digest]`. Make them with `parseImageReference`. */
export class ImageReference {
  readonly kind = 'named' as const;

  constructor(
    /** registry domain, `host[:port]` (`docker.io` for Docker Hub; empty only for odd names docker also leaves without one) */
    readonly domain: string,
    /** repository path inside the registry, e.g. `library/alpine` */
    readonly path: string,
    readonly tag?: string,
    /** `algorithm:hex`, validated */
    readonly digest?: string,
  ) {}

  /** `domain/path`: the repository name, which is the GUN of its trust data. */
  get name(): string {
    return this.domain === '' ? this.path : `${this.domain}/${this.path}`;
  }

  /** The short form docker shows: `alpine`, `user/x`, `127.0.0.1:5000/x`. */
  get familiarName(): string {
    if (this.domain !== DEFAULT_DOMAIN) return this.name;
    if (this.path.startsWith(OFFICIAL_REPO_PREFIX)) {
      const rest = this.path.slice(OFFICIAL_REPO_PREFIX.length);
      if (!rest.includes('/')) return rest;
    }
    return this.path;
  }

  /** true when the reference has neither tag nor digest */
  get isNameOnly(): boolean {
    return this.tag === undefined && this.digest === undefined;
  }

  /** `name[:tag][@digest]` */
  toString(): string {
    return this.name + suffix(this.tag, this.digest);
  }

  /** `familiarName[:tag][@digest]` */
  familiarString(): string {
    return this.familiarName + suffix(this.tag, this.digest);
  }

  /** The same reference with another tag (a digest is kept, as docker's `WithTag`). */
  withTag(tag: string): ImageReference {
    if (!ANCHORED_TAG.test(tag)) throw invalid('invalid tag format');
    return new ImageReference(this.domain, this.path, tag, this.digest);
  }

  /** The same reference with a digest (a tag is kept, as docker's `WithDigest`). */
  withDigest(digest: string): ImageReference {
    return new ImageReference(this.domain, this.path, this.tag, validatedDigest(digest));
  }

  /** The repository alone (docker's `TrimNamed`). */
  trimmed(): ImageReference {
    return new ImageReference(this.domain, this.path);
  }

  /** `latest` when the reference names no tag and no digest (docker's `TagNameOnly`). */
  withDefaultTag(): ImageReference {
    return this.isNameOnly ? new ImageReference(this.domain, this.path, DEFAULT_TAG) : this;
  }
}

/** A bare digest or image ID (what `ParseAnyReference` returns for `sha256:…` or 64 hex digits). */
export class DigestReference {
  readonly kind = 'digest' as const;

  constructor(readonly digest: string) {}

  toString(): string {
    return this.digest;
  }
}

function suffix(tag: string | undefined, digest: string | undefined): string {
  return (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
}

/**
 * docker's `reference.ParseNormalizedNamed`: a user-supplied image name, with Docker
 * Hub's defaults filled in. Tags and digests are kept when present.
 */
export function parseImageReference(s: string): ImageReference {
  if (ANCHORED_IDENTIFIER.test(s)) {
    throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseReference(`${domain}/${remainder}`);
}

/**
 * docker's `reference.ParseAnyReference`: 64 hex digits (an image ID) or a digest
 * give a `DigestReference`, anything else is parsed as `parseImageReference` does.
 */
export function parseAnyReference(s: string): ImageReference | DigestReference {
  if (ANCHORED_IDENTIFIER.test(s)) return new DigestReference(`sha256:${s}`);
  try {
    return new DigestReference(validatedDigest(s));
  } catch {
    return parseImageReference(s);
  }
}

/**
 * docker's `reference.Parse`: a reference exactly as written (no Docker Hub
 * defaults). The domain is whatever precedes the first `/` when it looks like one.
 */
export function parseReference(s: string): ImageReference {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === '') throw invalid('repository name must have at least one component');
    if (REFERENCE.test(s.toLowerCase())) throw invalid('repository name must be lowercase');
    throw invalid('invalid reference format');
  }
  const whole = m[1] as string;
  const nm = ANCHORED_NAME.exec(whole);
  const domain = nm?.[1] ?? '';
  const path = nm ? (nm[2] as string) : whole;
  if (path.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const digest = m[3] !== undefined ? validatedDigest(m[3]) : undefined;
  return new ImageReference(domain, path, m[2], digest);
}

/**
 * go-digest's `Parse`: the digest itself once checked (`algorithm:hex` with a known algorithm and
 * the right length, lower-case hex). For its parts, core/oci/digest.ts's `parseDigest`.
 */
export function validatedDigest(s: string): string {
  const i = s.indexOf(':');
  if (i <= 0 || i + 1 === s.length) throw invalid('invalid checksum digest format');
  const algorithm = s.slice(0, i);
  const encoded = s.slice(i + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) {
    throw invalid(GO_DIGEST.test(s) ? 'unsupported digest algorithm' : 'invalid checksum digest format');
  }
  if (encoded.length !== length) throw invalid('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(encoded)) throw invalid('invalid checksum digest format');
  return s;
}

/** Whether `tag` is a valid tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return ANCHORED_TAG.test(tag);
}

/** Whether `s` is a registry `host[:port]` as references allow (docker's `DomainRegexp`). */
export function isValidRegistryDomain(s: string): boolean {
  return ANCHORED_DOMAIN.test(s);
}

/** docker's `splitDockerDomain`: the domain and the rest, with Docker Hub's defaults. */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === 'localhost') [domain, remote] = [maybeDomain, maybeRemote];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remote] = [DEFAULT_DOMAIN, maybeRemote];
  else if (/[.:]/.test(maybeDomain)) [domain, remote] = [maybeDomain, maybeRemote];
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remote] = [maybeDomain, maybeRemote];
  else return [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_REPO_PREFIX + remote;
  return [domain, remote];
}

// ---- registry hosts -------------------------------------------------------------------------

/** Go's `net.SplitHostPort`, or undefined where Go would fail (no port, too many colons). */
export function splitHostPort(hostPort: string): { host: string; port: string } | undefined {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    if (end < 0 || hostPort[end + 1] !== ':') return undefined;
    const port = hostPort.slice(end + 2);
    if (port.includes(':') || port.includes('[') || port.includes(']')) return undefined;
    return { host: hostPort.slice(1, end), port };
  }
  const i = hostPort.lastIndexOf(':');
  if (i < 0) return undefined;
  const h = hostPort.slice(0, i);
  if (h.includes(':') || h.includes('[') || h.includes(']')) return undefined;
  return { host: h, port: hostPort.slice(i + 1) };
}

/** The host part of `host[:port]`, without IPv6 brackets. */
export function hostOf(hostPort: string): string {
  const split = splitHostPort(hostPort);
  const h = split ? split.host : hostPort;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * docker's `isInsecure` for a registry given as `host[:port]`: `localhost`, `::1` and
 * 127.0.0.0/8 (also written as IPv4-mapped IPv6 or in long IPv6 form). Names are not
 * resolved (docker also treats a name resolving to a loopback address as insecure;
 * pass those addresses as `resolved`).
 */
export function isLoopbackHost(hostPort: string, resolved: readonly string[] = []): boolean {
  const h = hostOf(hostPort);
  if (h.toLowerCase() === 'localhost') return true;
  return [h, ...resolved].some((a) => {
    const v4 = parseIPv4(a);
    if (v4) return v4[0] === 127;
    const v6 = parseIPv6(a);
    if (!v6) return false;
    const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
    if (mapped) return v6[12] === 127;
    return v6.slice(0, 15).every((b) => b === 0) && v6[15] === 1;
  });
}

/** Dotted-decimal IPv4 as Go's `net.ParseIP` accepts it (no leading zeros), as 4 bytes. */
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** An IPv6 address (with `::` and an optional trailing dotted IPv4) as 16 bytes. */
export function parseIPv6(s: string): number[] | undefined {
  if (s.length === 0 || s.includes('%')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (text: string): number[] | undefined => {
    if (text === '') return [];
    const out: number[] = [];
    const parts = text.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push(...v4);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      const n = parseInt(p, 16);
      out.push(n >> 8, n & 0xff);
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 16 ? head : undefined;
  const fill = 16 - head.length - tail.length;
  if (fill < 2) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}
