/** notation's configuration directory: what the notation signature commands load from it. */
export { notationConfigDir } from './config-dir.js';
export { loadTrustPolicy } from './trust-policy-file.js';
export { loadTrustAnchors, loadTrustStore } from './trust-store.js';
export { readSigningKey } from './signing-keys-file.js';
export { FileNotationConfig } from './file-notation-config.js';
