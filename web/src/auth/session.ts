/**
 * The browser's session. The access token lives in memory only; the refresh
 * token is an HttpOnly cookie (sb_session) that only the API reads. A request
 * answered 401 triggers one silent refresh and is retried once; when the
 * refresh fails too the session is over and the guard sends the user to the
 * login page with the page they were on kept as the redirect.
 */

/** The token answer of login, refresh, switch-org and invitation accept. */
export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type?: string;
}

/** unknown: booting (the silent refresh is in flight). */
export type SessionStatus = 'unknown' | 'authenticated' | 'anonymous';

/** What the guard and the login page read. */
export interface SessionSnapshot {
  status: SessionStatus;
  /** True when an authenticated session ended without the user signing out. */
  expired: boolean;
  /** True right after the user signed out: the guard then drops the page they were on. */
  signedOut?: boolean;
}

/** Why there is no session: never had one here, signed out, or it ran out. */
export type EndReason = 'anonymous' | 'signed-out' | 'expired';

const REFRESH_PATH = '/api/v1/auth/refresh';
/** Routes whose 401 means "wrong credentials", not "session expired". */
const NO_RETRY = ['/api/v1/auth/login', '/api/v1/auth/signup', '/api/v1/auth/refresh', '/api/v1/auth/logout'];
/** Refresh ahead of expiry by this much, so a request never races the clock. */
const EARLY_REFRESH_MS = 30_000;

type Fetch = (input: Request) => Promise<Response>;

export interface SessionOptions {
  fetch?: Fetch;
  now?: () => number;
  /** Serialises refreshes across tabs (navigator.locks) so two tabs never present the same rotated cookie. */
  lock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

/** Session holds the access token and drives refresh; one per page. */
export class Session {
  private token: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<boolean> | null = null;
  private snapshot: SessionSnapshot = { status: 'unknown', expired: false };
  private listeners = new Set<() => void>();
  private readonly doFetch: Fetch;
  private readonly now: () => number;
  private readonly lock: <T>(name: string, fn: () => Promise<T>) => Promise<T>;

  constructor(options: SessionOptions = {}) {
    this.doFetch = options.fetch ?? ((req) => globalThis.fetch(req));
    this.now = options.now ?? (() => Date.now());
    this.lock = options.lock ?? defaultLock;
  }

  /** The current state, stable between changes (for useSyncExternalStore). */
  getSnapshot = (): SessionSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The in-memory access token, if any. */
  get accessToken(): string | null {
    return this.token;
  }

  /** Adopts a token from login, switch-org or invitation accept. */
  setToken(token: TokenResponse): void {
    this.token = token.access_token;
    this.expiresAt = this.now() + Math.max(0, token.expires_in) * 1000;
    this.setSnapshot({ status: 'authenticated', expired: false, signedOut: false });
  }

  /** Forgets the token; the reason tells the guard and the login page why. */
  clear(reason: EndReason = 'anonymous'): void {
    this.token = null;
    this.expiresAt = 0;
    this.setSnapshot({ status: 'anonymous', expired: reason === 'expired', signedOut: reason === 'signed-out' });
  }

  /**
   * Exchanges the refresh cookie for a new access token. Concurrent callers
   * share one request: the cookie rotates, so presenting it twice would be
   * taken for token theft and end the session.
   */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.lock('sb-refresh', () => this.refreshNow()).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** Boot: try the cookie silently; no cookie simply means anonymous. */
  async boot(): Promise<void> {
    const ok = await this.refresh();
    if (!ok && this.snapshot.status === 'unknown') this.clear('anonymous');
  }

  private async refreshNow(): Promise<boolean> {
    const wasAuthenticated = this.snapshot.status === 'authenticated';
    let response: Response;
    try {
      response = await this.doFetch(
        new Request(absolute(REFRESH_PATH), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: '{}',
          credentials: 'same-origin',
        }),
      );
    } catch {
      // Offline is not a logout: keep whatever state we had.
      if (this.snapshot.status === 'unknown') this.clear('anonymous');
      return false;
    }
    if (response.ok) {
      try {
        const body = (await response.json()) as TokenResponse;
        if (body && typeof body.access_token === 'string') {
          this.setToken(body);
          return true;
        }
      } catch {
        // fall through: an unreadable answer is a failed refresh
      }
    }
    this.clear(wasAuthenticated ? 'expired' : 'anonymous');
    return false;
  }

  /**
   * The fetch used by the API client: adds the bearer token, refreshes it
   * when it is about to expire, and on a 401 refreshes once and retries.
   */
  fetch = async (request: Request): Promise<Response> => {
    const path = pathOf(request.url);
    const retryable = !NO_RETRY.includes(path);
    let mayRetry = retryable;
    if (retryable && this.token && this.expiresAt - this.now() < EARLY_REFRESH_MS) {
      // A failed early refresh has already ended the session: no second try.
      mayRetry = await this.refresh();
    }
    const spare = mayRetry ? request.clone() : null;
    const first = await this.doFetch(this.authorize(request));
    if (first.status !== 401 || !spare) return first;

    const hadSession = this.snapshot.status === 'authenticated';
    const refreshed = await this.refresh();
    if (!refreshed) {
      if (hadSession && this.snapshot.status !== 'anonymous') this.clear('expired');
      return first;
    }
    return this.doFetch(this.authorize(spare));
  };

  private authorize(request: Request): Request {
    if (!this.token || request.headers.has('Authorization')) return request;
    const headers = new Headers(request.headers);
    headers.set('Authorization', `Bearer ${this.token}`);
    return new Request(request, { headers });
  }

  private setSnapshot(next: SessionSnapshot): void {
    const prev = this.snapshot;
    if (next.status === prev.status && next.expired === prev.expired && !!next.signedOut === !!prev.signedOut) return;
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return url;
  }
}

function absolute(path: string): string {
  return typeof window !== 'undefined' && window.location ? new URL(path, window.location.origin).toString() : `http://localhost${path}`;
}

function defaultLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (locks?.request) return locks.request(name, fn) as Promise<T>;
  return fn();
}

/** The page's session. */
export const session = new Session();
