import { describe, expect, it } from 'vitest';
import { expiryToRfc3339 } from './expiry';
import { keyStatus } from './keyStatus';

describe('keyStatus', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  it('prefers revoked, then expired, then expiring within a week', () => {
    expect(keyStatus({ revoked_at: '2026-11-01T00:00:00Z', expires_at: '2026-01-01T00:00:00Z' }, now)).toBe('revoked');
    expect(keyStatus({ revoked_at: null, expires_at: '2026-11-25T11:00:00Z' }, now)).toBe('expired');
    expect(keyStatus({ revoked_at: null, expires_at: '2026-11-30T00:00:00Z' }, now)).toBe('expiring');
    expect(keyStatus({ revoked_at: null, expires_at: '2027-01-30T00:00:00Z' }, now)).toBe('active');
    expect(keyStatus({ revoked_at: null, expires_at: null }, now)).toBe('active');
  });
});

describe('expiryToRfc3339', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  it('gives nothing for never', () => {
    expect(expiryToRfc3339('never', null, now)).toBeUndefined();
  });
  it('adds days for a preset', () => {
    expect(expiryToRfc3339('30', null, now)).toBe('2026-12-25T12:00:00.000Z');
  });
  it('ends the chosen local day for a custom date', () => {
    const iso = expiryToRfc3339('custom', '2027-01-15', now)!;
    const d = new Date(iso);
    expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()]).toEqual([2027, 0, 15, 23, 59]);
  });
});
