/**
 * A forwarding proxy on loopback (HTTPS with the given certificate, else plain
 * HTTP) that records what trust clients
 * send: method, the request target exactly as sent (no decoding), the media
 * type of the body and, for multipart uploads, each part's form name and
 * filename in order. Requests go on unchanged (bodies byte for byte) to an
 * HTTPS or HTTP upstream; answers come back unchanged.
 *
 * Clients point at `url` (notary `-s`, DOCKER_CONTENT_TRUST_SERVER, dct's
 * `--server`): the wire between them and the proxy is what gets recorded.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** the request target as sent: path and query, escapes untouched */
  target: string;
  /** Content-Type without its parameters ('' when none) */
  contentType: string;
  /** multipart parts as `name/filename` (`files/targets/releases`), in the order sent */
  parts?: string[];
  /** the upstream's status */
  status: number;
}

export interface RecordingProxy {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface RecordingProxyOptions {
  /** CA bundle the upstream's certificate is checked against */
  ca?: string | Buffer;
  /** serve HTTPS with this certificate and key (docker wants an https trust server) */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export async function startRecordingProxy(upstream: string, opts: RecordingProxyOptions = {}): Promise<RecordingProxy> {
  const target = new URL(upstream);
  const requests: RecordedRequest[] = [];
  const agent =
    target.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, ...(opts.ca ? { ca: opts.ca } : {}) })
      : new http.Agent({ keepAlive: true });
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = req.headers['content-type'] ?? '';
      const entry: RecordedRequest = {
        method: req.method ?? '',
        target: req.url ?? '',
        contentType: type.split(';')[0]!.trim(),
        status: 0,
      };
      const boundary = /boundary=("?)([^";]+)\1/.exec(type)?.[2];
      if (boundary) entry.parts = partNames(body, boundary);
      requests.push(entry);
      const headers = { ...req.headers, host: target.host };
      const mod = target.protocol === 'https:' ? https : http;
      const out = mod.request(
        { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
        (up) => {
          entry.status = up.statusCode ?? 0;
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', (err) => {
        entry.status = 502;
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`proxy: ${err.message}`);
      });
      out.end(body);
    });
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `name/filename` of each part of a multipart body (a header block per delimiter). */
function partNames(body: Buffer, boundary: string): string[] {
  const text = body.toString('latin1');
  const names: string[] = [];
  const delimiter = `--${boundary}\r\n`;
  for (let at = text.indexOf(delimiter); at >= 0; at = text.indexOf(delimiter, at + delimiter.length)) {
    if (at > 0 && text.slice(at - 2, at) !== '\r\n') continue;
    const headEnd = text.indexOf('\r\n\r\n', at);
    const head = text.slice(at + delimiter.length, headEnd < 0 ? undefined : headEnd);
    const disposition = /^content-disposition:(.*)$/im.exec(head)?.[1] ?? '';
    const name = /\bname="((?:[^"\\]|\\.)*)"/.exec(disposition)?.[1] ?? '';
    const filename = /\bfilename="((?:[^"\\]|\\.)*)"/.exec(disposition)?.[1] ?? '';
    names.push(`${name}/${filename}`);
  }
  return names;
}
