/** A scripted round-tripper for the wrapper tests: records what it was sent, answers what it is told. */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { RoundTripRequest, RoundTripper } from '../../../../src/adapters/http/transport/round-tripper.js';
import type { TransportResponse } from '../../../../src/adapters/http/transport/send.js';

export function response(status: number, headers: Record<string, string | string[]> = {}, body = ''): TransportResponse {
  const lower: Record<string, string | string[]> = {};
  const distinct: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    lower[k.toLowerCase()] = v;
    distinct[k.toLowerCase()] = Array.isArray(v) ? v : [v];
  }
  return {
    status,
    headers: lower,
    headersDistinct: distinct,
    url: new URL('http://fake/'),
    body: Readable.from([Buffer.from(body)]) as unknown as IncomingMessage,
    failure: () => undefined,
  };
}

export interface Scripted extends RoundTripper {
  sent: RoundTripRequest[];
}

/** Answers the n-th request with `answers[n]` (the last one again past the end); a function may throw. */
export function scripted(...answers: Array<TransportResponse | ((req: RoundTripRequest) => TransportResponse)>): Scripted {
  const sent: RoundTripRequest[] = [];
  const rt = (async (req: RoundTripRequest) => {
    sent.push(req);
    const a = answers[Math.min(sent.length - 1, answers.length - 1)];
    if (a === undefined) throw new Error('no answer scripted');
    return typeof a === 'function' ? a(req) : a;
  }) as Scripted;
  rt.sent = sent;
  return rt;
}
