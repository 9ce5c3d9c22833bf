/**
 * What an HTTPS client may be told about TLS, for one server: the CAs to trust, a client
 * identity, and whether to verify at all. `tls-options.ts` turns it into Node's options.
 */
export interface TlsSettings {
  /** PEM CA certificates to trust instead of the system roots */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** PEM CA certificates to trust besides the system roots (docker's `~/.docker/tls/<host>/*.crt`); ignored when `ca` is set */
  extraCa?: ReadonlyArray<string>;
  /** client certificate and key (PEM) */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** false skips certificate verification (docker's rule for loopback registries) */
  rejectUnauthorized?: boolean;
}
