/**
 * Client-side routing under /ui/ with the History API: links are real `<a href>`s (open in a new tab,
 * keyboard, reload and deep links work: the server answers index.html for every page path).
 */
import type { AnchorHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/ui/';

export type Route =
  | { page: 'repositories' }
  | { page: 'repository'; gun: string }
  | { page: 'expiry' }
  | { page: 'decisions' }
  | { page: 'missing'; path: string };

export function routeOf(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname.replace(/^\/ui$/, '');
  const parts = rest.split('/').filter((p) => p !== '');
  const [first] = parts;
  if (first === undefined || (first === 'repositories' && parts.length === 1)) return { page: 'repositories' };
  if (first === 'repositories') return { page: 'repository', gun: parts.slice(1).map(safeDecode).join('/') };
  if (first === 'expiry' && parts.length === 1) return { page: 'expiry' };
  if (first === 'decisions' && parts.length === 1) return { page: 'decisions' };
  return { page: 'missing', path: pathname };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function repositoryHref(gun: string): string {
  return `${BASE}repositories/${gun.split('/').map(encodeURIComponent).join('/')}`;
}

const listeners = new Set<() => void>();

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const l of listeners) l();
}

/** The current location, re-rendering on navigation and on back/forward. */
export function useLocation(): URL {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((n) => n + 1);
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return new URL(location.href);
}

type AnchorProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An `<a>` that navigates in the page on a plain click and stays a normal link otherwise. */
export function Link({ href, children, ...rest }: AnchorProps) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
