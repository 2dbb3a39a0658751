import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/problem';
import { ANY_COUNTRY, isDirty, localErrors, mapServerErrors, matchesList, newRow, perThousand, toBody, toEditRows, type PriceTable } from './model';

const saved: PriceTable = {
  currency: 'USD',
  updated_at: '2025-07-01T00:00:00Z',
  rows: [
    { channel: 'email', price: 0.000399 },
    { channel: 'whatsapp', category: 'marketing', price: 0.0654 },
    { channel: 'whatsapp', category: 'marketing', country: 'US', price: 0.03 },
  ],
};

describe('price table model', () => {
  it('round-trips the API rows, with the default row as ANY_COUNTRY', () => {
    const rows = toEditRows(saved.rows);
    expect(rows.map((r) => r.country)).toEqual([ANY_COUNTRY, ANY_COUNTRY, 'US']);
    expect(new Set(rows.map((r) => r.key)).size).toBe(3);
    expect(toBody('USD', rows)).toEqual({
      currency: 'USD',
      rows: [
        { channel: 'email', category: '', country: '', price: 0.000399 },
        { channel: 'whatsapp', category: 'marketing', country: '', price: 0.0654 },
        { channel: 'whatsapp', category: 'marketing', country: 'US', price: 0.03 },
      ],
    });
    expect(isDirty('USD', rows, saved)).toBe(false);
    expect(isDirty('EUR', rows, saved)).toBe(true);
    expect(isDirty('USD', rows.slice(1), saved)).toBe(true);
    expect(isDirty('USD', [{ ...rows[0]!, price: 0.0004 }, ...rows.slice(1)], saved)).toBe(true);
  });

  it('starts new rows as the default when the channel has none, else with a country to pick', () => {
    expect(newRow('email', [])).toMatchObject({ channel: 'email', category: '', country: ANY_COUNTRY, price: 0 });
    const rows = toEditRows(saved.rows);
    const wa = newRow('whatsapp', rows);
    expect(wa).toMatchObject({ channel: 'whatsapp', category: 'marketing', country: '' });
    expect(localErrors([...rows, wa])).toEqual({ [wa.key]: { country: 'Pick a country' } });
    expect(localErrors([{ ...wa, country: 'DE', price: '' }])).toEqual({ [wa.key]: { price: 'Enter a price' } });
  });

  it("puts the API's field errors on the cells of the rows that were sent", () => {
    const sent = toEditRows(saved.rows);
    const err = new ApiError({
      status: 422,
      detail: 'validation failed',
      errors: [
        { location: 'body.rows[0].price', message: 'must not be negative' },
        { location: 'body.rows[2].country', message: 'duplicates row 2: one price per channel, category and country' },
        { location: 'body.rows[2].price', message: 'must have at most 6 decimals' },
        { location: 'body.currency', message: 'must be an ISO 4217 code like USD' },
      ],
    });
    const mapped = mapServerErrors(err, sent);
    expect(mapped.cells).toEqual({
      [sent[0]!.key]: { price: 'Must not be negative' },
      [sent[2]!.key]: { country: 'Duplicates row 2: one price per channel, category and country', price: 'Must have at most 6 decimals' },
    });
    expect(mapped.currency).toBe('Must be an ISO 4217 code like USD');
    expect(mapped.form).toBeNull();

    const other = mapServerErrors(new ApiError({ status: 403, detail: 'your role does not allow this' }), sent);
    expect(other.cells).toEqual({});
    expect(other.form).toBe('your role does not allow this');
    expect(mapServerErrors(new ApiError({ status: 422, errors: [{ location: 'body.rows[9].price', message: 'x' }] }), sent).form).toBe('X');
  });

  it('knows a table at the list prices whatever the order', () => {
    const list = { currency: 'USD', rows: saved.rows };
    const rows = toEditRows(saved.rows).reverse();
    expect(matchesList(rows, 'USD', list)).toBe(true);
    expect(matchesList(rows, 'EUR', list)).toBe(false);
    expect(matchesList(rows.slice(1), 'USD', list)).toBe(false);
  });

  it('shows the price of a thousand messages', () => {
    expect(perThousand(0.03, 'USD', 'en-US')).toBe('$30.00');
    expect(perThousand(0.000399, 'EUR', 'en-US')).toBe('€0.40');
    expect(perThousand('', 'USD')).toBeNull();
    expect(perThousand(-1, 'USD')).toBeNull();
  });
});
