import { describe, expect, it } from 'vitest';
import { formatLatency, kindLabel, prettySnippet, providerLabel, statusColor, VERDICT_OPTIONS } from './log';

describe('webhook log display', () => {
  it('formats latencies at a useful precision', () => {
    expect(formatLatency(0.4213)).toBe('0.42 ms');
    expect(formatLatency(12.6)).toBe('13 ms');
    expect(formatLatency(1234)).toBe('1.2 s');
    expect(formatLatency(-1)).toBe('—');
  });

  it('colors statuses by class', () => {
    expect(statusColor(200)).toBe('teal');
    expect(statusColor(401)).toBe('orange');
    expect(statusColor(404)).toBe('orange');
    expect(statusColor(500)).toBe('red');
  });

  it('labels providers and kinds, keeping unknown ones', () => {
    expect(providerLabel('sendgrid')).toBe('SendGrid');
    expect(providerLabel('mailgun')).toBe('mailgun');
    expect(kindLabel('status')).toBe('Status callback');
    expect(kindLabel('other')).toBe('other');
  });

  it('offers the verdicts a call can have in an org', () => {
    expect(VERDICT_OPTIONS.map((o) => o.value)).toEqual(['accepted', 'duplicate', 'bad_signature', 'bad_request']);
  });

  it('indents JSON', () => {
    const p = prettySnippet('[{"event":"delivered","sg_event_id":"x"}]');
    expect(p.format).toBe('json');
    expect(p.text).toBe('[\n  {\n    "event": "delivered",\n    "sg_event_id": "x"\n  }\n]');
    expect(p.truncated).toBe(false);
  });

  it('decodes a form one field per line', () => {
    const p = prettySnippet('MessageSid=SM1&MessageStatus=delivered&To=whatsapp%3A%2B14155550100');
    expect(p.format).toBe('form');
    expect(p.text).toBe('MessageSid = SM1\nMessageStatus = delivered\nTo = whatsapp:+14155550100');
  });

  it('shows a cut or unknown snippet as it is', () => {
    const cut = '[{"event":"delivered"…';
    expect(prettySnippet(cut)).toEqual({ text: cut, format: 'raw', truncated: true });
    expect(prettySnippet('{not json').format).toBe('raw');
    expect(prettySnippet('hub.mode=subscribe').format).toBe('form');
    expect(prettySnippet('').text).toBe('');
  });
});
