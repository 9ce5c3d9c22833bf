/** The snapshot role (notary `tuf/data/snapshot.go`). */
import type { JsonObject } from '../canonical-json.js';
import type { GoTime } from '../go-time.js';
import { commonFromJSON, type SignedCommon } from './common.js';
import { assertValidHashStructure, metaFromJSON, metaToJSON, type FileMeta } from './file-meta.js';
import { invalid, unrecognized, type JsonRecord } from './json-reader.js';

const KNOWN = ['_type', 'version', 'expires', 'meta'] as const;

export class Snapshot implements SignedCommon {
  readonly kind = 'snapshot';

  constructor(
    public version: number,
    public expires: GoTime,
    /** file meta of root, targets and every delegated role file */
    public meta: Record<string, FileMeta>,
    readonly unrecognized: JsonRecord = {},
  ) {}

  static fromJSON(v: unknown): Snapshot {
    const { version, expires, obj } = commonFromJSON(v, 'snapshot', 'snapshot');
    const s = new Snapshot(version, expires, metaFromJSON(obj['meta'], 'snapshot.meta'), unrecognized(obj, KNOWN));
    for (const role of ['root', 'targets']) {
      const fm = s.meta[role];
      if (!fm) throw invalid('snapshot', `missing ${role} metadata`);
      assertValidHashStructure(fm, `snapshot.meta.${role}`);
    }
    return s;
  }

  toJSON(): JsonObject {
    return { _type: 'Snapshot', expires: this.expires.format(), meta: metaToJSON(this.meta), version: this.version };
  }
}
