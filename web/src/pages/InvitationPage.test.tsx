import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '@/auth/session';
import { InvitationPage } from './InvitationPage';

const preview = { org_name: 'Demo Org', email: 'vera@example.com', role: 'viewer', inviter_name: 'Demo Owner', expires_at: '2030-01-01T00:00:00Z' };

function mockApi(routes: Record<string, { status: number; body?: unknown }>) {
  const calls: { path: string; body: unknown; auth: string | null }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const path = `${req.method} ${new URL(req.url).pathname}`;
      const text = req.method === 'GET' ? '' : await req.text();
      calls.push({ path, body: text ? JSON.parse(text) : undefined, auth: req.headers.get('Authorization') });
      const r = routes[path] ?? { status: 404, body: { title: 'Not Found', status: 404 } };
      return new Response(r.body === undefined ? null : JSON.stringify(r.body), {
        status: r.status,
        headers: { 'Content-Type': r.status >= 400 ? 'application/problem+json' : 'application/json' },
      });
    }),
  );
  return calls;
}

function renderAt(path: string) {
  const router = createMemoryRouter(
    [
      { path: '/invitations/:token', element: <InvitationPage /> },
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

beforeEach(() => session.clear('anonymous'));
afterEach(() => vi.unstubAllGlobals());

describe('InvitationPage', () => {
  it('creates the account, signs in and lands on the dashboard in the new org', async () => {
    const calls = mockApi({
      'GET /api/v1/invitations/tok1': { status: 200, body: preview },
      'POST /api/v1/invitations/tok1/accept': { status: 200, body: { org_id: 'org-1', role: 'viewer', access_token: 'a1', token_type: 'Bearer', expires_in: 900 } },
      'POST /api/v1/auth/switch-org': { status: 200, body: { access_token: 'a2', token_type: 'Bearer', expires_in: 900 } },
    });
    const router = renderAt('/invitations/tok1');
    expect(await screen.findByRole('heading', { name: 'Join Demo Org' })).toBeInTheDocument();
    expect(screen.getByText('Viewer')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/your name/i), 'Vera Viewer');
    await userEvent.type(screen.getByLabelText(/^password/i), 'viewer-password-1');
    await userEvent.click(screen.getByRole('button', { name: 'Create account and join' }));
    await screen.findByTestId('landed');
    expect(router.state.location.pathname).toBe('/');
    const accept = calls.find((c) => c.path === 'POST /api/v1/invitations/tok1/accept');
    expect(accept?.body).toEqual({ name: 'Vera Viewer', password: 'viewer-password-1', cookie: true });
    expect(accept?.auth).toBeNull();
    expect(calls.find((c) => c.path === 'POST /api/v1/auth/switch-org')).toMatchObject({ body: { org_id: 'org-1' }, auth: 'Bearer a1' });
    expect(session.accessToken).toBe('a2');
  });

  it('sends someone who already has an account to sign in, keeping the link', async () => {
    mockApi({
      'GET /api/v1/invitations/tok2': { status: 200, body: preview },
      'POST /api/v1/invitations/tok2/accept': { status: 409, body: { title: 'Conflict', status: 409, detail: 'sign in to accept' } },
    });
    renderAt('/invitations/tok2');
    await userEvent.type(await screen.findByLabelText(/your name/i), 'Vera');
    await userEvent.type(screen.getByLabelText(/^password/i), 'viewer-password-1');
    await userEvent.click(screen.getByRole('button', { name: 'Create account and join' }));
    const alert = await screen.findByTestId('invitation-has-account');
    expect(alert).toHaveTextContent('vera@example.com already has a Switchboard account');
    expect(screen.getAllByRole('link', { name: 'Sign in to accept' })[0]).toHaveAttribute('href', '/login?redirect=%2Finvitations%2Ftok2');
  });

  it('says when the link is no longer valid', async () => {
    mockApi({});
    renderAt('/invitations/gone');
    expect(await screen.findByTestId('invitation-invalid')).toHaveTextContent("This invitation isn't valid");
  });
});
