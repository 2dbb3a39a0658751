/** Types and display rules of the webhook log. */
import type { components } from '@/api/schema';

export type WebhookCall = components['schemas']['WebhookCall'];
export type WebhookLogPage = components['schemas']['WebhookLogPage'];
export type Provider = WebhookCall['provider'];
export type Verdict = WebhookCall['verdict'];

/** How often the log asks again while auto-refresh is on. */
export const REFRESH_MS = 5000;

export const PROVIDER_OPTIONS: { value: Provider; label: string }[] = [
  { value: 'sendgrid', label: 'SendGrid' },
  { value: 'twilio', label: 'Twilio' },
  { value: 'telegram', label: 'Telegram' },
  { value: 'instagram', label: 'Instagram' },
];

export const VERDICTS: Record<Verdict, { label: string; color: string; help: string }> = {
  accepted: { label: 'Accepted', color: 'teal', help: 'Verified and stored; its events are processed by a job.' },
  duplicate: { label: 'Duplicate', color: 'gray', help: 'Every event had been received before (a provider retry): nothing new was stored.' },
  bad_signature: { label: 'Bad signature', color: 'red', help: 'Refused: the signature did not verify with the channel’s secret.' },
  bad_request: { label: 'Bad request', color: 'orange', help: 'Refused: signed, but not a payload the provider sends.' },
  unknown_hook: { label: 'Unknown hook', color: 'gray', help: 'The URL names no channel.' },
};

export const VERDICT_OPTIONS = (Object.keys(VERDICTS) as Verdict[])
  .filter((v) => v !== 'unknown_hook')
  .map((value) => ({ value, label: VERDICTS[value].label }));

/** "SendGrid", or the raw name for a provider this page doesn't know. */
export function providerLabel(p: string): string {
  return PROVIDER_OPTIONS.find((o) => o.value === p)?.label ?? p;
}

/** What the provider called about, in words. */
export function kindLabel(kind: string): string {
  switch (kind) {
    case 'events':
      return 'Event batch';
    case 'status':
      return 'Status callback';
    case 'inbound':
      return 'Incoming message';
    case 'update':
      return 'Bot update';
    case 'verify':
      return 'Subscription check';
    case 'webhook':
      return 'Messaging events';
  }
  return kind;
}

/** "0.42 ms", "12 ms", "1.2 s". */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The color of an HTTP status: 2xx fine, 4xx refused, 5xx failed. */
export function statusColor(status: number): string {
  if (status >= 500) return 'red';
  if (status >= 400) return 'orange';
  if (status >= 200 && status < 300) return 'teal';
  return 'gray';
}

const TRUNCATED = '…';

/**
 * The snippet made readable: JSON indented, a form (Twilio) one field per
 * line, decoded. A snippet cut at the size limit can't be parsed and is
 * shown as it is.
 */
export function prettySnippet(snippet: string): { text: string; format: 'json' | 'form' | 'raw'; truncated: boolean } {
  const truncated = snippet.endsWith(TRUNCATED);
  const s = snippet.trim();
  if (!s) return { text: '', format: 'raw', truncated };
  if (!truncated && (s.startsWith('{') || s.startsWith('['))) {
    try {
      return { text: JSON.stringify(JSON.parse(s), null, 2), format: 'json', truncated };
    } catch {
      // not JSON after all
    }
  }
  if (!truncated && /^[\w.%-]+=[^\s]*(&[\w.%-]+=[^\s]*)*$/.test(s)) {
    try {
      const lines = Array.from(new URLSearchParams(s).entries()).map(([k, v]) => `${k} = ${v}`);
      return { text: lines.join('\n'), format: 'form', truncated };
    } catch {
      // fall through
    }
  }
  return { text: snippet, format: 'raw', truncated };
}
