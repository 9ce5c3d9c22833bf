/** The timestamp role (notary `tuf/data/timestamp.go`). */
import type { JsonObject } from '../canonical-json.js';
import type { GoTime } from '../go-time.js';
import { commonFromJSON, type SignedCommon } from './common.js';
import { assertValidHashStructure, metaFromJSON, metaToJSON, type FileMeta } from './file-meta.js';
import { invalid, unrecognized, type JsonRecord } from './json-reader.js';

const KNOWN = ['_type', 'version', 'expires', 'meta'] as const;

export class Timestamp implements SignedCommon {
  readonly kind = 'timestamp';

  constructor(
    public version: number,
    public expires: GoTime,
    public meta: Record<string, FileMeta>,
    readonly unrecognized: JsonRecord = {},
  ) {}

  static fromJSON(v: unknown): Timestamp {
    const { version, expires, obj } = commonFromJSON(v, 'timestamp', 'timestamp');
    const t = new Timestamp(version, expires, metaFromJSON(obj['meta'], 'timestamp.meta'), unrecognized(obj, KNOWN));
    const fm = t.meta['snapshot'];
    if (!fm) throw invalid('timestamp', 'missing snapshot metadata');
    assertValidHashStructure(fm, 'timestamp.meta.snapshot');
    return t;
  }

  get snapshotMeta(): FileMeta {
    return this.meta['snapshot'] as FileMeta;
  }

  toJSON(): JsonObject {
    return { _type: 'Timestamp', expires: this.expires.format(), meta: metaToJSON(this.meta), version: this.version };
  }
}
