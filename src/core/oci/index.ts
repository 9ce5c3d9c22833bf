/**
 * The OCI image core: media types, digests, descriptors, manifests and indexes (kept as
 * raw bytes), platforms. Pure: node:crypto only.
 */
export * from './errors.js';
export * from './oci-error.js';
export * from './media-types.js';
export * from './digest.js';
export * from './descriptor.js';
export * from './manifest.js';
export * from './platform.js';
