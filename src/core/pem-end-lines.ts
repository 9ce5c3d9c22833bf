/**
 * Where the `-----END <type>-----` markers of a PEM text are, found in one pass, so that a
 * PEM reader can look up the end of each block it opens without searching the rest of the
 * text again. Searching afresh for every `-----BEGIN` line (as a lazy regular expression or
 * `indexOf` from each one does) costs the length of the text per line when the ENDs are
 * missing: a 560 KB text of BEGIN lines took 30 s. Hostile PEM text reaches dct from trust
 * servers (x509 keys in TUF metadata), registries (cosign certificate annotations) and
 * clients (metadata uploaded to `dct server`).
 *
 * `find(type, from)` answers exactly what `text.indexOf(`-----END ${type}-----`, from)` would
 * for any `type` that neither contains `-----` nor ends with `-`, which holds for the types
 * PEM readers take from a BEGIN line (the text up to the first `-----` after `BEGIN `).
 */
export class PemEndLines {
  /** type → the positions of its END markers, ascending */
  private readonly byType = new Map<string, number[]>();

  constructor(text: string) {
    for (let at = text.indexOf('-----END '); at >= 0; at = text.indexOf('-----END ', at + 9)) {
      // the type runs to the first `-----` after `END `: no further than the next END marker
      const typeEnd = text.indexOf('-----', at + 9);
      if (typeEnd < 0) break;
      const type = text.slice(at + 9, typeEnd);
      const list = this.byType.get(type);
      if (list) list.push(at);
      else this.byType.set(type, [at]);
    }
  }

  /** The first `-----END ${type}-----` at or after `from`, or -1. */
  find(type: string, from: number): number {
    const list = this.byType.get(type);
    if (!list) return -1;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length ? (list[lo] as number) : -1;
  }
}
