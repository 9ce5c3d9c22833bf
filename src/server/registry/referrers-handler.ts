/** `/v2/<name>/referrers/<digest>`: the manifests whose subject is a digest, as an OCI index (filtered by `artifactType`). */
import type { ServerResponse } from 'node:http';
import { OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { RegistryHandlerContext } from './handler-context.js';
import { respondJson } from './registry-responses.js';
import { checkDigest } from './request-checks.js';

export class ReferrersHandler {
  constructor(private readonly ctx: RegistryHandlerContext) {}

  async referrers(res: ServerResponse, name: string, digest: string, query: URLSearchParams): Promise<number> {
    checkDigest(digest);
    const artifactType = query.get('artifactType');
    let found = await this.ctx.store.referrers(name, digest);
    const headers: Record<string, string> = {};
    if (artifactType !== null && artifactType !== '') {
      found = found.filter((m) => m.artifactType === artifactType);
      headers['OCI-Filters-Applied'] = 'artifactType';
    }
    const manifests = found.map((m) => {
      const d: Record<string, unknown> = { mediaType: m.mediaType, digest: m.digest, size: m.size };
      if (m.artifactType !== undefined) d['artifactType'] = m.artifactType;
      const annotations = annotationsOf(m.data);
      if (annotations) d['annotations'] = annotations;
      return d;
    });
    return respondJson(
      res,
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests }),
      OCI_MEDIA_TYPES.index,
      headers,
    );
  }
}

function annotationsOf(data: Buffer): Record<string, string> | undefined {
  try {
    const a = (JSON.parse(data.toString('utf8')) as { annotations?: unknown }).annotations;
    if (typeof a === 'object' && a !== null && !Array.isArray(a) && Object.keys(a).length > 0) return a as Record<string, string>;
  } catch {
    // stored manifests parsed when pushed; nothing to add otherwise
  }
  return undefined;
}
