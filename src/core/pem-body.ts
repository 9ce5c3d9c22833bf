/**
 * The header section of a PEM body as notary reads it (encoding.ts). cosign's reader follows
 * Go's `encoding/pem` line by line instead (adapters/cosign/pem-block.ts).
 */

export interface PemBodyParts {
  /** the `Name: value` lines, names and values trimmed (a later name wins) */
  headers: Record<string, string>;
  /** the lines after the header section and the blank line ending it: the base64, untrimmed */
  dataLines: string[];
}

/**
 * A body (the text between a BEGIN line and its END marker) in its headers and base64 lines.
 * Only a body with a `:` somewhere has a header section: its lines up to the first blank one
 * (all of them when none is blank). A line there that is neither blank nor `Name: value` means
 * there were no headers after all: every line of the body is base64.
 */
export function splitPemBody(body: string): PemBodyParts {
  const lines = body.split(/\r?\n/);
  if (!body.includes(':')) return { headers: {}, dataLines: lines };
  const headers: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') return { headers, dataLines: lines.slice(i + 1) };
    const colon = line.indexOf(':');
    if (colon < 0) return { headers: {}, dataLines: lines };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers, dataLines: [] };
}
