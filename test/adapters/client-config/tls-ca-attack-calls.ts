/** What tls-ca-pem.test.ts runs under the hang guard (test/support/hang-guard.ts). */
import { certificateBlockTexts } from '../../../src/adapters/client-config/docker-tls-files.js';

/** how many CERTIFICATE blocks a `*.crt` file holds */
export const caCertificateCount = (text: string): number => certificateBlockTexts(text).length;
