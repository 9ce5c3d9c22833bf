/**
 * cosign's key-pair use cases: `generate-key-pair` (a new ECDSA P-256 key), `import-key-pair`
 * (an unencrypted PEM private key re-encrypted in cosign's format) and `public-key` (the
 * public key of a key file), each giving the PEM texts; and writing a pair as cosign does
 * (`<prefix>.key` mode 0600, `<prefix>.pub` mode 0644, asking before overwriting a key).
 */
import type { KeyObject } from 'node:crypto';
import { DctError } from '../../../core/errors.js';
import type { CosignKeyCodec, PasswordSource } from './cosign-key-codec.js';

export interface KeyPairPem {
  privatePem: string;
  publicPem: string;
}

export async function generateKeyPair(codec: CosignKeyCodec, password: PasswordSource): Promise<KeyPairPem> {
  const key = codec.generate();
  return encryptPair(codec, key, await password(true));
}

/** `import-key-pair`: the key is checked before the password is asked, as cosign does. */
export async function importKeyPair(codec: CosignKeyCodec, keyPem: Buffer, password: PasswordSource): Promise<KeyPairPem> {
  const key = codec.readPrivate(keyPem, '');
  return encryptPair(codec, key, await password(true));
}

/** The private key of a key file, asking for the password only when the file is encrypted. */
export async function loadPrivateKey(codec: CosignKeyCodec, keyPem: Buffer, password: PasswordSource): Promise<KeyObject> {
  return codec.readPrivate(keyPem, codec.isEncrypted(keyPem) ? await password(false) : '');
}

/** `public-key --key`: the public key (PEM SPKI) of a private key file. */
export async function publicKeyOf(codec: CosignKeyCodec, keyPem: Buffer, password: PasswordSource): Promise<string> {
  return codec.writePublic(await loadPrivateKey(codec, keyPem, password));
}

function encryptPair(codec: CosignKeyCodec, key: KeyObject, password: string): KeyPairPem {
  return { privatePem: codec.writePrivate(key, password), publicPem: codec.writePublic(key) };
}

/** The files a key pair is written to. */
export interface KeyPairFiles {
  exists(path: string): Promise<boolean>;
  write(path: string, text: string, mode: number): Promise<void>;
}

/**
 * Writes `<prefix>.key` and `<prefix>.pub`. An existing `<prefix>.key` is overwritten only when
 * `confirmOverwrite` says yes (cosign's "File … already exists. Overwrite?"); otherwise
 * COSIGN_KEY_FILE_EXISTS. Reports each file written.
 */
export async function saveKeyPair(
  files: KeyPairFiles,
  prefix: string,
  pair: KeyPairPem,
  confirmOverwrite: (path: string) => Promise<boolean>,
  written: (what: 'Private' | 'Public', path: string) => void,
): Promise<void> {
  const keyPath = `${prefix}.key`;
  const pubPath = `${prefix}.pub`;
  if ((await files.exists(keyPath)) && !(await confirmOverwrite(keyPath)))
    throw new DctError(
      'COSIGN_KEY_FILE_EXISTS',
      `user declined the prompt: ${keyPath} exists (pass --yes to overwrite, or choose --output-key-prefix)`,
    );
  await files.write(keyPath, pair.privatePem, 0o600);
  written('Private', keyPath);
  await files.write(pubPath, pair.publicPem, 0o644);
  written('Public', pubPath);
}
