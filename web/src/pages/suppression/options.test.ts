import { describe, expect, it } from 'vitest';
import { importPath, label, REASON_OPTIONS, SAMPLE_CSV } from './options';

describe('suppression import', () => {
  it('passes the defaults for rows that do not say', () => {
    expect(importPath(null, 'manual')).toBe('/api/v1/suppressions/imports?reason=manual');
    expect(importPath('whatsapp', 'bounced')).toBe('/api/v1/suppressions/imports?channel=whatsapp&reason=bounced');
  });
  it('offers a sample with the header the API reads', () => {
    expect(SAMPLE_CSV.split('\n')[0]).toBe('email,reason');
  });
  it('labels reasons', () => {
    expect(label(REASON_OPTIONS, 'spam_complaint')).toBe('Spam complaint');
  });
});
