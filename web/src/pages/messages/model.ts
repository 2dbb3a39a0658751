/** Display rules of the messaging pages: channels, statuses, limits and problems. */
import { IconBrandInstagram, IconBrandTelegram, IconBrandWhatsapp, IconMail, type Icon } from '@tabler/icons-react';
import type { components } from '@/api/schema';

export type Message = components['schemas']['Message'];
export type MessageEvent = components['schemas']['Event'];
export type Upload = components['schemas']['Upload'];
export type SendBody = components['schemas']['SendRequest'];
export type CheckResult = components['schemas']['CheckResult'];
export type CheckProblem = components['schemas']['CheckProblem'];
export type InboundMessage = components['schemas']['InboundLogMessage'];
export type Channel = Message['channel'];
export type Status = Message['status'];

/** Where the pages live. */
export const PATHS = {
  send: '/messaging/send',
  outbound: '/messaging/outbound-logs',
  email: '/messaging/email-logs',
  inbound: '/inbound-logs',
  sandbox: '/messaging/sandbox',
  message: (id: string) => `/messaging/outbound-logs/${id}`,
  conversation: (id: string) => `/messaging/conversations/${id}`,
  contact: (id: string) => `/contacts?contact=${id}`,
};

export interface ChannelMeta {
  label: string;
  icon: Icon;
  color: string;
  /** What an address on the channel is called. */
  address: string;
  provider: string;
}

export const CHANNELS: Channel[] = ['email', 'whatsapp', 'telegram', 'instagram'];

export const CHANNEL_META: Record<Channel, ChannelMeta> = {
  email: { label: 'Email', icon: IconMail, color: 'blue', address: 'email address', provider: 'SendGrid' },
  whatsapp: { label: 'WhatsApp', icon: IconBrandWhatsapp, color: 'green', address: 'phone number', provider: 'Twilio' },
  telegram: { label: 'Telegram', icon: IconBrandTelegram, color: 'cyan', address: 'chat id', provider: 'Telegram' },
  instagram: { label: 'Instagram', icon: IconBrandInstagram, color: 'pink', address: 'Instagram-scoped id', provider: 'Instagram' },
};

export const CHANNEL_OPTIONS = CHANNELS.map((value) => ({ value, label: CHANNEL_META[value].label }));

/** The longest text each chat channel takes (the server's limits). */
export const CHAT_LIMIT: Record<Exclude<Channel, 'email'>, number> = { whatsapp: 1600, telegram: 4096, instagram: 1000 };

export interface StatusMeta {
  label: string;
  color: string;
  /** One line on what the status means. */
  help: string;
}

export const STATUS_META: Record<Status, StatusMeta> = {
  queued: { label: 'Queued', color: 'gray', help: 'Accepted and waiting for its turn on the channel’s queue.' },
  sending: { label: 'Sending', color: 'indigo', help: 'Being handed to the provider (or waiting to retry).' },
  sent: { label: 'Sent', color: 'blue', help: 'The provider accepted it.' },
  delivered: { label: 'Delivered', color: 'teal', help: 'The provider reports it reached the recipient.' },
  read: { label: 'Read', color: 'green', help: 'The recipient read it.' },
  opened: { label: 'Opened', color: 'green', help: 'The recipient opened the email.' },
  clicked: { label: 'Clicked', color: 'lime', help: 'The recipient clicked a link in it.' },
  failed: { label: 'Failed', color: 'red', help: 'It could not be sent: see the reason.' },
  bounced: { label: 'Bounced', color: 'red', help: 'The recipient’s server refused it.' },
  spam: { label: 'Spam report', color: 'orange', help: 'The recipient marked it as spam; the address is suppressed.' },
  undelivered: { label: 'Undelivered', color: 'red', help: 'The provider could not deliver it.' },
};

export const STATUS_OPTIONS = (Object.keys(STATUS_META) as Status[]).map((value) => ({ value, label: STATUS_META[value].label }));

/** Timeline steps that don't change the status, and what they read as. */
const EVENT_LABEL: Record<string, string> = {
  processed: 'Processed',
  deferred: 'Deferred',
  retrying: 'Retrying',
  rate_limited: 'Rate limited',
  unsubscribed: 'Unsubscribed',
};

export function statusMeta(status: string): StatusMeta {
  return (
    STATUS_META[status as Status] ?? {
      label: EVENT_LABEL[status] ?? status.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
      color: status === 'deferred' || status === 'rate_limited' || status === 'retrying' ? 'yellow' : 'gray',
      help: '',
    }
  );
}

/** Statuses after which nothing more is expected. */
const SETTLED = new Set<string>(['failed', 'bounced', 'spam', 'undelivered', 'read', 'clicked']);

/**
 * How often a message's page asks again: quickly while it is on its way,
 * slowly while opens and reads may still come, not at all once settled or
 * after an hour. Telegram reports nothing after a send.
 */
export function pollInterval(m: Pick<Message, 'status' | 'created_at'> & { channel?: Channel }, now: number = Date.now()): number | false {
  if (SETTLED.has(m.status)) return false;
  if (m.channel === 'telegram' && m.status === 'sent') return false;
  const age = now - new Date(m.created_at).getTime();
  if (age > 60 * 60_000) return false;
  if (m.status === 'queued' || m.status === 'sending' || m.status === 'sent') return 2000;
  return 10_000;
}

/** Where a step sits in a message's life, for ordering steps of the same second. */
const STEP_RANK: Record<string, number> = {
  queued: 0,
  sending: 10,
  rate_limited: 15,
  retrying: 15,
  sent: 20,
  processed: 25,
  deferred: 27,
  delivered: 30,
  undelivered: 35,
  failed: 35,
  bounced: 35,
  read: 40,
  opened: 40,
  clicked: 50,
  spam: 60,
  unsubscribed: 70,
};

/**
 * The timeline in the order things happened. Providers time their events
 * to the second (SendGrid's "processed" often carries the same second as
 * the send worker's "sent", and sorts before it): within one second, steps
 * go in the order of a message's life.
 */
export function orderTimeline<E extends { status: string; occurred_at: string }>(events: E[]): E[] {
  return events
    .map((e, i) => ({ e, i, s: Math.floor(new Date(e.occurred_at).getTime() / 1000) }))
    .sort((a, b) => a.s - b.s || (STEP_RANK[a.e.status] ?? 45) - (STEP_RANK[b.e.status] ?? 45) || a.i - b.i)
    .map((x) => x.e);
}

/** Human size: 930 B, 12 KB, 3.4 MB. */
export function fileSize(n: number | undefined | null): string {
  if (!n) return '0 B';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const MB = 1024 * 1024;

/** What each channel takes as attachments (the server's Limits). */
export const MEDIA_LIMITS: Record<Channel, { count: number; fileBytes: number; totalBytes: number; types?: string[] }> = {
  email: { count: 10, fileBytes: 30 * MB, totalBytes: 30 * MB },
  whatsapp: {
    count: 1,
    fileBytes: 16 * MB,
    totalBytes: 16 * MB,
    types: ['image/jpeg', 'image/png', 'image/webp', 'audio/ogg', 'audio/mpeg', 'audio/amr', 'audio/aac', 'audio/mp4', 'video/mp4', 'video/3gpp', 'application/pdf'],
  },
  telegram: { count: 1, fileBytes: 50 * MB, totalBytes: 50 * MB },
  instagram: {
    count: 1,
    fileBytes: 25 * MB,
    totalBytes: 25 * MB,
    types: ['image/jpeg', 'image/png', 'image/gif', 'video/mp4', 'video/quicktime', 'video/webm', 'audio/aac', 'audio/mp4', 'audio/wav', 'audio/x-wav', 'audio/ogg'],
  },
};

/** The largest file any channel takes (the upload limit). */
export const MAX_UPLOAD_BYTES = 50 * MB;

/**
 * Why a file can't be attached on the channel next to the files already
 * there, judged from what the browser knows (its claimed type and size);
 * null when it may go. The server sniffs the type on upload and has the
 * last word (the upload's channels).
 */
export function refuseFile(channel: Channel, file: { name: string; size: number; type: string }, already: { size: number }[]): string | null {
  const l = MEDIA_LIMITS[channel];
  const label = CHANNEL_META[channel].label;
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > MAX_UPLOAD_BYTES) return `${file.name} is ${fileSize(file.size)}; files can be up to ${fileSize(MAX_UPLOAD_BYTES)}.`;
  if (already.length + 1 > l.count) return `${label} takes ${l.count === 1 ? 'one attachment' : `at most ${l.count} attachments`} per message.`;
  if (l.types && file.type && !l.types.includes(file.type)) return `${label} does not take ${file.type} files (${file.name}).`;
  let limit = l.fileBytes;
  if (channel === 'instagram' && file.type.startsWith('image/')) limit = 8 * MB;
  if (file.size > limit) return `${file.name} is ${fileSize(file.size)}; ${label} takes files up to ${fileSize(limit)}.`;
  const total = already.reduce((n, f) => n + f.size, 0) + file.size;
  if (total > l.totalBytes) return `The attachments would add up to ${fileSize(total)}; ${label} takes up to ${fileSize(l.totalBytes)} per message.`;
  return null;
}

/** Where a problem is shown on the send form. */
export type ProblemSlot = 'recipient' | 'subject' | 'body' | 'attachments' | 'template' | 'variables' | 'other';

export function slotOf(p: Pick<CheckProblem, 'field'>): ProblemSlot {
  const f = p.field.replace(/^body\./, '');
  if (f === 'to' || f === 'contact_id') return 'recipient';
  if (f === 'subject') return 'subject';
  if (f === 'body' || f === 'html') return 'body';
  if (f.startsWith('attachments')) return 'attachments';
  if (f === 'template_id') return 'template';
  if (f.startsWith('variables')) return 'variables';
  return 'other';
}

/**
 * The check's problems placed on the form. Fields still empty ("missing")
 * are only shown once the user tried to send: a form being filled in is not
 * wrong yet.
 */
export function placeProblems(problems: CheckProblem[] | null | undefined, attempted: boolean): Partial<Record<ProblemSlot, CheckProblem[]>> {
  const out: Partial<Record<ProblemSlot, CheckProblem[]>> = {};
  for (const p of problems ?? []) {
    if (p.kind === 'missing' && !attempted) continue;
    (out[slotOf(p)] ??= []).push(p);
  }
  return out;
}

/** The variable a problem names ("order_id" of body.variables.order_id). */
export function variableOf(p: Pick<CheckProblem, 'field'>): string | null {
  const m = /^body\.variables\.(.+)$/.exec(p.field);
  return m ? m[1]! : null;
}

/** The address a contact has on a channel, if any. */
export function contactAddress(
  c: { email?: string | null; whatsapp?: string | null; telegram_chat_id?: string | null; instagram_id?: string | null },
  channel: Channel,
): string {
  switch (channel) {
    case 'email':
      return c.email ?? '';
    case 'whatsapp':
      return c.whatsapp ?? '';
    case 'telegram':
      return c.telegram_chat_id ?? '';
    case 'instagram':
      return c.instagram_id ?? '';
  }
}

/** One line for a message in a log: its subject, else its text, else its first file. */
export function messageSummary(m: Pick<Message, 'subject' | 'body_text' | 'attachments'>): string {
  if (m.subject) return m.subject;
  const text = (m.body_text ?? '').replace(/\s+/g, ' ').trim();
  if (text) return text.length > 140 ? `${text.slice(0, 139)}…` : text;
  const first = m.attachments?.[0];
  return first ? `Attachment: ${first.filename}` : '';
}

/**
 * A problem's message as a sentence: a leading lower-case word is
 * capitalized ("is required" → "Is required"), an address is left as it is.
 */
export function sentence(message: string): string {
  return /^[a-z]+(\s|$)/.test(message) ? message.charAt(0).toUpperCase() + message.slice(1) : message;
}

/** A random v4 UUID, for Idempotency-Key. */
export function newKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Keys per submission: the same request body gets the same key (a
 * double-click or a retry after a network error sends once); a changed
 * body gets a new one.
 */
export class SubmissionKeys {
  private last: { body: string; key: string } | null = null;

  keyFor(body: unknown): string {
    const s = JSON.stringify(body);
    if (this.last?.body !== s) this.last = { body: s, key: newKey() };
    return this.last.key;
  }

  /** Forgets the last submission (after it was sent): the next one is new. */
  reset(): void {
    this.last = null;
  }
}
