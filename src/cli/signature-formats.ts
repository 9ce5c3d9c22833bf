/**
 * The signature formats `dct verify` runs, wired for the CLI: DCT over the trust data as
 * every images command reads it (docker config, trust server, trust dir), and the formats
 * that keep their signatures in the registry (cosign, Notation) over a registry client
 * wired as docker wires its own (registry-access.ts). Also the registry reads the use case
 * needs: a tag's digest (an image no DCT data signs) and the image's manifest (an index's
 * platforms).
 */
import { readFile } from 'node:fs/promises';
import { cosignKeyCodec } from '../adapters/cosign/cosign-key-codec.js';
import { KeyedBundleVerifier } from '../adapters/cosign/keyed-bundle-verifier.js';
import { loadTrustAnchors, loadTrustPolicy, notationConfigDir } from '../adapters/notation/config/index.js';
import { verifyEnvelope } from '../adapters/notation/envelope/index.js';
import { RegistrySignatureStore } from '../adapters/registry/signature-registry-client.js';
import { SigstoreBundleVerifier } from '../adapters/sigstore/bundle-verifier.js';
import { CosignFormatVerifier, type CosignFormatOptions } from '../app/cosign/cosign-format-verifier.js';
import type { CosignPolicy } from '../app/cosign/cosign-policy.js';
import { NotationFormatVerifier } from '../app/notation/notation-format-verifier.js';
import { trustPolicySource } from '../app/notation/trust-policy-source.js';
import type { StringMatcher } from '../core/signatures/sigstore-verification.js';
import type { ImageReference } from '../core/image-reference.js';
import type { FormatVerifier } from '../core/signatures/signature-report.js';
import type { RegistryManifest } from '../app/signatures/signature-registry.js';
import { DctFormatVerifier } from '../app/signatures/dct-format-verifier.js';
import type { ManifestReader } from '../app/signatures/verify-image-signatures.js';
import { TrustResolver } from '../app/images/trust-resolver.js';
import type { RegistryClient } from '../adapters/registry/registry-client.js';
import type { RegistryCredentials } from '../adapters/http/credentials.js';
import { logrusWarning } from './docker-trust/go-text.js';
import type { TrustIo } from './docker-trust/io.js';
import { trustDataOpener, type LocatedTrustData } from './docker-trust/trust-data.js';
import { openRegistry, type RegistryAccess } from './registry-access.js';
import type { RegistryLease } from './registry-client-pool.js';

/** What a registry-stored format's factory gets for one image reference. */
export interface RegistryFormatContext {
  io: TrustIo;
  ref: ImageReference;
  /** a client of the image's registry (docker's credentials, TLS folders, insecure registries) */
  client: RegistryClient;
  /** the repository path on the registry */
  repo: string;
}

export type RegistryFormatFactory = (ctx: RegistryFormatContext) => FormatVerifier | Promise<FormatVerifier>;

/** How `dct verify` judges the formats kept in the registry (its flags). */
export interface RegistryFormatOptions {
  /** cosign: `--key FILE` (a public key); without it keyless signatures are checked and reported with their identity */
  cosignKey?: string;
  /** cosign keyless: `--certificate-identity[-regexp]`, `--certificate-oidc-issuer[-regexp]` (default: any, reported) */
  identity?: StringMatcher;
  issuer?: StringMatcher;
  /** cosign: `--trusted-root FILE` (default: the Sigstore production root dct ships or refreshed) */
  trustedRoot?: string;
  /** cosign: `--insecure-ignore-tlog` */
  ignoreTlog?: boolean;
}

/**
 * The formats whose signatures live in the registry, one factory each, in the order their
 * reports are printed (after DCT's): cosign (both layouts, with the key or the Fulcio
 * identity asked for) and Notation (its trust policy and trust stores in notation's
 * configuration directory, as `notation verify` reads them).
 */
export function registryFormatFactories(
  env: Readonly<Record<string, string | undefined>>,
  opts: RegistryFormatOptions = {},
): RegistryFormatFactory[] {
  let cosign: Promise<CosignFormatOptions> | undefined;
  const cosignOptions = (): Promise<CosignFormatOptions> =>
    (cosign ??= (async () => {
      const policies: CosignPolicy[] = [];
      if (opts.cosignKey !== undefined)
        policies.push({ kind: 'key', publicKey: cosignKeyCodec.readPublic(await readFile(opts.cosignKey)) });
      if (opts.identity !== undefined || opts.issuer !== undefined)
        policies.push({ kind: 'identity', identity: opts.identity ?? { regexp: '.*' }, issuer: opts.issuer ?? { regexp: '.*' } });
      const trustedRoot = opts.trustedRoot !== undefined ? (JSON.parse(await readFile(opts.trustedRoot, 'utf8')) as unknown) : undefined;
      return {
        // none given: any Fulcio identity of the trusted root, reported as the signer
        ...(policies.length > 0 ? { policies } : {}),
        bundleVerifier: new KeyedBundleVerifier(new SigstoreBundleVerifier()),
        ignoreTlog: opts.ignoreTlog === true,
        ...(trustedRoot !== undefined ? { trustedRoot } : {}),
      };
    })());
  const notationDir = notationConfigDir(env);
  const notationPolicy = trustPolicySource({ load: () => loadTrustPolicy(notationDir), anchors: (s) => loadTrustAnchors(notationDir, s) });
  return [
    async (ctx) => {
      const registry = new RegistrySignatureStore(ctx.client);
      return new CosignFormatVerifier(() => registry, await cosignOptions());
    },
    (ctx) => {
      const registry = new RegistrySignatureStore(ctx.client);
      return new NotationFormatVerifier({
        openRegistry: () => Promise.resolve(registry),
        policy: notationPolicy,
        verifier: { verify: verifyEnvelope },
      });
    },
  ];
}

/** What `dct verify` needs for one image reference. */
export interface VerifyTarget {
  /** every format, DCT first */
  verifiers: FormatVerifier[];
  /** the registry's manifests (absent: the registry is not read) */
  manifests?: ManifestReader;
  /** a tag's digest as the registry resolves it (absent: not asked) */
  resolveTag?(tag: string): Promise<string>;
}

/** The wiring `dct verify` runs with (tests give their own). */
export interface SignatureFormats {
  /** docker's trust resolution (DCT's view of tags and digests), shared by every image */
  readonly resolver: TrustResolver;
  target(ref: ImageReference): Promise<VerifyTarget>;
  /** releases the trust resolver and the registry clients opened for the images */
  close(): void;
}

/** How `signatureFormats` reaches the registry and which of its formats run. */
export interface SignatureFormatsAccess {
  /** for the registry, instead of docker's (an admitted Pod's pull secret) */
  credentials?: RegistryCredentials;
  /**
   * a shared client of the image's registry (`RegistryClientPool`), released on `close()`
   * instead of a client opened and closed for the image; `credentials` are then the lease's
   * business. The registry is read (digest, manifests) even when no registry format runs.
   */
  registry?: (ref: ImageReference) => Promise<RegistryLease>;
  /** false: DCT is not among the verifiers (the policy's rule does not name it) */
  dct?: boolean;
  /** how DCT's trust data is opened (`SharedTrustConnections`), instead of a new trust-server connection per repository */
  trustData?: (gun: string) => Promise<LocatedTrustData>;
}

/** The CLI's wiring: DCT, then `registryFormats` (default: cosign and Notation, `registryFormatFactories`). */
export function signatureFormats(
  io: TrustIo,
  registryFormats: readonly RegistryFormatFactory[] = registryFormatFactories(io.env),
  access: SignatureFormatsAccess = {},
): SignatureFormats {
  const servers = new Map<string, string>();
  const openTrustData = access.trustData ?? trustDataOpener(io);
  const resolver = new TrustResolver({
    open: async (gun) => {
      const data = await openTrustData(gun);
      servers.set(gun, data.location);
      return data;
    },
    onWarning: (message) => io.err(logrusWarning(io.now(), message)),
  });
  const dct = new DctFormatVerifier(resolver, { location: (gun) => (servers.has(gun) ? `${servers.get(gun)} ${gun}` : gun) });
  const dctVerifiers = access.dct === false ? [] : [dct];
  const clients = new Map<string, Promise<RegistryFormatContext>>();
  const leases: Array<Promise<RegistryLease>> = [];
  const open = (ref: ImageReference): Promise<RegistryAccess> => {
    if (!access.registry)
      return openRegistry(ref, io.env, (m) => io.err(`${m}\n`), access.credentials ? { credentials: access.credentials } : {});
    const lease = access.registry(ref);
    leases.push(lease);
    return lease;
  };
  return {
    resolver,
    async target(ref) {
      if (registryFormats.length === 0 && !access.registry) return { verifiers: dctVerifiers };
      const key = `${ref.domain}/${ref.path}`;
      let ctx = clients.get(key);
      if (!ctx) {
        ctx = open(ref).then(({ client, repo }) => ({ io, ref, client, repo }));
        clients.set(key, ctx);
      }
      const c = await ctx;
      const verifiers = [...dctVerifiers, ...(await Promise.all(registryFormats.map(async (f) => f(c))))];
      // the manifest a tag resolves to is the image's, read once: by its digest it is the same bytes
      const known = new Map<string, RegistryManifest>();
      return {
        verifiers,
        manifests: manifestReader(c.client, known),
        resolveTag: async (tag) => {
          const got = await c.client.resolveManifest(c.repo, tag, { headFirst: false });
          known.set(`${c.repo}@${got.digest}`, { bytes: got.bytes, mediaType: got.mediaType, digest: got.digest });
          return got.digest;
        },
      };
    },
    close() {
      resolver.close();
      // the registry clients' keep-alive sockets (a webhook decides images for ever: none may stay open);
      // shared ones go back to their pool, which closes them
      if (access.registry) for (const lease of leases) lease.then((l) => l.release()).catch(() => {});
      else for (const ctx of clients.values()) ctx.then((c) => c.client.close()).catch(() => {});
      leases.length = 0;
      clients.clear();
    },
  };
}

/**
 * The registry client as the use case reads manifests (404: undefined); `known`: manifests
 * already read, by `repo@digest` (their bytes hash to it), served without asking again.
 */
export function manifestReader(client: RegistryClient, known?: ReadonlyMap<string, RegistryManifest>): ManifestReader {
  return {
    async getManifest(repo, reference, accept): Promise<RegistryManifest | undefined> {
      const read = known?.get(`${repo}@${reference}`);
      if (read) return read;
      const got = await client.findManifest(repo, reference, accept ? { accept } : {});
      return got && { bytes: got.bytes, mediaType: got.mediaType, digest: got.digest };
    },
  };
}
