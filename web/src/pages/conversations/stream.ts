/**
 * Live conversation updates: GET /api/v1/conversations/stream, a
 * server-sent event stream read with fetch (EventSource cannot send the
 * bearer token, and the token must not travel in a URL or a cookie the API
 * would then have to accept). When the stream cannot be held, the page
 * polls instead.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { session } from '@/auth/session';

/** One parsed server-sent event. */
export interface SSEEvent {
  event: string;
  data: string;
}

/**
 * Splits a stream's text into complete events; rest is an event still
 * arriving. Comments (heartbeats) and retry lines are dropped.
 */
export function parseSSE(buffer: string): { events: SSEEvent[]; rest: string } {
  const text = buffer.replace(/\r\n?/g, '\n');
  const blocks = text.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: SSEEvent[] = [];
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || event !== 'message') events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

/** A conversation notice from the stream. */
export interface ConversationNotice {
  conversation_id: string;
  kind: 'inbound' | 'outbound' | 'read';
}

export type StreamState = 'connecting' | 'live' | 'polling';

/** Polling interval while the stream is down. */
export const POLL_MS = 5000;

/**
 * Backoff before reconnecting after failure n (0-based): 1 s, 2 s, 4 s...
 * up to 30 s.
 */
export function backoffMs(n: number): number {
  return Math.min(30_000, 1000 * 2 ** n);
}

/**
 * Holds the stream while mounted and refreshes the conversation queries it
 * names; returns its state (poll while it is not live).
 */
export function useConversationStream(onNotice?: (n: ConversationNotice) => void): StreamState {
  const qc = useQueryClient();
  const [state, setState] = useState<StreamState>('connecting');

  useEffect(() => {
    let stopped = false;
    let failures = 0;
    let controller: AbortController | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;

    const refreshAll = () => void qc.invalidateQueries({ queryKey: ['conversations'] });
    const handle = (ev: SSEEvent) => {
      if (ev.event === 'ready') {
        failures = 0;
        setState('live');
        // Whatever happened while we were not listening.
        refreshAll();
      } else if (ev.event === 'resync') {
        refreshAll();
      } else if (ev.event === 'conversation') {
        try {
          const n = JSON.parse(ev.data) as ConversationNotice;
          void qc.invalidateQueries({ queryKey: ['conversations', 'list'] });
          void qc.invalidateQueries({ queryKey: ['conversations', 'one', n.conversation_id] });
          if (n.kind !== 'read') void qc.invalidateQueries({ queryKey: ['conversations', 'thread', n.conversation_id] });
          onNotice?.(n);
        } catch {
          refreshAll();
        }
      }
    };

    const connect = async () => {
      controller = new AbortController();
      let ended: 'reconnect' | 'failed' = 'failed';
      try {
        const res = await session.fetch(
          new Request(new URL('/api/v1/conversations/stream', window.location.origin), {
            headers: { Accept: 'text/event-stream' },
            signal: controller.signal,
            cache: 'no-store',
          }),
        );
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseSSE(buffer + value);
          buffer = parsed.rest;
          for (const ev of parsed.events) {
            if (ev.event === 'reconnect') ended = 'reconnect';
            else handle(ev);
          }
        }
      } catch {
        ended = 'failed';
      }
      if (stopped) return;
      if (ended === 'reconnect') {
        // The server ends streams now and then so that the credential is
        // checked again: connect at once with the current token.
        timer = setTimeout(connect, 0);
        return;
      }
      setState('polling');
      timer = setTimeout(connect, backoffMs(failures++));
    };
    void connect();
    return () => {
      stopped = true;
      controller?.abort();
      if (timer) clearTimeout(timer);
    };
    // onNotice is read through the closure of the first render on purpose:
    // the stream is not restarted when the page re-renders.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [qc]);

  return state;
}
