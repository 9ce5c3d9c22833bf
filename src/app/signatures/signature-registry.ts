/** The registry port of the signature formats lives in the core (adapters implement it): `src/core/signatures/signature-registry.ts`. */
export type { RegistryManifest, SignatureRegistry } from '../../core/signatures/signature-registry.js';
