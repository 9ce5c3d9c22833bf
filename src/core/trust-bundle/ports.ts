/** What the trust bundle use cases need from the outside world (implemented in src/adapters/trust-bundle). */

/** One file of a bundle: its path inside the bundle and its exact bytes. */
export interface BundleFile {
  path: string;
  bytes: Buffer;
}

/** A bundle as read back: the manifest's bytes and every other file by path. */
export interface BundleContents {
  manifest: Buffer;
  files: ReadonlyMap<string, Buffer>;
}

/** Where a bundle is written: all or nothing (a failed write leaves no file at the destination). */
export interface BundleWriter {
  write(manifest: Buffer, files: readonly BundleFile[]): Promise<void>;
}
