/** dct as a library: the pieces other programs build on (curated; the CLI and server are separate entry points). */
export { canonicalize, canonicalBytes } from './core/canonical-json.js';
export { DctError, CoreError, isDctError } from './core/errors.js';
export { GoTime } from './core/go-time.js';
export { PublicKey } from './core/keys/public-key.js';
export { KeySigner, type Signer } from './core/keys/signer.js';
export { verifySignature, type Signature } from './core/keys/signature.js';
export { createRootCertificate } from './core/keys/certificate.js';
export { encodePrivateKeyFile, decodePrivateKeyFile } from './core/keys/key-file.js';
export { Metadata, parseMetadata } from './core/tuf/metadata.js';
export { Root } from './core/tuf/root.js';
export { Targets } from './core/tuf/targets.js';
export { Snapshot, Timestamp } from './core/tuf/snapshot.js';
export { fileMetaOf, checkFileMeta, type FileMeta } from './core/tuf/file-meta.js';
export { TrustedSet, type TrustedSetOptions } from './core/trust/trusted-set.js';
export type { MetadataSource, TufStore, KeyService, PrivateKeyStore } from './core/ports.js';
export { loadRepository } from './app/load-repository.js';
export { NotaryClient } from './adapters/notary-http/notary-client.js';
export { FileKeyStore } from './adapters/keystore/file-keystore.js';
