import { describe, expect, it } from 'vitest';
import { formatRelative, initials } from './format';

describe('formatRelative', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  it.each([
    ['2026-11-25T11:59:50Z', 'just now'],
    ['2026-11-25T11:55:00Z', '5 minutes ago'],
    ['2026-11-25T09:00:00Z', '3 hours ago'],
    ['2026-11-24T12:00:00Z', 'yesterday'],
    ['2026-11-22T12:00:00Z', '3 days ago'],
    ['2026-12-25T12:00:00Z', 'next month'],
    ['2027-02-25T12:00:00Z', 'in 3 months'],
  ])('%s → %s', (value, want) => {
    expect(formatRelative(value, now, '—', 'en')).toBe(want);
  });
  it('falls back for no date', () => {
    expect(formatRelative(null, now)).toBe('—');
    expect(formatRelative('not a date', now, 'never')).toBe('never');
  });
});

describe('initials', () => {
  it.each([
    ['Ada Lovelace', null, 'AL'],
    ['ada', null, 'A'],
    ['Jean Luc Picard', null, 'JP'],
    ['', 'ops@switchboard.local', 'O'],
    [null, null, '?'],
  ])('%s / %s → %s', (name, email, want) => {
    expect(initials(name, email)).toBe(want);
  });
});
