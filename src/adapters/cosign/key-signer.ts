/**
 * Keyed Sigstore signing as `cosign sign-blob --key` does it: the message (or a DSSE
 * envelope's PAE) signed with the key, packed in a Sigstore bundle v0.3 whose verification
 * material is the key's hint, and, unless `tlogUpload` is false, logged in Rekor (through
 * `@sigstore/sign`'s Rekor witness; rekor.sigstore.dev unless told otherwise).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { DctError } from '../../core/errors.js';
import type { SigningContent, SigningOptions, SigstoreSignature, SigstoreSigner } from '../../core/signatures/sigstore-signing.js';
import './errors.js';
import { digestOf, dssePae, publicKeyHint, signatureAlgorithm, signWith } from './signature-algorithm.js';

/** cosign's default transparency log (`@sigstore/sign`'s `DEFAULT_REKOR_URL`). */
const REKOR_URL = 'https://rekor.sigstore.dev';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface CosignKeySignerOptions {
  /** Rekor's base URL (`--rekor-url`); default https://rekor.sigstore.dev */
  rekorUrl?: string;
  /** per-request timeout of the Rekor upload, ms (default 30 s) */
  timeoutMs?: number;
}

export class CosignKeySigner implements SigstoreSigner {
  private readonly publicKey: KeyObject;

  constructor(
    private readonly privateKey: KeyObject,
    private readonly options: CosignKeySignerOptions = {},
  ) {
    this.publicKey = createPublicKey(privateKey);
  }

  get publicKeyPem(): string {
    return this.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  async sign(content: SigningContent, opts: SigningOptions): Promise<SigstoreSignature> {
    const alg = signatureAlgorithm(this.publicKey);
    if (opts.tlogUpload && alg.hash !== 'sha256')
      throw new DctError(
        'COSIGN_TLOG_UNSUPPORTED_KEY',
        `a ${describeKey(this.publicKey)} key signs over ${alg.hash.toUpperCase()}, which dct cannot log in Rekor yet (its Rekor client records SHA-256 digests only): use an ECDSA P-256 or RSA key, or --tlog-upload=false`,
      );
    const signed = content.kind === 'message' ? content.bytes : dssePae(content.payloadType, content.payload);
    const signature = signWith(this.privateKey, signed);
    const hint = publicKeyHint(this.publicKey);
    const bundle: Bundle = {
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: {
        content: { $case: 'publicKey', publicKey: { hint } },
        tlogEntries: [],
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      content:
        content.kind === 'message'
          ? {
              $case: 'messageSignature',
              messageSignature: {
                messageDigest: { algorithm: PROTO_HASH[alg.protoHash], digest: digestOf(alg.hash, content.bytes) },
                signature,
              },
            }
          : {
              $case: 'dsseEnvelope',
              dsseEnvelope: {
                payload: Buffer.from(content.payload),
                payloadType: content.payloadType,
                signatures: [{ sig: signature, keyid: '' }],
              },
            },
    };
    if (opts.tlogUpload) {
      opts.signal?.throwIfAborted();
      // @sigstore/sign loads only when a signature goes to Rekor (it is a tenth of a second of start-up)
      const { RekorWitness } = await import('@sigstore/sign');
      const witness = new RekorWitness({
        rekorBaseURL: this.options.rekorUrl ?? REKOR_URL,
        fetchOnConflict: true,
        retry: 0,
        timeout: this.options.timeoutMs ?? 30_000,
      });
      try {
        const { tlogEntries } = await witness.testify(bundle.content, this.publicKeyPem);
        bundle.verificationMaterial.tlogEntries = tlogEntries;
      } catch (err) {
        throw new DctError(
          'COSIGN_TLOG_UPLOAD_FAILED',
          `signing bundle: uploading to the transparency log ${this.options.rekorUrl ?? REKOR_URL}: ${(err as Error).message} (offline? use --tlog-upload=false)`,
          { cause: err },
        );
      }
    }
    return { bundle: await compactBundleJson(bundle), signature, publicKeyPem: this.publicKeyPem };
  }
}

/** protobuf HashAlgorithm enum values */
const PROTO_HASH = { SHA2_256: 1, SHA2_384: 2, SHA2_512: 3 } as const;

/** The bundle's JSON as protojson writes it: empty lists and empty strings left out. */
export async function compactBundleJson(bundle: Bundle): Promise<unknown> {
  // @sigstore/bundle loads with the first signature, not with the command line
  const { bundleToJSON } = await import('@sigstore/bundle');
  return prune(bundleToJSON(bundle));
}

function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (p === undefined || p === '' || (Array.isArray(p) && p.length === 0)) continue;
      if (p && typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

function describeKey(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === 'secp384r1' ? 'ECDSA P-384' : curve === 'secp521r1' ? 'ECDSA P-521' : (key.asymmetricKeyType ?? 'unknown');
}
