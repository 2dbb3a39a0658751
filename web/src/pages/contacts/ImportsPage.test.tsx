import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor, within } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Me } from '@/api/types';
import { session } from '@/auth/session';
import { CurrentContext } from '@/layout/CurrentContext';
import { ImportsPage } from './ImportsPage';

const base = {
  size_bytes: 2048,
  delimiter: ',',
  header: ['email'],
  mapping: ['email'],
  overwrite: false,
  group_ids: [],
  tags: [],
  error: '',
  created_by: 'u1',
  created_at: new Date().toISOString(),
};

/** The list answers running first, then completed: the page must poll to see it finish. */
function mockApi() {
  let listCalls = 0;
  const running = { ...base, id: 'i1', filename: 'big.csv', status: 'running', phase: 'merging', rows_total: 400, rows_done: 100, created: 80, merged: 20, rejected: 0, started_at: base.created_at };
  const finished = { ...running, status: 'completed', phase: '', rows_done: 400, created: 390, merged: 9, rejected: 1, finished_at: base.created_at };
  const old = { ...base, id: 'i2', filename: 'old.csv', status: 'failed', phase: '', rows_total: 10, rows_done: 3, created: 3, merged: 0, rejected: 0, created_by: null, error: 'the file is not UTF-8' };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const path = new URL(req.url).pathname;
      let body: unknown = { items: [] };
      if (path === '/api/v1/contacts/imports') {
        listCalls += 1;
        body = { items: [listCalls === 1 ? running : finished, old] };
      }
      if (path === '/api/v1/org/members') body = { items: [{ user_id: 'u1', name: 'Ada Admin', email: 'ada@x.io', role: 'admin', joined_at: base.created_at }] };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
    }),
  );
  return () => listCalls;
}

function renderPage(role: 'viewer' | 'admin') {
  const router = createMemoryRouter([{ path: '/contacts/imports', element: <ImportsPage /> }], { initialEntries: ['/contacts/imports'] });
  render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <CurrentContext.Provider value={{ me: {} as Me, org: null, role, isStaff: false }}>
          <RouterProvider router={router} />
        </CurrentContext.Provider>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

beforeEach(() => session.clear('anonymous'));
afterEach(() => vi.unstubAllGlobals());

describe('ImportsPage', () => {
  it('shows a running import live until it finishes, with who, counts and rejects', async () => {
    const calls = mockApi();
    renderPage('admin');
    const row = await screen.findByTestId('import-row-big.csv');
    expect(within(row).getByTestId('import-row-status')).toHaveTextContent('Merging');
    expect(within(row).getByText('100 of 400 rows · 25%')).toBeInTheDocument();
    expect(within(row).getByText('Ada Admin')).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Delete import big.csv' })).toBeDisabled();
    expect(within(row).queryByRole('button', { name: /Download rejected rows/ })).toBeNull();

    await waitFor(() => expect(within(row).getByTestId('import-row-status')).toHaveTextContent('Completed'), { timeout: 4000 });
    expect(calls()).toBeGreaterThanOrEqual(2);
    expect(within(row).getByTestId('import-row-created')).toHaveTextContent('390');
    expect(within(row).getByTestId('import-row-rejected')).toHaveTextContent('1');
    expect(within(row).getByRole('button', { name: 'Download rejected rows of big.csv' })).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Delete import big.csv' })).toBeEnabled();

    const failed = screen.getByTestId('import-row-old.csv');
    expect(within(failed).getByTestId('import-row-status')).toHaveTextContent('Failed');
    expect(within(failed).getByText('the file is not UTF-8')).toBeInTheDocument();
    expect(within(failed).getByText('API key')).toBeInTheDocument();
  });

  it('lets viewers read the history but not import or delete', async () => {
    mockApi();
    renderPage('viewer');
    await screen.findByTestId('import-row-big.csv');
    expect(screen.queryByRole('button', { name: 'Import CSV' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Delete import/ })).toBeNull();
  });
});
