/** wrk runs and their parsed summary. */
import { run } from './processes.js';

export interface WrkResult {
  requestsPerSecond: number;
  requests: number;
  /** latency percentiles, ms */
  p50Ms: number;
  p99Ms: number;
  /** responses that were not 2xx/3xx */
  non2xx: number;
  socketErrors: number;
}

export interface WrkOptions {
  threads: number;
  connections: number;
  durationS: number;
}

export async function runWrk(url: string, opts: WrkOptions): Promise<WrkResult> {
  const { stdout } = await run('wrk', [`-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.durationS}s`, '--latency', url], {
    timeoutMs: (opts.durationS + 30) * 1000,
  });
  return parseWrk(stdout);
}

export function parseWrk(text: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!rps) throw new Error(`cannot read wrk output:\n${text}`);
  const requests = /^\s*(\d+) requests in/m.exec(text);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(requests?.[1] ?? NaN),
    p50Ms: percentile(text, '50%'),
    p99Ms: percentile(text, '99%'),
    non2xx: Number(non2xx?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

function percentile(text: string, which: string): number {
  const m = new RegExp(`^\\s+${which}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}
