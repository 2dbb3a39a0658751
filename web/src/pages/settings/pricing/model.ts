/**
 * The price table editor's model: rows as the page edits them (with a key
 * each, prices possibly half-typed), the body the API takes, and the API's
 * field errors put back on the cells they name.
 */
import type { paths } from '@/api/schema';
import { ApiError } from '@/api/problem';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer Res } ? JsonOf<Res[Extract<keyof Res, 200 | '200'>]> : never;

export type PriceTable = Ok<paths['/api/v1/pricing']['get']>;
export type PriceRow = NonNullable<PriceTable['rows']>[number];
export type ListPrices = Ok<paths['/api/v1/pricing/list-prices']['get']>;
export type Channel = PriceRow['channel'];

export const CHANNELS: { value: Channel; label: string; hint: string }[] = [
  { value: 'email', label: 'Email', hint: 'SendGrid: one price per email.' },
  { value: 'whatsapp', label: 'WhatsApp', hint: 'Twilio’s fee plus Meta’s, by template category and the recipient’s country. The default row prices every country without a row of its own.' },
  { value: 'telegram', label: 'Telegram', hint: 'The Bot API charges nothing per message.' },
  { value: 'instagram', label: 'Instagram', hint: 'Instagram messaging charges nothing per message.' },
];

export const CATEGORIES = [
  { value: 'marketing', label: 'Marketing' },
  { value: 'utility', label: 'Utility' },
  { value: 'authentication', label: 'Authentication' },
  { value: 'service', label: 'Service' },
];

/** The country select's value for the default row (Select dislikes ''). */
export const ANY_COUNTRY = '*';

/** A row as the editor holds it. */
export interface EditRow {
  key: string;
  channel: Channel;
  category: string;
  /** ISO code, or ANY_COUNTRY for the default row. */
  country: string;
  /** A number, or '' while the field is empty. */
  price: number | string;
}

/** Messages on a row's cells, from the API or the page. */
export type CellErrors = Partial<Record<'channel' | 'category' | 'country' | 'price', string>>;

let seq = 0;
function nextKey(): string {
  seq += 1;
  return `r${seq}`;
}

export function toEditRows(rows: readonly PriceRow[] | null | undefined): EditRow[] {
  return (rows ?? []).map((r) => ({
    key: nextKey(),
    channel: r.channel,
    category: r.category ?? '',
    country: r.country ? r.country : ANY_COUNTRY,
    price: r.price,
  }));
}

/** A new row for channel: WhatsApp rows start as marketing for a country to pick. */
export function newRow(channel: Channel, taken: readonly EditRow[]): EditRow {
  const hasDefault = taken.some((r) => r.channel === channel && r.country === ANY_COUNTRY && (channel !== 'whatsapp' || r.category === 'marketing'));
  return {
    key: nextKey(),
    channel,
    category: channel === 'whatsapp' ? 'marketing' : '',
    country: hasDefault ? '' : ANY_COUNTRY,
    price: 0,
  };
}

/** The PUT body: rows in the editor's order, so that error indexes find them. */
export function toBody(currency: string, rows: readonly EditRow[]) {
  return {
    currency,
    rows: rows.map((r) => ({
      channel: r.channel,
      category: r.channel === 'whatsapp' ? r.category : '',
      country: r.country === ANY_COUNTRY ? '' : r.country,
      price: typeof r.price === 'number' ? r.price : Number.NaN,
    })),
  };
}

/**
 * What the page checks before sending: a price and a country on every row.
 * The rest (negative prices, duplicates, unknown countries) the API says,
 * and its messages land on the same cells.
 */
export function localErrors(rows: readonly EditRow[]): Record<string, CellErrors> {
  const out: Record<string, CellErrors> = {};
  for (const r of rows) {
    const e: CellErrors = {};
    if (typeof r.price !== 'number' || Number.isNaN(r.price)) e.price = 'Enter a price';
    if (!r.country) e.country = 'Pick a country';
    if (r.channel === 'whatsapp' && !r.category) e.category = 'Pick a category';
    if (Object.keys(e).length) out[r.key] = e;
  }
  return out;
}

const ROW_LOCATION = /^body\.rows\[(\d+)\]\.(channel|category|country|price)$/;

/**
 * Spreads an API error over the rows that were sent: `body.rows[3].price`
 * lands on the fourth row's price. What names no cell is the form's message.
 */
export function mapServerErrors(error: unknown, sent: readonly EditRow[]): { cells: Record<string, CellErrors>; form: string | null; currency: string | null } {
  const cells: Record<string, CellErrors> = {};
  const leftovers: string[] = [];
  let currency: string | null = null;
  if (!(error instanceof ApiError)) return { cells, form: error instanceof Error ? error.message : 'Saving failed', currency };
  for (const e of error.errors) {
    const message = sentence(e.message ?? 'is invalid');
    const m = ROW_LOCATION.exec(e.location ?? '');
    const row = m ? sent[Number(m[1])] : undefined;
    if (m && row) {
      const field = m[2] as keyof CellErrors;
      cells[row.key] = { ...cells[row.key], [field]: message };
    } else if (e.location === 'body.currency') {
      currency = message;
    } else {
      leftovers.push(message);
    }
  }
  const hasCells = Object.keys(cells).length > 0 || currency !== null;
  const form = leftovers.length ? leftovers.join(' ') : hasCells ? null : error.detail || error.title;
  return { cells, form, currency };
}

function sentence(m: string): string {
  const t = m.trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** Whether the editor differs from the saved table. */
export function isDirty(currency: string, rows: readonly EditRow[], saved: PriceTable | undefined): boolean {
  if (!saved) return false;
  const a = toBody(currency, rows);
  const b = toBody(saved.currency, toEditRows(saved.rows));
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** Rows that equal the list prices, the same set of them. */
export function matchesList(rows: readonly EditRow[], currency: string, list: ListPrices | undefined): boolean {
  if (!list) return false;
  const norm = (b: ReturnType<typeof toBody>) =>
    b.rows.map((r) => `${r.channel}|${r.category}|${r.country}|${r.price}`).sort().join('\n') + `#${b.currency}`;
  return norm(toBody(currency, rows)) === norm(toBody(list.currency, toEditRows(list.rows)));
}

/** "$30.00" for 1,000 messages at price, in the table's currency. */
export function perThousand(price: number | string, currency: string, locale?: string): string | null {
  if (typeof price !== 'number' || Number.isNaN(price) || price < 0) return null;
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: 2, minimumFractionDigits: 2 }).format(price * 1000);
  } catch {
    return `${(price * 1000).toFixed(2)} ${currency}`;
  }
}

/** Currencies offered first; the table's own is added when it is another. */
export const COMMON_CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'BRL', 'MXN', 'INR', 'JPY', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'ZAR', 'AED', 'SGD', 'NZD', 'TRY', 'IDR'];
