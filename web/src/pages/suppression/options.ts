/** The suppression list's names for channels and reasons, shared by the page and its dialogs. */
import type { components } from '@/api/schema';

export type Suppression = components['schemas']['Suppression'];
export type SuppressionInput = components['schemas']['SuppressionInput'];
export type SuppressionImportResult = components['schemas']['SuppressionImportResult'];
export type Channel = Suppression['channel'];
export type Reason = Suppression['reason'];

export const CHANNEL_OPTIONS: { value: Channel; label: string }[] = [
  { value: 'email', label: 'Email' },
  { value: 'whatsapp', label: 'WhatsApp' },
  { value: 'telegram', label: 'Telegram' },
  { value: 'instagram', label: 'Instagram' },
];
export const REASON_OPTIONS: { value: Reason; label: string }[] = [
  { value: 'manual', label: 'Added by hand' },
  { value: 'unsubscribed', label: 'Unsubscribed' },
  { value: 'bounced', label: 'Bounced' },
  { value: 'spam_complaint', label: 'Spam complaint' },
];
export const REASON_COLORS: Record<Reason, string> = { manual: 'gray', unsubscribed: 'orange', bounced: 'red', spam_complaint: 'grape' };

export const label = <T extends string>(opts: { value: T; label: string }[], v: T) => opts.find((o) => o.value === v)?.label ?? v;

/** The import endpoint's path with the defaults for rows that do not say. */
export function importPath(channel: Channel | null, reason: Reason): string {
  const q = new URLSearchParams();
  if (channel) q.set('channel', channel);
  q.set('reason', reason);
  return `/api/v1/suppressions/imports?${q.toString()}`;
}

/** A CSV showing the accepted columns, offered as a download. */
export const SAMPLE_CSV = ['email,reason', 'ana@example.com,unsubscribed', 'bounced@example.org,bounced', 'asked-by-phone@example.net,'].join('\n') + '\n';
