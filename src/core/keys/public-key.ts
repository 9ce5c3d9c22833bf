/**
 * TUF public keys as notary writes them in metadata:
 * `{"keytype":T,"keyval":{"private":null,"public":<base64>}}`.
 *
 * Two IDs exist (notary `TUFKey.ID` and `utils.CanonicalKeyID`):
 * - `id`: sha256 of the canonical JSON above: what metadata and signatures use;
 * - `canonicalId`: for certificate keys (`*-x509`), the ID of the plain key
 *   made from the certificate's SubjectPublicKeyInfo: what key files and CLIs use.
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { canonicalize } from '../canonical-json.js';
import { decodeBase64, decodePemBlocks } from '../encoding.js';
import { CoreError } from '../errors.js';

export const KEY_TYPES = ['ecdsa', 'ecdsa-x509', 'ed25519', 'rsa', 'rsa-x509'] as const;
export type KnownKeyType = (typeof KEY_TYPES)[number];

export interface PublicKeyJson {
  keytype: string;
  keyval: { private: null; public: string };
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** What is derived from a key's bytes (ID, KeyObject, certificates), shared by equal keys. */
interface Derived {
  id?: string;
  canonicalId?: string;
  keyObject?: KeyObject;
  certs?: X509Certificate[];
}

/**
 * Metadata names the same few keys over and over (every root, every update), and
 * parsing a certificate or a key costs far more than the signature check: equal
 * keys share their derived data through this small bounded cache.
 */
const DERIVED_CACHE_SIZE = 1024;
const derivedCache = new Map<string, Derived>();

function derivedFor(cacheKey: string): Derived {
  let d = derivedCache.get(cacheKey);
  if (!d) {
    if (derivedCache.size >= DERIVED_CACHE_SIZE) derivedCache.delete(derivedCache.keys().next().value as string);
    d = {};
    derivedCache.set(cacheKey, d);
  }
  return d;
}

export class PublicKey {
  private derivedData: Derived | undefined;

  constructor(
    readonly keyType: string,
    /** the decoded `keyval.public` bytes (DER SPKI, raw ed25519, or PEM certificate text) */
    readonly publicBytes: Buffer,
    /** `publicBytes` in base64, when already at hand */
    private publicBase64?: string,
  ) {}

  private get derived(): Derived {
    this.publicBase64 ??= this.publicBytes.toString('base64');
    this.derivedData ??= derivedFor(`${this.keyType}\u0000${this.publicBase64}`);
    return this.derivedData;
  }

  static fromJSON(json: unknown, where = 'key'): PublicKey {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new CoreError('INVALID_KEY', `${where}: a key must be a JSON object`);
    }
    const { keytype, keyval } = json as Record<string, unknown>;
    if (typeof keytype !== 'string') throw new CoreError('INVALID_KEY', `${where}: keytype must be a string`);
    if (typeof keyval !== 'object' || keyval === null || Array.isArray(keyval)) {
      throw new CoreError('INVALID_KEY', `${where}: keyval must be an object`);
    }
    const { public: pub, private: priv } = keyval as Record<string, unknown>;
    if (typeof pub !== 'string') throw new CoreError('INVALID_KEY', `${where}: keyval.public must be a base64 string`);
    if (priv !== null && priv !== undefined) {
      throw new CoreError('INVALID_KEY', `${where}: metadata must not carry private key material`);
    }
    return new PublicKey(keytype, decodeBase64(pub, `${where}: keyval.public`), pub);
  }

  /** A plain (non-certificate) key from a node public KeyObject. */
  static fromKeyObject(key: KeyObject): PublicKey {
    const type = key.asymmetricKeyType;
    const spki = key.export({ format: 'der', type: 'spki' });
    switch (type) {
      case 'ec':
        if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
          throw new CoreError('UNSUPPORTED_KEY_TYPE', 'only P-256 ECDSA keys are supported');
        }
        return new PublicKey('ecdsa', spki);
      case 'rsa':
        return new PublicKey('rsa', spki);
      case 'ed25519':
        return new PublicKey('ed25519', spki.subarray(ED25519_SPKI_PREFIX.length));
      default:
        throw new CoreError('UNSUPPORTED_KEY_TYPE', `unsupported key algorithm ${String(type)}`);
    }
  }

  /** A certificate key (`ecdsa-x509` / `rsa-x509`) from PEM certificate text (leaf first). */
  static fromCertificatePem(pem: string): PublicKey {
    const certs = parseCertificates(Buffer.from(pem, 'utf8'));
    const leaf = certs[0] as X509Certificate;
    const type = leaf.publicKey.asymmetricKeyType;
    if (type === 'ec') return new PublicKey('ecdsa-x509', Buffer.from(pem, 'utf8'));
    if (type === 'rsa') return new PublicKey('rsa-x509', Buffer.from(pem, 'utf8'));
    throw new CoreError('UNSUPPORTED_KEY_TYPE', `unsupported certificate key algorithm ${String(type)}`);
  }

  toJSON(): PublicKeyJson {
    return { keytype: this.keyType, keyval: { private: null, public: this.publicBytes.toString('base64') } };
  }

  /** The TUF key ID used in metadata. */
  get id(): string {
    const d = this.derived;
    d.id ??= keyIdOf(this.keyType, this.publicBytes);
    return d.id;
  }

  /** The ID of the bare public key (differs from `id` only for certificate keys). */
  get canonicalId(): string {
    const d = this.derived;
    d.canonicalId ??= this.isCertificate ? this.withoutCertificate().id : this.id;
    return d.canonicalId;
  }

  get isCertificate(): boolean {
    return this.keyType === 'ecdsa-x509' || this.keyType === 'rsa-x509';
  }

  /** The plain key inside a certificate key. */
  withoutCertificate(): PublicKey {
    if (!this.isCertificate) return this;
    return PublicKey.fromKeyObject(this.keyObject());
  }

  /** The certificates of an x509 key, leaf first. */
  certificates(): X509Certificate[] {
    if (!this.isCertificate) throw new CoreError('INVALID_KEY', `${this.keyType} keys carry no certificate`);
    const d = this.derived;
    d.certs ??= parseCertificates(this.publicBytes);
    return d.certs;
  }

  /** The node KeyObject to verify with. */
  keyObject(): KeyObject {
    const d = this.derived;
    if (d.keyObject) return d.keyObject;
    let key: KeyObject;
    try {
      switch (this.keyType) {
        case 'ecdsa':
        case 'rsa':
          key = createPublicKey({ key: this.publicBytes, format: 'der', type: 'spki' });
          break;
        case 'ed25519':
          if (this.publicBytes.length !== 32) throw new Error('ed25519 public keys are 32 bytes');
          key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, this.publicBytes]), format: 'der', type: 'spki' });
          break;
        case 'ecdsa-x509':
        case 'rsa-x509':
          key = (this.certificates()[0] as X509Certificate).publicKey;
          break;
        default:
          throw new CoreError('UNSUPPORTED_KEY_TYPE', `unsupported key type ${JSON.stringify(this.keyType)}`);
      }
    } catch (err) {
      if (err instanceof CoreError) throw err;
      throw new CoreError('INVALID_KEY', `invalid ${this.keyType} public key: ${(err as Error).message}`, { cause: err });
    }
    const algo = key.asymmetricKeyType;
    const family = this.keyType.replace(/-x509$/, '');
    const expected = family === 'ecdsa' ? 'ec' : family;
    if (algo !== expected) {
      throw new CoreError('INVALID_KEY', `${this.keyType} key holds a ${String(algo)} public key`);
    }
    if (algo === 'ec' && key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new CoreError('UNSUPPORTED_KEY_TYPE', 'only P-256 ECDSA keys are supported');
    }
    d.keyObject = key;
    return key;
  }
}

export function keyIdOf(keyType: string, publicBytes: Buffer): string {
  const preimage = canonicalize({ keytype: keyType, keyval: { private: null, public: publicBytes.toString('base64') } });
  return createHash('sha256').update(preimage, 'utf8').digest('hex');
}

function parseCertificates(pemBytes: Buffer): X509Certificate[] {
  const blocks = decodePemBlocks(pemBytes.toString('utf8')).filter((b) => b.type === 'CERTIFICATE');
  if (blocks.length === 0) throw new CoreError('INVALID_CERTIFICATE', 'no CERTIFICATE PEM block in x509 key');
  try {
    return blocks.map((b) => new X509Certificate(b.bytes));
  } catch (err) {
    throw new CoreError('INVALID_CERTIFICATE', `invalid certificate: ${(err as Error).message}`, { cause: err });
  }
}
