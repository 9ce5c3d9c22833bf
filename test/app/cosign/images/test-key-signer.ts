/**
 * A SigstoreSigner for tests: signs with a node:crypto key and no transparency log, and
 * makes the Sigstore bundle (v0.3, public-key hint) cosign makes for a key. Refuses a log
 * upload, which needs Rekor.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { dssePae } from '../../../../src/core/cosign/intoto-statement.js';
import { signWithKey } from '../../../../src/core/cosign/key-signature.js';
import type {
  SigningContent,
  SigningOptions,
  SigstoreSignature,
  SigstoreSigner,
} from '../../../../src/core/signatures/sigstore-signing.js';

export class TestKeySigner implements SigstoreSigner {
  readonly publicKey: KeyObject;

  constructor(readonly privateKey: KeyObject) {
    this.publicKey = createPublicKey(privateKey);
  }

  static generate(): TestKeySigner {
    return new TestKeySigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  }

  sign(content: SigningContent, opts: SigningOptions): Promise<SigstoreSignature> {
    if (opts.tlogUpload) return Promise.reject(new Error('the test signer uploads nothing to a transparency log'));
    const publicKeyPem = this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const verificationMaterial = { publicKey: { hint: '' }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } };
    if (content.kind === 'message') {
      const signature = signWithKey(this.privateKey, content.bytes);
      const bundle = {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial,
        messageSignature: {
          messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(content.bytes).digest('base64') },
          signature: signature.toString('base64'),
        },
      };
      return Promise.resolve({ bundle, signature, publicKeyPem });
    }
    const signature = signWithKey(this.privateKey, dssePae(content.payloadType, content.payload));
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial,
      dsseEnvelope: {
        payload: Buffer.from(content.payload).toString('base64'),
        payloadType: content.payloadType,
        signatures: [{ sig: signature.toString('base64'), keyid: '' }],
      },
    };
    return Promise.resolve({ bundle, signature, publicKeyPem });
  }
}
