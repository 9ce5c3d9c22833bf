/**
 * What every handler of the embedded registry's API works with: the stores, the pull gate,
 * the upload session caps and the limits, as the router (registry-api.ts) resolved them; and who
 * is asking.
 */
import type { Logger } from 'pino';
import type { FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import type { RegistryStore } from '../../core/ports.js';
import type { ManifestGate } from './manifest-gate.js';
import type { UploadSessions } from './upload-sessions.js';

export interface RegistryHandlerContext {
  readonly store: RegistryStore;
  readonly blobs: FsBlobStore;
  readonly log: Logger;
  readonly gate?: ManifestGate | undefined;
  readonly uploads?: UploadSessions | undefined;
  /** the GUN of a repository of this registry */
  gunOf(name: string): string;
  readonly maxManifestBytes: number;
  readonly idleTimeoutMs: number;
  readonly maxPageSize: number;
  readonly maxBlobBytes: number;
}

/**
 * Who is asking: `publisher` may push to the repository; `address` is the client of the per-client limits;
 * `user` the authenticated one (audit records).
 */
export interface RegistryRequester {
  publisher: boolean;
  address?: string;
  user?: string;
}
