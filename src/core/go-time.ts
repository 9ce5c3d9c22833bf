/**
 * Go `time.Time` JSON values (RFC 3339 with nanoseconds) with Go's exact
 * re-serialisation rules: trailing fractional zeros trimmed, `Z` for a zero
 * offset, `±hh:mm` otherwise. Nanosecond precision and the original offset
 * survive a parse/format round trip.
 */
import { CoreError } from './errors.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export class GoTime {
  private constructor(
    /** milliseconds since the Unix epoch (UTC) */
    readonly epochMs: number,
    /** sub-millisecond nanoseconds, 0..999999 */
    readonly subMsNanos: number,
    /** zone offset in minutes east of UTC */
    readonly offsetMinutes: number,
  ) {}

  static parse(text: string): GoTime {
    const m = RFC3339.exec(text);
    if (!m) throw new CoreError('MALFORMED_TIME', `invalid time ${JSON.stringify(text)}: expected RFC 3339`);
    const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m as unknown as string[];
    const fraction = (frac ?? '').padEnd(9, '0');
    const ms = Number(fraction.slice(0, 3));
    const subMs = Number(fraction.slice(3));
    const offset = z ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
    const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
    const check = new Date(local);
    if (
      Number.isNaN(local) ||
      check.getUTCMonth() !== Number(mo) - 1 ||
      check.getUTCDate() !== Number(d) ||
      Number(h) > 23 ||
      Number(mi) > 59 ||
      Number(s) > 59 ||
      Number(oh ?? 0) > 23 ||
      Number(om ?? 0) > 59
    ) {
      throw new CoreError('MALFORMED_TIME', `invalid time ${JSON.stringify(text)}: out of range`);
    }
    return new GoTime(local - offset * 60_000, subMs, offset);
  }

  /** A UTC time from a Date (millisecond precision). */
  static fromDate(date: Date): GoTime {
    const ms = date.getTime();
    if (Number.isNaN(ms)) throw new CoreError('MALFORMED_TIME', 'invalid date');
    return new GoTime(ms, 0, 0);
  }

  static fromEpochMs(ms: number): GoTime {
    return GoTime.fromDate(new Date(ms));
  }

  /** Go's RFC3339Nano text for this instant in its own offset. */
  format(): string {
    const local = new Date(this.epochMs + this.offsetMinutes * 60_000);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    let out =
      `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
      `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
    const nanos = local.getUTCMilliseconds() * 1_000_000 + this.subMsNanos;
    if (nanos !== 0) out += '.' + String(nanos).padStart(9, '0').replace(/0+$/, '');
    if (this.offsetMinutes === 0) return out + 'Z';
    const abs = Math.abs(this.offsetMinutes);
    return out + (this.offsetMinutes < 0 ? '-' : '+') + pad(Math.floor(abs / 60)) + ':' + pad(abs % 60);
  }

  toDate(): Date {
    return new Date(this.epochMs);
  }

  /** True when this instant is strictly before `now` (notary's IsExpired). */
  isBefore(now: Date): boolean {
    const n = now.getTime();
    return this.epochMs < n;
  }

  toString(): string {
    return this.format();
  }
}
