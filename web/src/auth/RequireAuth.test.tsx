import { MantineProvider } from '@mantine/core';
import { act, render, screen } from '@testing-library/react';
import { createMemoryRouter, RouterProvider, useLocation, useSearchParams } from 'react-router';
import { describe, expect, it } from 'vitest';
import { RequireAuth } from './RequireAuth';
import { safeRedirect } from './redirect';
import { Session } from './session';

function LoginProbe() {
  const [params] = useSearchParams();
  return <div data-testid="login">redirect={params.get('redirect') ?? ''}</div>;
}

function Here() {
  const l = useLocation();
  return <div data-testid="page">{`${l.pathname}${l.search}${l.hash}`}</div>;
}

function setup(session: Session, initial: string) {
  const router = createMemoryRouter(
    [
      { path: '/login', element: <LoginProbe /> },
      { element: <RequireAuth session={session} />, children: [{ path: '*', element: <Here /> }] },
    ],
    { initialEntries: [initial] },
  );
  render(
    <MantineProvider>
      <RouterProvider router={router} />
    </MantineProvider>,
  );
  return router;
}

const neverFetch = () => Promise.reject(new Error('no network in this test'));

describe('RequireAuth', () => {
  it('shows a loader while the boot refresh is in flight', () => {
    const s = new Session({ fetch: neverFetch });
    setup(s, '/developers');
    expect(screen.getByRole('status')).toBeInTheDocument();
    expect(screen.queryByTestId('page')).toBeNull();
  });

  it('sends an anonymous visitor to login with the deep link, query string included', () => {
    const s = new Session({ fetch: neverFetch });
    s.clear('anonymous');
    const router = setup(s, '/contacts/groups?color=red');
    expect(screen.getByTestId('login')).toHaveTextContent('redirect=/contacts/groups?color=red');
    expect(router.state.location.pathname).toBe('/login');
    expect(router.state.location.search).toBe('?redirect=%2Fcontacts%2Fgroups%3Fcolor%3Dred');
    // the login page's redirect target is exactly the deep link
    expect(safeRedirect(new URLSearchParams(router.state.location.search).get('redirect'))).toBe('/contacts/groups?color=red');
  });

  it('renders the page for a signed-in user', () => {
    const s = new Session({ fetch: neverFetch });
    s.setToken({ access_token: 'a', expires_in: 900 });
    setup(s, '/settings?tab=members#invite');
    expect(screen.getByTestId('page')).toHaveTextContent('/settings?tab=members#invite');
  });

  it('keeps the current page as redirect when the session expires mid-use', () => {
    const s = new Session({ fetch: neverFetch });
    s.setToken({ access_token: 'a', expires_in: 900 });
    const router = setup(s, '/developers?show=revoked');
    expect(screen.getByTestId('page')).toBeInTheDocument();
    act(() => s.clear('expired'));
    expect(router.state.location.pathname).toBe('/login');
    expect(new URLSearchParams(router.state.location.search).get('redirect')).toBe('/developers?show=revoked');
    expect(s.getSnapshot().expired).toBe(true);
  });

  it('drops the page after an explicit sign-out', () => {
    const s = new Session({ fetch: neverFetch });
    s.setToken({ access_token: 'a', expires_in: 900 });
    const router = setup(s, '/developers?show=revoked');
    act(() => s.clear('signed-out'));
    expect(router.state.location.pathname).toBe('/login');
    expect(router.state.location.search).toBe('');
  });

  it('waits for the boot refresh, then lets the user in', async () => {
    let answer: (r: Response) => void = () => {};
    const s = new Session({
      fetch: () => new Promise<Response>((resolve) => (answer = resolve)),
      lock: (_n, fn) => fn(),
    });
    const booting = s.boot();
    setup(s, '/profile');
    expect(screen.getByRole('status')).toBeInTheDocument();
    await act(async () => {
      answer(new Response(JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_in: 900 }), { status: 200 }));
      await booting;
    });
    expect(screen.getByTestId('page')).toHaveTextContent('/profile');
  });
});
