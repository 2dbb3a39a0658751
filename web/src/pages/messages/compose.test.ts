import { describe, expect, it } from 'vitest';
import { charCount, EMPTY_COMPOSE, isBlankHTML, toSendBody, uploading } from './compose';

describe('toSendBody', () => {
  it('is null before a channel is chosen', () => {
    expect(toSendBody(EMPTY_COMPOSE)).toBeNull();
  });
  it('sends a rich email as html, without the empty editor', () => {
    const f = { ...EMPTY_COMPOSE, channel: 'email' as const, recipient: { kind: 'raw' as const, address: ' a@example.com ' }, subject: 'Hi', html: '<p>Hello</p>' };
    expect(toSendBody(f)).toEqual({ channel: 'email', to: 'a@example.com', subject: 'Hi', html: '<p>Hello</p>' });
    expect(toSendBody({ ...f, html: '<p></p>' })).toEqual({ channel: 'email', to: 'a@example.com', subject: 'Hi' });
    expect(toSendBody({ ...f, format: 'plain', text: 'Plain' })).toEqual({ channel: 'email', to: 'a@example.com', subject: 'Hi', body: 'Plain' });
  });
  it('sends a template with its filled variables only', () => {
    const f = {
      ...EMPTY_COMPOSE,
      channel: 'whatsapp' as const,
      recipient: { kind: 'contact' as const, id: 'c1', name: 'Ada', address: '+1' },
      mode: 'template' as const,
      templateId: 't1',
      text: 'ignored',
      variables: { order: 'A-1', empty: '  ' },
    };
    expect(toSendBody(f)).toEqual({ channel: 'whatsapp', contact_id: 'c1', template_id: 't1', variables: { order: 'A-1' } });
  });
  it('attaches uploaded files only', () => {
    const up = { id: 'u1' } as never;
    const f = {
      ...EMPTY_COMPOSE,
      channel: 'telegram' as const,
      text: 'hi',
      attachments: [
        { key: 'a', name: 'a', size: 1, progress: 1, upload: up },
        { key: 'b', name: 'b', size: 1, progress: 0.5 },
        { key: 'c', name: 'c', size: 1, progress: 1, error: 'no' },
      ],
    };
    expect(toSendBody(f)?.attachments).toEqual(['u1']);
    expect(uploading(f)).toBe(true);
  });
});

describe('helpers', () => {
  it('counts code points like the server', () => {
    expect(charCount('héllo 👋')).toBe(7);
  });
  it('knows a blank document', () => {
    expect(isBlankHTML('<p></p>')).toBe(true);
    expect(isBlankHTML('<p>&nbsp;</p>')).toBe(true);
    expect(isBlankHTML('<p>x</p>')).toBe(false);
  });
});
