import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Me, Org } from '@/api/types';
import { session } from '@/auth/session';
import { CurrentContext } from './CurrentContext';
import { NotificationBell } from './NotificationBell';
import { allMarkedRead, badgeLabel, markedRead, newestCreatedAt, POLL_MS, type NotificationPage } from './notifications';

const now = Date.now();
const iso = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();

function page(): NotificationPage {
  return {
    unread_count: 2,
    items: [
      { id: 'n1', kind: 'campaign.completed', title: 'Spring sale finished', body: '1,204 delivered', link: '/messaging/campaigns', created_at: iso(3), read_at: null },
      { id: 'n2', kind: 'alert.fired', title: 'Bounce rate above 5%', body: '', link: '', created_at: iso(120), read_at: null },
      { id: 'n3', kind: 'campaign.completed', title: 'Old news', body: '', link: '', created_at: iso(60 * 24 * 3), read_at: iso(60) },
    ],
  };
}

describe('notification helpers', () => {
  it('labels the badge', () => {
    expect(badgeLabel(0)).toBeNull();
    expect(badgeLabel(7)).toBe('7');
    expect(badgeLabel(120)).toBe('99+');
  });

  it('marks one read once, and all up to a time', () => {
    const p = markedRead(page(), 'n1', iso(0));
    expect(p.unread_count).toBe(1);
    expect(p.items![0]!.read_at).not.toBeNull();
    expect(markedRead(p, 'n1', iso(0)).unread_count).toBe(1);
    expect(markedRead(p, 'n3', iso(0)).unread_count).toBe(1);

    const all = allMarkedRead(page(), iso(60), iso(0));
    expect(all.unread_count).toBe(1);
    expect(all.items!.map((n) => !!n.read_at)).toEqual([false, true, true]);
    expect(newestCreatedAt(page())).toBe(iso(3));
    expect(newestCreatedAt({ unread_count: 0, items: [] })).toBeNull();
  });
});

describe('NotificationBell', () => {
  let state: NotificationPage;
  let calls: { method: string; path: string; body: string }[];

  beforeEach(() => {
    session.clear('anonymous');
    state = page();
    calls = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const path = new URL(req.url).pathname;
        calls.push({ method: req.method, path, body: req.method === 'POST' ? await req.text() : '' });
        let body: unknown = state;
        if (path === '/api/v1/notifications/n1/read') {
          state = markedRead(state, 'n1', iso(0));
          body = state.items![0];
        }
        if (path === '/api/v1/notifications/read-all') {
          state = allMarkedRead(state, iso(0), iso(0));
          body = { marked: 1, unread_count: 0 };
        }
        return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
      }),
    );
  });
  afterEach(() => vi.unstubAllGlobals());

  function renderBell() {
    const router = createMemoryRouter(
      [
        { path: '/', element: <NotificationBell /> },
        { path: '/messaging/campaigns', element: <p>campaigns page</p> },
      ],
      { initialEntries: ['/'] },
    );
    render(
      <MantineProvider>
        <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
          <CurrentContext.Provider value={{ me: {} as Me, org: { id: 'o1' } as Org, role: 'member', isStaff: false }}>
            <RouterProvider router={router} />
          </CurrentContext.Provider>
        </QueryClientProvider>
      </MantineProvider>,
    );
    return router;
  }

  it('shows the unread count, lists with relative times, marks read and opens the link', async () => {
    const router = renderBell();
    const bell = await screen.findByRole('button', { name: 'Notifications, 2 unread' });
    expect(within(bell).getByText('2')).toBeInTheDocument();

    await userEvent.click(bell);
    const items = await screen.findAllByTestId('notification-item');
    expect(items).toHaveLength(3);
    expect(items[0]).toHaveTextContent('Spring sale finished');
    expect(items[0]).toHaveTextContent('3 minutes ago');
    expect(items[1]).toHaveTextContent('2 hours ago');
    expect(items[0]).toHaveAttribute('data-unread', 'true');
    expect(items[2]).not.toHaveAttribute('data-unread');
    expect(screen.getByTestId('notification-unread-count')).toHaveTextContent('2 new');

    await userEvent.click(items[0]!);
    await waitFor(() => expect(router.state.location.pathname).toBe('/messaging/campaigns'));
    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/v1/notifications/n1/read')).toBe(true);
  });

  it('marks all read up to the newest shown', async () => {
    renderBell();
    await userEvent.click(await screen.findByRole('button', { name: 'Notifications, 2 unread' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Mark all read' }));
    await screen.findByRole('button', { name: 'Notifications' });
    const call = calls.find((c) => c.path === '/api/v1/notifications/read-all');
    expect(JSON.parse(call!.body)).toEqual({ up_to: iso(3) });
    // jsdom gives the bell no box, so Mantine's floating dropdown hides
    // itself after a re-render (hideDetached): query hidden elements too.
    await waitFor(() => expect(screen.getByRole('button', { name: 'Mark all read', hidden: true })).toBeDisabled());
    expect(screen.queryAllByTestId('notification-item').filter((el) => el.hasAttribute('data-unread'))).toHaveLength(0);
  });

  it('polls every 30 seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      renderBell();
      await screen.findByRole('button', { name: 'Notifications, 2 unread' });
      const lists = () => calls.filter((c) => c.path === '/api/v1/notifications').length;
      expect(lists()).toBe(1);
      state = { ...state, unread_count: 5 };
      await vi.advanceTimersByTimeAsync(POLL_MS + 100);
      await screen.findByRole('button', { name: 'Notifications, 5 unread' });
      expect(lists()).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
