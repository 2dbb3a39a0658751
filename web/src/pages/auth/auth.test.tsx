import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '@/auth/session';
import { LoginPage } from './LoginPage';
import { passwordStrength, SignupPage } from './SignupPage';

type Handler = (path: string, body: unknown) => { status: number; body?: unknown; headers?: Record<string, string> };

function mockApi(handler: Handler) {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const path = new URL(req.url).pathname;
      calls.push(`${req.method} ${path}`);
      const text = req.method === 'GET' ? '' : await req.text();
      const r = handler(path, text ? JSON.parse(text) : undefined);
      const problem = r.status >= 400;
      return new Response(r.body === undefined ? null : JSON.stringify(r.body), {
        status: r.status,
        headers: { 'Content-Type': problem ? 'application/problem+json' : 'application/json', 'X-Request-ID': 'req-test', ...r.headers },
      });
    }),
  );
  return calls;
}

function renderAt(path: string) {
  const router = createMemoryRouter(
    [
      { path: '/login', element: <LoginPage /> },
      { path: '/signup', element: <SignupPage /> },
      { path: '*', element: <div data-testid="landed" /> },
    ],
    { initialEntries: [path] },
  );
  render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>,
  );
  return router;
}

const sso = { status: 200, body: { items: [{ name: 'google', configured: false }, { name: 'microsoft', configured: false }] } };

beforeEach(() => session.clear());
afterEach(() => vi.unstubAllGlobals());

describe('LoginPage', () => {
  it('signs in and lands on the redirect, query string included', async () => {
    mockApi((path) => {
      if (path === '/api/v1/auth/login') return { status: 200, body: { access_token: 'tok', token_type: 'Bearer', expires_in: 900 } };
      return sso;
    });
    const router = renderAt('/login?redirect=%2Fcontacts%2Fgroups%3Fcolor%3Dred');
    await userEvent.type(screen.getByLabelText(/email/i), 'demo@switchboard.local');
    await userEvent.type(screen.getByLabelText(/password/i), 'switchboard-demo');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByTestId('landed');
    expect(`${router.state.location.pathname}${router.state.location.search}`).toBe('/contacts/groups?color=red');
  });

  it('says "incorrect email or password" on 401', async () => {
    mockApi((path) => (path === '/api/v1/auth/login' ? { status: 401, body: { title: 'Unauthorized', status: 401, detail: 'invalid credentials' } } : sso));
    renderAt('/login');
    await userEvent.type(screen.getByLabelText(/email/i), 'a@b.co');
    await userEvent.type(screen.getByLabelText(/password/i), 'wrong-password');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Incorrect email or password.');
  });

  it('puts per-field problem errors on the fields', async () => {
    mockApi((path) =>
      path === '/api/v1/auth/login'
        ? {
            status: 422,
            body: { title: 'Unprocessable Entity', status: 422, detail: 'validation failed', errors: [{ message: 'expected string to be an email', location: 'body.email', value: 'x@y' }] },
          }
        : sso,
    );
    renderAt('/login');
    await userEvent.type(screen.getByLabelText(/email/i), 'x@y');
    await userEvent.type(screen.getByLabelText(/password/i), 'whatever-pass');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Expected string to be an email')).toBeInTheDocument();
    expect(screen.getByLabelText(/email/i)).toHaveAttribute('aria-invalid', 'true');
  });

  it('shows the wait from Retry-After on 429', async () => {
    mockApi((path) => (path === '/api/v1/auth/login' ? { status: 429, body: { title: 'Too Many Requests', status: 429 }, headers: { 'Retry-After': '42' } } : sso));
    renderAt('/login');
    await userEvent.type(screen.getByLabelText(/email/i), 'a@b.co');
    await userEvent.type(screen.getByLabelText(/password/i), 'whatever-pass');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Try again in 42 seconds');
  });

  it('explains a failed SSO callback', async () => {
    mockApi(() => sso);
    renderAt('/login?sso_error=email_not_verified');
    expect(await screen.findByTestId('sso-error')).toHaveTextContent("Your email isn't verified with the provider");
  });

  it('shows SSO buttons disabled when the server has not configured them', async () => {
    mockApi(() => sso);
    renderAt('/login');
    await waitFor(() => expect(screen.getByRole('button', { name: /google \(unavailable\)/i })).toBeDisabled());
  });
});

describe('SignupPage', () => {
  async function fill() {
    await userEvent.type(screen.getByLabelText(/your name/i), 'Ada Lovelace');
    await userEvent.type(screen.getByLabelText(/work email/i), 'ada@example.com');
    await userEvent.type(screen.getByLabelText(/^password/i), 'correct-horse-battery');
    await userEvent.type(screen.getByLabelText(/organization name/i), 'Analytical Engines');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
  }

  it('signs up, then signs in with the same credentials', async () => {
    const calls = mockApi((path) => {
      if (path === '/api/v1/auth/signup') return { status: 201, body: { message: 'ok' } };
      if (path === '/api/v1/auth/login') return { status: 200, body: { access_token: 'tok', token_type: 'Bearer', expires_in: 900 } };
      return sso;
    });
    const router = renderAt('/signup');
    await fill();
    await screen.findByTestId('landed');
    expect(router.state.location.pathname).toBe('/');
    expect(calls).toContain('POST /api/v1/auth/signup');
    expect(calls).toContain('POST /api/v1/auth/login');
  });

  it('suggests signing in when the email may already have an account', async () => {
    mockApi((path) => {
      if (path === '/api/v1/auth/signup') return { status: 201, body: { message: 'ok' } };
      if (path === '/api/v1/auth/login') return { status: 401, body: { title: 'Unauthorized', status: 401 } };
      return sso;
    });
    renderAt('/signup?redirect=%2Fdevelopers');
    await fill();
    const alert = await screen.findByTestId('signup-existing');
    expect(alert).toHaveTextContent('This email may already have an account — sign in instead');
    expect(screen.getByRole('link', { name: 'sign in instead' })).toHaveAttribute('href', '/login?redirect=%2Fdevelopers');
  });

  it('validates the password length before calling the API', async () => {
    const calls = mockApi(() => sso);
    renderAt('/signup');
    await userEvent.type(screen.getByLabelText(/^password/i), 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('Use at least 10 characters')).toBeInTheDocument();
    expect(calls.filter((c) => c.includes('signup'))).toEqual([]);
  });

  it('rates password strength', () => {
    expect(passwordStrength('')).toBe(0);
    expect(passwordStrength('abc')).toBeLessThanOrEqual(30);
    expect(passwordStrength('Correct-Horse-9-Battery')).toBe(100);
  });
});
