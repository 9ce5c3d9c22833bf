/** The DctError the OCI core raises, with one of its codes (`OCI_ERROR_CODES`). */
import { DctError } from '../errors.js';
import type { OciErrorCode } from './errors.js';

export function ociError(code: OciErrorCode, message: string, options?: { cause?: unknown }): DctError {
  return new DctError(code, message, options);
}
