import { describe, expect, it } from 'vitest';
import { importActive, rejectsFilename } from './api';
import { CHANNEL_NAMES, channelAddress, consentActor, consentEventTitle, consentSourceLabel } from './consent';
import { formatBytes, importDuration, importPercent, importStatusMeta, uploaderLabel } from './imports';
import type { Contact } from './api';

const members = [
  { user_id: 'u1', name: 'Ada Admin', email: 'ada@x.io' },
  { user_id: 'u2', name: ' ', email: 'bo@x.io' },
];

describe('import history', () => {
  it('labels statuses, running ones by phase', () => {
    expect(importStatusMeta({ status: 'running', phase: 'merging' }).label).toBe('Merging');
    expect(importStatusMeta({ status: 'running', phase: 'reading' }).label).toBe('Reading');
    expect(importStatusMeta({ status: 'ready', phase: '' }).label).toBe('Needs mapping');
    expect(importStatusMeta({ status: 'failed', phase: '' }).color).toBe('red');
  });
  it('knows which imports still move', () => {
    expect((['uploaded', 'queued', 'running'] as const).map((status) => importActive({ status }))).toEqual([true, true, true]);
    expect((['ready', 'completed', 'failed'] as const).map((status) => importActive({ status }))).toEqual([false, false, false]);
  });
  it('computes the progress', () => {
    expect(importPercent({ status: 'running', rows_total: 400, rows_done: 100 })).toBe(25);
    expect(importPercent({ status: 'running', rows_total: 0, rows_done: 0 })).toBe(0);
    expect(importPercent({ status: 'completed', rows_total: 0, rows_done: 0 })).toBe(100);
  });
  it('names who uploaded', () => {
    expect(uploaderLabel('u1', members)).toBe('Ada Admin');
    expect(uploaderLabel('u2', members)).toBe('bo@x.io');
    expect(uploaderLabel('u9', members)).toBe('Former member');
    expect(uploaderLabel(null, members)).toBe('API key');
  });
  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2 KB');
    expect(formatBytes(1.5 * 1024 * 1024)).toBe('1.5 MB');
    expect(importDuration({ started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:02:05Z' })).toBe('2 min 5 s');
    expect(importDuration({ started_at: '2026-01-01T00:00:00Z', finished_at: '2026-01-01T00:00:00.2Z' })).toBe('under a second');
    expect(importDuration({ started_at: '2026-01-01T00:00:00Z' })).toBeNull();
  });
  it('names the rejects download after the file', () => {
    expect(rejectsFilename('people.CSV')).toBe('rejects-people.csv');
    expect(rejectsFilename('list.txt')).toBe('rejects-list.txt.csv');
    expect(rejectsFilename('')).toBe('rejects-import.csv');
  });
});

describe('consent wording', () => {
  it('titles events', () => {
    expect(consentEventTitle({ action: 'resubscribed', channel: 'email' })).toBe('Resubscribed to Email');
    expect(consentEventTitle({ action: 'opted_out', channel: 'whatsapp' })).toBe('Opted out of WhatsApp');
    expect(consentEventTitle({ action: 'unsuppressed', channel: 'telegram' })).toBe('Suppression lifted on Telegram');
  });
  it('says who acted', () => {
    expect(consentActor({ actor_user_id: 'u1', actor_api_key_id: '', source: 'admin' }, members)).toBe('Ada Admin');
    expect(consentActor({ actor_user_id: '', actor_api_key_id: 'k1', source: 'api' }, members)).toBe('An API key');
    expect(consentActor({ actor_user_id: '', actor_api_key_id: '', source: 'one_click' }, members)).toBe('The contact, via one-click unsubscribe');
  });
  it('labels sources', () => {
    expect(consentSourceLabel('admin')).toBe('Dashboard');
    expect(consentSourceLabel('signup_form')).toBe('Signup form');
  });
  it('finds the address of each channel', () => {
    const c = { email: 'a@x.io', whatsapp: null, telegram_chat_id: null, telegram_username: 'ana', instagram_id: null, instagram_username: null } as unknown as Contact;
    expect(channelAddress(c, 'email')).toBe('a@x.io');
    expect(channelAddress(c, 'telegram')).toBe('@ana');
    expect(channelAddress(c, 'whatsapp')).toBeNull();
    expect(Object.keys(CHANNEL_NAMES)).toHaveLength(4);
  });
});
