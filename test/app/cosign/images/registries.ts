/**
 * The two registries cosign's image tests run against: dct server's embedded registry (OCI
 * 1.1 referrers API) and the real docker-registry 2.8 (none: the tag fallbacks), plus a
 * small image pushed to a repository.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { SignatureRegistry } from '../../../../src/core/signatures/signature-registry.js';
import type { Descriptor } from '../../../../src/core/oci/descriptor.js';
import { EMPTY_JSON_DESCRIPTOR, OCI_MEDIA_TYPES } from '../../../../src/core/oci/media-types.js';
import { loadConfig } from '../../../../src/server/config.js';
import { startServer } from '../../../../src/server/start-server.js';
import { interopSkip } from '../../../support/interop.js';
import { plainRegistryMissing, startPlainRegistry } from '../../../support/plain-registry.js';

export interface TestRegistry {
  host: string;
  /** the dct data folder (embedded registry only: its TLS CA) */
  dataDir?: string;
  stop(): Promise<void>;
}

export const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function startEmbeddedRegistry(): Promise<TestRegistry> {
  const data = mkdtempSync(join(tmpdir(), 'dct-cosign-'));
  const config = loadConfig({
    env: {},
    flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(data, 'dct.db')}`, dataDir: data, logLevel: 'warn' },
  });
  const server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'cosign-test' }, pino({ level: 'warn' }));
  return {
    host: new URL(server.url).host,
    dataDir: data,
    stop: async () => {
      await server.close();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** [name, how referrers are attached, start, skip] */
export const REGISTRIES: Array<[string, 'api' | 'tag', () => Promise<TestRegistry>, string | false]> = [
  ["dct server's embedded registry", 'api', startEmbeddedRegistry, false],
  ['docker-registry 2.8', 'tag', startPlainRegistry, interopSkip(plainRegistryMissing())],
];

/** Pushes a one-layer OCI image tagged `tag`; returns its manifest descriptor. */
export async function pushImage(store: SignatureRegistry, repo: string, tag: string, content: string): Promise<Descriptor> {
  const layer = Buffer.from(content);
  const layerDescriptor = { mediaType: OCI_MEDIA_TYPES.layer, digest: sha256(layer), size: layer.length };
  await store.writeBlob(repo, { ...EMPTY_JSON_DESCRIPTOR }, Buffer.from('{}'));
  await store.writeBlob(repo, layerDescriptor, layer);
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.manifest, config: EMPTY_JSON_DESCRIPTOR, layers: [layerDescriptor] }),
  );
  await store.putManifest(repo, tag, bytes, OCI_MEDIA_TYPES.manifest);
  return { mediaType: OCI_MEDIA_TYPES.manifest, digest: sha256(bytes), size: bytes.length };
}
