/**
 * The campaigns pages' model: the API shapes, what each status and KPI
 * means, the form's values and how they become the API's body, and the
 * formatting of estimates and counters. Pure functions, unit-tested.
 */
import type { components } from '@/api/schema';
import { CHANNEL_META, type Channel } from '@/pages/messages/model';

export type Campaign = components['schemas']['Campaign'];
export type CampaignInput = components['schemas']['Input'];
export type Audience = components['schemas']['Audience'];
export type Estimate = components['schemas']['Estimate'];
export type ChannelEstimate = components['schemas']['ChannelEstimate'];
export type Counters = components['schemas']['Counters'];
export type Recipient = components['schemas']['Recipient'];
export type CampaignStatus = Campaign['status'];
export type RecipientStatus = Recipient['status'];
export type Delivery = Campaign['delivery'];

export const CPATHS = {
  list: '/messaging/campaigns',
  create: '/messaging/campaigns/new',
  one: (id: string) => `/messaging/campaigns/${id}`,
  edit: (id: string) => `/messaging/campaigns/${id}/edit`,
};

export const CAMPAIGN_STATUS: Record<CampaignStatus, { label: string; color: string; help: string }> = {
  draft: { label: 'Draft', color: 'gray', help: 'Not started; it can still be edited.' },
  scheduled: { label: 'Scheduled', color: 'violet', help: 'Starts by itself at its scheduled time.' },
  running: { label: 'Running', color: 'blue', help: 'Sending now.' },
  paused: { label: 'Paused', color: 'yellow', help: 'No new sends until it is resumed; nothing already sent is sent again.' },
  completed: { label: 'Completed', color: 'teal', help: 'Every recipient reached a final status (or the settling time passed).' },
  cancelled: { label: 'Cancelled', color: 'red', help: 'Stopped for good; what was not sent is marked cancelled.' },
};

export const CAMPAIGN_STATUS_OPTIONS = (Object.keys(CAMPAIGN_STATUS) as CampaignStatus[]).map((value) => ({
  value,
  label: CAMPAIGN_STATUS[value].label,
}));

/** Recipient statuses, for the recipients filter (the API's enum). */
export const RECIPIENT_STATUSES: RecipientStatus[] = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'opened',
  'clicked',
  'failed',
  'bounced',
  'spam',
  'undelivered',
  'cancelled',
];

/** Whether the campaign is still moving, so its page asks again every few seconds. */
export function isLive(c: Pick<Campaign, 'status'> | undefined): boolean {
  return c?.status === 'running' || c?.status === 'scheduled';
}

/** One KPI tile: how to read it off the counters and how it is counted. */
export interface Kpi {
  key: string;
  label: string;
  /** A shorter label, for the list's cards. */
  short?: string;
  help: string;
  value: (c: Counters) => number;
  color?: string;
}

/** Every KPI of the campaign page, in reading order; the first five are the headline. */
export const KPIS: Kpi[] = [
  { key: 'targeted', label: 'Targeted', value: (c) => c.targeted, help: 'Recipients written when the campaign started: one per contact and channel sent to, after groups, exclusions, suppression, consent and dedupe.' },
  { key: 'sent', label: 'Sent', value: (c) => c.sent, color: 'blue', help: 'Recipients whose message the provider accepted. A recipient stays counted here as it moves on to delivered, opened or read.' },
  { key: 'delivered', label: 'Delivered', value: (c) => c.delivered, color: 'teal', help: 'Recipients the provider reported delivered (counted once, from the first delivery report).' },
  { key: 'opened', label: 'Opened / read', short: 'Opened', value: (c) => c.opened + c.read, color: 'green', help: 'Email recipients who opened the message (first open) plus chat recipients who read it.' },
  { key: 'failed', label: 'Failed', value: (c) => c.failed, color: 'red', help: 'Recipients whose message could not be sent or delivered: refused by the provider, dropped or undelivered.' },
  { key: 'queued', label: 'Queued', value: (c) => c.queued, color: 'gray', help: 'Recipients waiting to be sent right now; falls as they are sent, fail or are cancelled.' },
  { key: 'clicked', label: 'Clicked', value: (c) => c.clicked, color: 'lime', help: 'Email recipients who clicked a link (first click only).' },
  { key: 'bounced', label: 'Bounced', value: (c) => c.bounced, color: 'red', help: 'Email recipients whose message bounced: their server refused it.' },
  { key: 'spam', label: 'Spam reports', value: (c) => c.spam, color: 'orange', help: 'Email recipients who reported the message as spam; their address is now suppressed.' },
  { key: 'unsubscribed', label: 'Unsubscribed', value: (c) => c.unsubscribed, color: 'grape', help: 'Recipients who unsubscribed through this message.' },
  { key: 'cancelled', label: 'Cancelled', value: (c) => c.cancelled, color: 'gray', help: 'Recipients never sent because the campaign was cancelled.' },
];

export const HEADLINE_KPIS = KPIS.slice(0, 5);

/** A share as "42%" (or "—" when there is nothing to divide by). */
export function percent(part: number, whole: number): string {
  if (!whole) return '—';
  const p = (part / whole) * 100;
  if (p > 0 && p < 1) return '<1%';
  return `${Math.round(p)}%`;
}

/**
 * How far the campaign got: the share of targeted recipients no longer
 * waiting (sent, failed or cancelled), and how much of that was delivered.
 * Before the recipients are written (targeted 0) nothing is known: 0.
 */
export function progress(c: Counters): { done: number; delivered: number; failed: number } {
  if (!c.targeted) return { done: 0, delivered: 0, failed: 0 };
  const clamp = (n: number) => Math.max(0, Math.min(100, (n / c.targeted) * 100));
  return {
    done: clamp(c.targeted - c.queued),
    delivered: clamp(c.delivered),
    failed: clamp(c.failed),
  };
}

/** Money given in millionths of the currency, e.g. 1234567 USD → "$1.23". */
export function formatMoney(micros: number, currency: string, locale?: string): string {
  const value = micros / 1_000_000;
  // Below one unit, cents are not enough: an email costs $0.0006, twelve $0.0108.
  const digits = Math.abs(value) < 1 ? 4 : 2;
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: digits }).format(value);
  } catch {
    return `${value.toFixed(digits)} ${currency}`;
  }
}

/** One line of an estimate's breakdown: a count and what it stands for. */
export interface ExclusionLine {
  key: 'no_address' | 'opted_out' | 'suppressed';
  label: string;
  count: number;
}

/** A channel's exclusion reasons, every reason listed (zero included, so the reader sees it was checked). */
export function exclusions(ch: ChannelEstimate): ExclusionLine[] {
  const meta = CHANNEL_META[ch.channel];
  return [
    { key: 'suppressed', label: 'Suppressed', count: ch.suppressed },
    { key: 'opted_out', label: 'Opted out', count: ch.opted_out },
    { key: 'no_address', label: `No ${meta.address}`, count: ch.no_address },
  ];
}

/**
 * The estimate's audience lines: contacts in the include groups (each once
 * however many groups hold it), how many of them the exclude groups and the
 * channels' rules removed, and the messages that remain.
 */
export function audienceLines(e: Estimate): { label: string; count: number; help: string }[] {
  return [
    { label: 'Contacts in the groups', count: e.contacts, help: 'Each contact counted once, however many of the include groups hold it (deduped).' },
    { label: 'In an excluded group', count: e.excluded_by_group, help: 'Left out because an exclude group holds them.' },
    { label: 'Unreachable', count: e.unreachable, help: 'Reachable on none of the selected channels (no address, opted out or suppressed on each).' },
  ];
}

// ---------------------------------------------------------------------------
// The form.

export type When = 'now' | 'schedule';

export interface FormValues {
  name: string;
  /** The selected channels, in preference order. */
  channels: Channel[];
  /** The template chosen for each channel. */
  templates: Partial<Record<Channel, string>>;
  include_group_ids: string[];
  exclude_group_ids: string[];
  delivery: Delivery;
  when: When;
  /** Wall-clock time in the org's timezone, "YYYY-MM-DDTHH:MM" (a datetime-local value). */
  scheduled_at: string;
  /** Empty: as fast as the channels allow. */
  throttle: number | '';
}

export const EMPTY_FORM: FormValues = {
  name: '',
  channels: [],
  templates: {},
  include_group_ids: [],
  exclude_group_ids: [],
  delivery: 'first_available',
  when: 'now',
  scheduled_at: '',
  throttle: '',
};

/** Keeps the order of the channels already chosen and adds new ones at the end. */
export function reorderChannels(previous: readonly Channel[], selected: readonly Channel[]): Channel[] {
  const kept = previous.filter((c) => selected.includes(c));
  return [...kept, ...selected.filter((c) => !kept.includes(c))];
}

/** Moves the channel at index one place up (-1) or down (+1). */
export function moveChannel(channels: readonly Channel[], index: number, by: -1 | 1): Channel[] {
  const to = index + by;
  if (to < 0 || to >= channels.length) return [...channels];
  const next = [...channels];
  const moved = next[index]!;
  next[index] = next[to]!;
  next[to] = moved;
  return next;
}

/** The channels with their templates, in order; channels without a template yet are left out. */
function channelTemplates(v: Pick<FormValues, 'channels' | 'templates'>): { channel: Channel; template_id: string }[] {
  return v.channels.flatMap((channel) => (v.templates[channel] ? [{ channel, template_id: v.templates[channel]! }] : []));
}

/** The body of POST /campaigns/estimate, or null while the audience is incomplete. */
export function audienceOf(v: FormValues): Audience | null {
  const channels = channelTemplates(v);
  if (channels.length === 0 || channels.length !== v.channels.length || v.include_group_ids.length === 0) return null;
  return {
    channels,
    include_group_ids: [...v.include_group_ids],
    exclude_group_ids: [...v.exclude_group_ids],
    delivery: v.delivery,
  };
}

/** The body of POST/PUT /campaigns. */
export function toInput(v: FormValues): CampaignInput {
  const body: CampaignInput = {
    name: v.name.trim(),
    channels: channelTemplates(v),
    include_group_ids: [...v.include_group_ids],
    exclude_group_ids: [...v.exclude_group_ids],
    delivery: v.delivery,
  };
  if (v.when === 'schedule' && v.scheduled_at) body.scheduled_at = v.scheduled_at.length === 16 ? `${v.scheduled_at}:00` : v.scheduled_at;
  if (v.throttle !== '' && v.throttle > 0) body.throttle_per_second = v.throttle;
  return body;
}

/** What the form needs before it can be saved, by field (the server checks the rest). */
export function validate(v: FormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!v.name.trim()) errors.name = 'Give the campaign a name';
  if (v.channels.length === 0) errors.channels = 'Choose at least one channel';
  for (const ch of v.channels) {
    if (!v.templates[ch]) errors[`templates.${ch}`] = `Choose an approved ${CHANNEL_META[ch].label} template`;
  }
  if (v.include_group_ids.length === 0) errors.include_group_ids = 'Choose at least one group to send to';
  const both = v.include_group_ids.filter((g) => v.exclude_group_ids.includes(g));
  if (both.length > 0) errors.exclude_group_ids = 'A group cannot be both included and excluded';
  if (v.when === 'schedule' && !v.scheduled_at) errors.scheduled_at = 'Pick the date and time to start';
  return errors;
}

/**
 * The wall-clock time of an instant in a timezone, as a datetime-local value
 * ("2026-11-25T18:30"), so that a scheduled time reads in the org's zone
 * whatever the browser's.
 */
export function zonedLocal(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}

/** The form's values for a saved campaign (editing a draft). */
export function fromCampaign(c: Campaign, timeZone: string): FormValues {
  const channels = (c.channels ?? []).map((ct) => ct.channel);
  const templates: Partial<Record<Channel, string>> = {};
  for (const ct of c.channels ?? []) templates[ct.channel] = ct.template_id;
  return {
    name: c.name,
    channels,
    templates,
    include_group_ids: c.include_group_ids ?? [],
    exclude_group_ids: c.exclude_group_ids ?? [],
    delivery: c.delivery,
    when: c.scheduled_at ? 'schedule' : 'now',
    scheduled_at: c.scheduled_at ? zonedLocal(c.scheduled_at, timeZone) : '',
    throttle: c.throttle_per_second ?? '',
  };
}

// ---------------------------------------------------------------------------
// Send rate, from the counters the page polls.

export interface Sample {
  at: number;
  sent: number;
}

/** Adds a sample, keeping the last `keep` and ignoring a repeat of the last reading's time. */
export function addSample(samples: readonly Sample[], s: Sample, keep = 60): Sample[] {
  const last = samples[samples.length - 1];
  if (last && s.at <= last.at) return [...samples];
  return [...samples, s].slice(-keep);
}

/** Sends per second between consecutive samples (never negative). */
export function rates(samples: readonly Sample[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const dt = (b.at - a.at) / 1000;
    out.push(dt > 0 ? Math.max(0, (b.sent - a.sent) / dt) : 0);
  }
  return out;
}

/** An instant as the org reads it: "Nov 25, 2026, 6:30 PM (Europe/Paris)". */
export function formatInZone(iso: string | null | undefined, timeZone: string | undefined, locale?: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  try {
    const text = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
    return timeZone ? `${text} (${timeZone})` : text;
  } catch {
    return d.toISOString();
  }
}
