import { MantineProvider, Textarea } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useMemo, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '@/auth/session';
import { PreviewPanel, SAMPLES, useLivePreview } from './PreviewPanel';

/** Answers the draft preview like the API: the body with {{first_name}} filled, and a problem per {{unknown}}. */
function mockApi() {
  const previews: { body: string; contact_id?: string }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const url = new URL(req.url);
      let body: unknown = { items: [] };
      if (req.method === 'POST' && url.pathname === '/api/v1/templates/preview') {
        const sent = (await req.json()) as { channel: string; body: string; contact_id?: string };
        previews.push(sent);
        body = {
          channel: sent.channel,
          subject: '',
          html: '',
          text: '',
          body: sent.body.replaceAll('{{first_name}}', 'Ada').replaceAll('{{unknown}}', ''),
          missing: sent.body.includes('{{unknown}}') ? ['unknown'] : [],
          footer_appended: { html: false, text: false },
          problems: sent.body.includes('{{unknown}}') ? [{ location: 'body.body', message: 'uses the undeclared variable "unknown"', kind: 'undeclared', variable: 'unknown' }] : [],
        };
      }
      return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
    }),
  );
  return previews;
}

function Harness() {
  const [text, setText] = useState('');
  const [contact, setContact] = useState(SAMPLES);
  const content = useMemo(() => ({ body: text, variables: [] }), [text]);
  const live = useLivePreview('telegram', content, contact);
  return (
    <>
      <Textarea label="Message" value={text} onChange={(e) => setText(e.currentTarget.value)} />
      <PreviewPanel channel="telegram" live={live} contactId={contact} onContactChange={setContact} warnings={live.preview.data?.problems?.length ?? 0} />
    </>
  );
}

beforeEach(() => session.clear('anonymous'));
afterEach(() => vi.unstubAllGlobals());

describe('live preview', () => {
  it('renders unsaved text once typing pauses, with one request for a burst of keystrokes', async () => {
    const previews = mockApi();
    render(
      <MantineProvider>
        <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
          <Harness />
        </QueryClientProvider>
      </MantineProvider>,
    );
    await waitFor(() => expect(previews).toHaveLength(1));
    expect(previews[0]!.body).toBe('');

    await userEvent.type(screen.getByLabelText('Message'), 'Hi {{{{first_name}}, meet {{{{unknown}}');
    await waitFor(() => expect(screen.getByTestId('preview-body')).toHaveTextContent('Hi Ada, meet'), { timeout: 3000 });
    await waitFor(() => expect(screen.getByTestId('preview-state')).toHaveTextContent('Live'));
    // The keystrokes came faster than the debounce: one request for all of them.
    expect(previews).toHaveLength(2);
    expect(previews[1]).toEqual({ channel: 'telegram', body: 'Hi {{first_name}}, meet {{unknown}}', variables: [] });
    expect(screen.getByTestId('preview-missing')).toHaveTextContent('unknown');
    expect(screen.getByTestId('preview-warnings')).toHaveTextContent('1 to fix');
  });
});
