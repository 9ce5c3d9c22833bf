/**
 * User agent (go-containerregistry `transport/useragent.go`): every request carries
 * `User-Agent`, first among its headers; one the caller set wins.
 */
import type { Wrapper } from './round-tripper.js';

export function userAgent(value: string): Wrapper {
  return (inner) => (req) => {
    const own = Object.keys(req.headers ?? {}).some((k) => k.toLowerCase() === 'user-agent');
    return inner(own ? req : { ...req, headers: { 'User-Agent': value, ...(req.headers ?? {}) } });
  };
}
