import { describe, expect, it, vi } from 'vitest';
import { Session } from './session';

const json = (status: number, body: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const token = (t: string, expires_in = 900) => ({ access_token: t, token_type: 'Bearer', expires_in });

function fakeServer(handler: (req: Request) => Response | Promise<Response>) {
  const calls: { path: string; auth: string | null }[] = [];
  const fetch = vi.fn(async (req: Request) => {
    calls.push({ path: new URL(req.url).pathname, auth: req.headers.get('Authorization') });
    return handler(req);
  });
  return { fetch, calls };
}

const noLock = <T,>(_n: string, fn: () => Promise<T>) => fn();

describe('Session', () => {
  it('adds the bearer token to requests', async () => {
    const server = fakeServer(() => json(200, {}));
    const s = new Session({ fetch: server.fetch, lock: noLock });
    s.setToken(token('abc'));
    await s.fetch(new Request('http://localhost/api/v1/me'));
    expect(server.calls).toEqual([{ path: '/api/v1/me', auth: 'Bearer abc' }]);
  });

  it('on 401 refreshes once and retries with the new token', async () => {
    const server = fakeServer((req) => {
      const path = new URL(req.url).pathname;
      if (path === '/api/v1/auth/refresh') return json(200, token('fresh'));
      return req.headers.get('Authorization') === 'Bearer fresh' ? json(200, { ok: true }) : json(401, { title: 'Unauthorized', status: 401 });
    });
    const s = new Session({ fetch: server.fetch, lock: noLock });
    s.setToken(token('stale'));
    const res = await s.fetch(new Request('http://localhost/api/v1/org', { method: 'PATCH', body: JSON.stringify({ name: 'x' }) }));
    expect(res.status).toBe(200);
    expect(server.calls.map((c) => `${c.path} ${c.auth}`)).toEqual([
      '/api/v1/org Bearer stale',
      '/api/v1/auth/refresh null',
      '/api/v1/org Bearer fresh',
    ]);
    expect(s.getSnapshot()).toMatchObject({ status: 'authenticated', expired: false });
  });

  it('retries the request body intact', async () => {
    const bodies: string[] = [];
    const server = fakeServer(async (req) => {
      const path = new URL(req.url).pathname;
      if (path === '/api/v1/auth/refresh') return json(200, token('fresh'));
      bodies.push(await req.text());
      return req.headers.get('Authorization') === 'Bearer fresh' ? json(200, {}) : json(401, {});
    });
    const s = new Session({ fetch: server.fetch, lock: noLock });
    s.setToken(token('stale'));
    await s.fetch(new Request('http://localhost/api/v1/api-keys', { method: 'POST', body: '{"name":"k"}' }));
    expect(bodies).toEqual(['{"name":"k"}', '{"name":"k"}']);
  });

  it('ends the session as expired when the refresh fails too', async () => {
    const server = fakeServer(() => json(401, { title: 'Unauthorized', status: 401 }));
    const s = new Session({ fetch: server.fetch, lock: noLock });
    s.setToken(token('stale'));
    const res = await s.fetch(new Request('http://localhost/api/v1/me'));
    expect(res.status).toBe(401);
    expect(server.calls.map((c) => c.path)).toEqual(['/api/v1/me', '/api/v1/auth/refresh']);
    expect(s.getSnapshot()).toMatchObject({ status: 'anonymous', expired: true, signedOut: false });
    expect(s.accessToken).toBeNull();
  });

  it('shares one refresh between concurrent 401s (the cookie rotates)', async () => {
    let refreshes = 0;
    const server = fakeServer(async (req) => {
      const path = new URL(req.url).pathname;
      if (path === '/api/v1/auth/refresh') {
        refreshes++;
        await new Promise((r) => setTimeout(r, 5));
        return json(200, token('fresh'));
      }
      return req.headers.get('Authorization') === 'Bearer fresh' ? json(200, {}) : json(401, {});
    });
    const s = new Session({ fetch: server.fetch, lock: noLock });
    s.setToken(token('stale'));
    const results = await Promise.all([
      s.fetch(new Request('http://localhost/api/v1/me')),
      s.fetch(new Request('http://localhost/api/v1/org')),
      s.fetch(new Request('http://localhost/api/v1/api-keys')),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(refreshes).toBe(1);
  });

  it('does not refresh on a failed login (wrong password is not an expired session)', async () => {
    const server = fakeServer(() => json(401, { title: 'Unauthorized', detail: 'invalid credentials' }));
    const s = new Session({ fetch: server.fetch, lock: noLock });
    s.clear('anonymous');
    const res = await s.fetch(new Request('http://localhost/api/v1/auth/login', { method: 'POST', body: '{}' }));
    expect(res.status).toBe(401);
    expect(server.calls.map((c) => c.path)).toEqual(['/api/v1/auth/login']);
  });

  it('refreshes ahead of expiry', async () => {
    let now = 1_000_000;
    const server = fakeServer((req) => (new URL(req.url).pathname === '/api/v1/auth/refresh' ? json(200, token('next')) : json(200, {})));
    const s = new Session({ fetch: server.fetch, lock: noLock, now: () => now });
    s.setToken(token('first', 60));
    now += 45_000; // 15 s left
    await s.fetch(new Request('http://localhost/api/v1/me'));
    expect(server.calls.map((c) => `${c.path} ${c.auth}`)).toEqual(['/api/v1/auth/refresh null', '/api/v1/me Bearer next']);
  });

  it('boots anonymous without a cookie and authenticated with one', async () => {
    const anon = new Session({ fetch: async () => json(401, {}), lock: noLock });
    await anon.boot();
    expect(anon.getSnapshot()).toMatchObject({ status: 'anonymous', expired: false, signedOut: false });

    const signedIn = new Session({ fetch: async () => json(200, token('t')), lock: noLock });
    await signedIn.boot();
    expect(signedIn.getSnapshot().status).toBe('authenticated');
    expect(signedIn.accessToken).toBe('t');
  });

  it('boots anonymous when the server is unreachable', async () => {
    const s = new Session({ fetch: async () => Promise.reject(new TypeError('Failed to fetch')), lock: noLock });
    await s.boot();
    expect(s.getSnapshot()).toMatchObject({ status: 'anonymous', expired: false });
  });

  it('notifies subscribers on change only', () => {
    const s = new Session({ fetch: async () => json(200, {}), lock: noLock });
    const listener = vi.fn();
    s.subscribe(listener);
    s.setToken(token('a'));
    s.setToken(token('b'));
    s.clear();
    expect(listener).toHaveBeenCalledTimes(2);
  });
});
