import { describe, expect, it } from 'vitest';
import { threadMessages, type Thread } from './api';
import { conversationTitle, deliveryOf, fileSize, isImage, windowText } from './channel';
import { backoffMs, parseSSE } from './stream';

describe('parseSSE', () => {
  it('splits complete events and keeps the rest', () => {
    const { events, rest } = parseSSE(
      'retry: 3000\nevent: ready\ndata: {}\n\n: heartbeat\n\nevent: conversation\ndata: {"conversation_id":"c1","kind":"inbound"}\n\nevent: conv',
    );
    expect(events).toEqual([
      { event: 'ready', data: '{}' },
      { event: 'conversation', data: '{"conversation_id":"c1","kind":"inbound"}' },
    ]);
    expect(rest).toBe('event: conv');
  });

  it('joins multi-line data and reads CRLF', () => {
    const { events } = parseSSE('data: a\r\ndata: b\r\n\r\n');
    expect(events).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('resumes an event split across chunks', () => {
    const first = parseSSE('event: resync\nda');
    expect(first.events).toEqual([]);
    const second = parseSSE(first.rest + 'ta: {}\n\n');
    expect(second.events).toEqual([{ event: 'resync', data: '{}' }]);
  });
});

describe('deliveryOf', () => {
  it.each([
    ['queued', 'pending'],
    ['sending', 'pending'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
    ['failed', 'failed'],
    ['undelivered', 'failed'],
  ] as const)('%s → %s', (status, want) => {
    expect(deliveryOf({ status })).toBe(want);
  });
});

describe('windowText', () => {
  const now = new Date('2025-01-01T12:00:00Z');
  it('counts down an open window', () => {
    expect(windowText('2025-01-01T15:30:00Z', now)).toContain('3 h 30 min left');
  });
  it('explains a closed window', () => {
    expect(windowText('2025-01-01T11:00:00Z', now)).toContain('closed');
  });
  it('explains a person who never wrote', () => {
    expect(windowText(null, now)).toContain('not written');
  });
});

describe('helpers', () => {
  it('names a conversation by name, username, then address', () => {
    expect(conversationTitle({ contact: { id: '1', name: 'Ada', address: '+1', username: 'ada' } })).toBe('Ada');
    expect(conversationTitle({ contact: { id: '1', name: '', address: '+1', username: 'ada' } })).toBe('@ada');
    expect(conversationTitle({ contact: { id: '1', name: '', address: '+1' } })).toBe('+1');
  });
  it('tells images from other files and sizes them', () => {
    expect(isImage('image/png')).toBe(true);
    expect(isImage('image/svg+xml')).toBe(false);
    expect(isImage('application/pdf')).toBe(false);
    expect(fileSize(2048)).toBe('2 KB');
    expect(fileSize(3 * 1024 * 1024)).toBe('3.0 MB');
  });
  it('backs off up to 30 s', () => {
    expect(backoffMs(0)).toBe(1000);
    expect(backoffMs(3)).toBe(8000);
    expect(backoffMs(10)).toBe(30_000);
  });
  it('puts older pages of a thread first', () => {
    const msg = (id: string) => ({ id, direction: 'inbound' as const, text: id, media: [], at: '2025-01-01T00:00:00Z' });
    const pages = [{ items: [msg('c'), msg('d')] }, { items: [msg('a'), msg('b')] }] as Thread[];
    expect(threadMessages({ pages, pageParams: ['', 'x'] }).map((m) => m.id)).toEqual(['a', 'b', 'c', 'd']);
  });
});
