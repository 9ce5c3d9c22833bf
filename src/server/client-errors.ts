/** Answers to requests node refuses before they reach the trust server's handler. */
import type { Duplex } from 'node:stream';
import { ApiError } from './api-errors.js';

/**
 * Requests node refuses before they reach the handler (timeouts, malformed or
 * oversized headers) still get notary's JSON error body. With a listener here
 * node sends nothing by itself, so every case is answered.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const writable = socket.writable && !(socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (writable && err.code !== 'ECONNRESET') {
    const [status, reason, error] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', new ApiError('TIMEOUT')]
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', new ApiError('TOO_LARGE')]
          : [400, 'Bad Request', new ApiError('MALFORMED_UPLOAD')];
    const body = error.body();
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString()}`,
    );
    setTimeout(() => socket.destroy(), 1000).unref();
    return;
  }
  socket.destroy();
}
