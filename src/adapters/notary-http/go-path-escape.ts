/**
 * The request path Go's net/url puts on the wire for a path written out
 * unescaped, as notary's httpstore builds it (`url.Parse(server + "/v2/" + gun
 * + "/_trust/tuf/")`, then `ResolveReference` of `role.json`, then
 * `URL.String()` → `EscapedPath()`):
 *
 * - a path made only of characters Go accepts as already escaped (letters,
 *   digits, `-._~`, `/` and `!$&'()*+,;=:@[]`) is sent as it is: slashes in a
 *   GUN or a delegation role (`targets/releases`) are path separators, never
 *   `%2F`;
 * - any other character (space, `"`, `#`, `?`, `\`, `^`, non-ASCII, …) makes
 *   Go escape the whole path with its path escaping: every UTF-8 byte except
 *   letters, digits, `-._~$&+,/:;=@` becomes `%XX` (upper-case hex).
 *
 * One deliberate difference: `%` is always sent as `%25`. Go would take `%41`
 * in a GUN for an escape (and refuse `%zz`), so the server would see another
 * name than the one the client keeps its trust data under.
 */

/** Characters Go's validEncoded accepts in a raw path (besides `%`, handled apart). */
const RAW_OK = /^[A-Za-z0-9\-_.~/!$&'()*+,;=:@[\]%]*$/;
/** Bytes Go's escape(…, encodePath) leaves alone. */
const KEPT = /[A-Za-z0-9\-_.~$&+,/:;=@]/;

export function goEscapedPath(path: string): string {
  if (RAW_OK.test(path)) return path.replace(/%/g, '%25');
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && KEPT.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
