/**
 * Where to go after signing in. The guard puts the page the user wanted
 * (path, query and hash) into `?redirect=`; the login page sends them back
 * there, but only to a path of this app, never to another origin.
 */

/** The pages a redirect must never point back to (they would loop). */
const AUTH_PAGES = ['/login', '/signup'];

export interface LocationLike {
  pathname: string;
  search?: string;
  hash?: string;
}

/** The login URL that brings the user back to `location` afterwards. */
export function loginPathFor(location: LocationLike): string {
  const target = `${location.pathname}${location.search ?? ''}${location.hash ?? ''}`;
  if (target === '/' || target === '' || isAuthPage(location.pathname)) return '/login';
  return `/login?redirect=${encodeURIComponent(target)}`;
}

/**
 * Validates a `redirect` parameter. Only same-app absolute paths pass:
 * no scheme, no protocol-relative `//host`, no backslash tricks, no
 * control characters, not the auth pages themselves. Anything else gives
 * the fallback.
 */
export function safeRedirect(raw: string | null | undefined, fallback = '/'): string {
  if (!raw) return fallback;
  const value = raw.trim();
  if (!value.startsWith('/')) return fallback;
  if (value.startsWith('//') || value.startsWith('/\\')) return fallback;
  if (value.includes('\\')) return fallback;
  if (/[\u0000-\u001f\u007f]/.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, 'http://switchboard.invalid');
  } catch {
    return fallback;
  }
  if (url.origin !== 'http://switchboard.invalid') return fallback;
  if (isAuthPage(url.pathname)) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** Carries the redirect parameter from one auth page to another. */
export function withRedirect(path: string, redirect: string | null): string {
  const target = safeRedirect(redirect, '');
  if (!target) return path;
  return `${path}?redirect=${encodeURIComponent(target)}`;
}

function isAuthPage(pathname: string): boolean {
  return AUTH_PAGES.some((page) => pathname === page || pathname.startsWith(`${page}/`));
}
