import { describe, expect, it } from 'vitest';
import { type CheckProblem, messageSummary, orderTimeline, sentence, placeProblems, pollInterval, refuseFile, slotOf, statusMeta, SubmissionKeys, variableOf } from './model';

const MB = 1024 * 1024;
const file = (name: string, size: number, type: string) => ({ name, size, type });

describe('refuseFile', () => {
  it('takes what the channel takes', () => {
    expect(refuseFile('email', file('a.pdf', 2 * MB, 'application/pdf'), [])).toBeNull();
    expect(refuseFile('whatsapp', file('a.jpg', MB, 'image/jpeg'), [])).toBeNull();
  });
  it('refuses a second file where one is the limit', () => {
    expect(refuseFile('whatsapp', file('b.jpg', MB, 'image/jpeg'), [{ size: MB }])).toMatch(/one attachment/);
    expect(refuseFile('email', file('b.jpg', MB, 'image/jpeg'), [{ size: MB }])).toBeNull();
  });
  it('refuses types and sizes the channel does not take', () => {
    expect(refuseFile('whatsapp', file('x.exe', 10, 'application/x-msdownload'), [])).toMatch(/does not take application\/x-msdownload/);
    expect(refuseFile('instagram', file('big.png', 9 * MB, 'image/png'), [])).toMatch(/up to 8\.0 MB/);
    expect(refuseFile('email', file('huge.zip', 31 * MB, 'application/zip'), [])).toMatch(/up to 30\.0 MB/);
    expect(refuseFile('email', file('more.zip', 10 * MB, 'application/zip'), [{ size: 25 * MB }])).toMatch(/add up to/);
    expect(refuseFile('telegram', file('empty.txt', 0, 'text/plain'), [])).toMatch(/empty/);
  });
  it('leaves an unknown type to the server', () => {
    expect(refuseFile('whatsapp', file('noext', 10, ''), [])).toBeNull();
  });
});

describe('placeProblems', () => {
  const problems: CheckProblem[] = [
    { field: 'body.subject', message: 'is required', kind: 'missing' },
    { field: 'body.to', message: 'x@y is on the suppression list', kind: 'recipient' },
    { field: 'body.variables.order', message: 'has no value', kind: 'variables' },
    { field: 'body.attachments', message: 'too big', kind: 'attachments' },
  ];
  it('holds back missing fields until a send was tried', () => {
    const before = placeProblems(problems, false);
    expect(before.subject).toBeUndefined();
    expect(before.recipient?.[0]?.message).toMatch(/suppression/);
    expect(before.variables).toHaveLength(1);
    expect(before.attachments).toHaveLength(1);
    expect(placeProblems(problems, true).subject).toHaveLength(1);
  });
  it('places fields', () => {
    expect(slotOf({ field: 'body.contact_id' })).toBe('recipient');
    expect(slotOf({ field: 'body.html' })).toBe('body');
    expect(slotOf({ field: 'body.attachments[1]' })).toBe('attachments');
    expect(slotOf({ field: 'body.template_id' })).toBe('template');
    expect(slotOf({ field: 'header.Idempotency-Key' })).toBe('other');
    expect(variableOf({ field: 'body.variables.attributes.plan' })).toBe('attributes.plan');
    expect(variableOf({ field: 'body.to' })).toBeNull();
  });
});

describe('pollInterval', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const at = (min: number) => new Date(now - min * 60_000).toISOString();
  it('polls fast on the way, slowly after delivery, never once settled or old', () => {
    expect(pollInterval({ status: 'queued', created_at: at(0) }, now)).toBe(2000);
    expect(pollInterval({ status: 'sent', created_at: at(1) }, now)).toBe(2000);
    expect(pollInterval({ status: 'delivered', created_at: at(1) }, now)).toBe(10_000);
    expect(pollInterval({ status: 'bounced', created_at: at(1) }, now)).toBe(false);
    expect(pollInterval({ status: 'clicked', created_at: at(1) }, now)).toBe(false);
    expect(pollInterval({ status: 'sent', created_at: at(90) }, now)).toBe(false);
    expect(pollInterval({ status: 'sent', channel: 'telegram', created_at: at(0) }, now)).toBe(false);
    expect(pollInterval({ status: 'sending', channel: 'telegram', created_at: at(0) }, now)).toBe(2000);
  });
});

describe('statusMeta', () => {
  it('names statuses and timeline-only events', () => {
    expect(statusMeta('delivered').label).toBe('Delivered');
    expect(statusMeta('rate_limited')).toMatchObject({ label: 'Rate limited', color: 'yellow' });
    expect(statusMeta('something_new').label).toBe('Something new');
  });
});

describe('messageSummary', () => {
  it('prefers the subject, then the text, then the file', () => {
    expect(messageSummary({ subject: 'Hi', body_text: 'x', attachments: [] })).toBe('Hi');
    expect(messageSummary({ subject: '', body_text: ' a\n b ', attachments: [] })).toBe('a b');
    expect(messageSummary({ subject: '', body_text: '', attachments: [{ filename: 'a.png' } as never] })).toBe('Attachment: a.png');
    expect(messageSummary({ subject: '', body_text: 'x'.repeat(200), attachments: [] })).toHaveLength(140);
  });
});

describe('SubmissionKeys', () => {
  it('gives the same body the same key until reset', () => {
    const k = new SubmissionKeys();
    const a = k.keyFor({ channel: 'email', to: 'a@b.c' });
    expect(k.keyFor({ channel: 'email', to: 'a@b.c' })).toBe(a);
    const b = k.keyFor({ channel: 'email', to: 'other@b.c' });
    expect(b).not.toBe(a);
    expect(b).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    k.reset();
    expect(k.keyFor({ channel: 'email', to: 'other@b.c' })).not.toBe(b);
  });
});

describe('sentence', () => {
  it('capitalizes words, not addresses', () => {
    expect(sentence('is required')).toBe('Is required');
    expect(sentence('the contact opted out of email')).toBe('The contact opted out of email');
    expect(sentence('ada@example.com is on the suppression list')).toBe('ada@example.com is on the suppression list');
    expect(sentence('blocked-x@example.com is suppressed')).toBe('blocked-x@example.com is suppressed');
  });
});

describe('orderTimeline', () => {
  it('orders by time, and by the life of a message within a second', () => {
    const ev = (status: string, occurred_at: string) => ({ status, occurred_at });
    const got = orderTimeline([
      ev('queued', '2026-01-01T10:00:25.100Z'),
      ev('processed', '2026-01-01T10:00:26Z'),
      ev('delivered', '2026-01-01T10:00:26Z'),
      ev('sent', '2026-01-01T10:00:26.480Z'),
      ev('opened', '2026-01-01T10:00:40Z'),
    ]);
    expect(got.map((e) => e.status)).toEqual(['queued', 'sent', 'processed', 'delivered', 'opened']);
  });
});
