import { describe, expect, it } from 'vitest';
import {
  addSample,
  audienceOf,
  type Campaign,
  type ChannelEstimate,
  EMPTY_FORM,
  exclusions,
  formatMoney,
  fromCampaign,
  type FormValues,
  moveChannel,
  percent,
  progress,
  rates,
  reorderChannels,
  toInput,
  validate,
  zonedLocal,
} from './model';

const counters = { targeted: 0, queued: 0, sent: 0, delivered: 0, opened: 0, read: 0, clicked: 0, bounced: 0, spam: 0, failed: 0, unsubscribed: 0, cancelled: 0, cost_micros: 0, currency: 'USD' };

const filled: FormValues = {
  ...EMPTY_FORM,
  name: '  Spring sale ',
  channels: ['whatsapp', 'email'],
  templates: { whatsapp: 't-wa', email: 't-mail' },
  include_group_ids: ['g1', 'g2'],
  exclude_group_ids: ['g3'],
};

describe('campaign form', () => {
  it('keeps the chosen order and appends new channels', () => {
    expect(reorderChannels(['whatsapp', 'email'], ['email', 'telegram', 'whatsapp'])).toEqual(['whatsapp', 'email', 'telegram']);
    expect(reorderChannels(['whatsapp', 'email'], ['email'])).toEqual(['email']);
  });

  it('moves a channel within bounds', () => {
    expect(moveChannel(['whatsapp', 'email', 'telegram'], 2, -1)).toEqual(['whatsapp', 'telegram', 'email']);
    expect(moveChannel(['whatsapp', 'email'], 0, -1)).toEqual(['whatsapp', 'email']);
  });

  it('asks for an estimate only once every channel has a template and a group is chosen', () => {
    expect(audienceOf(EMPTY_FORM)).toBeNull();
    expect(audienceOf({ ...filled, templates: { whatsapp: 't-wa' } })).toBeNull();
    expect(audienceOf({ ...filled, include_group_ids: [] })).toBeNull();
    expect(audienceOf(filled)).toEqual({
      channels: [
        { channel: 'whatsapp', template_id: 't-wa' },
        { channel: 'email', template_id: 't-mail' },
      ],
      include_group_ids: ['g1', 'g2'],
      exclude_group_ids: ['g3'],
      delivery: 'first_available',
    });
  });

  it('builds the body: trimmed name, schedule only when scheduling, throttle only when set', () => {
    const now = toInput(filled);
    expect(now.name).toBe('Spring sale');
    expect(now.scheduled_at).toBeUndefined();
    expect(now.throttle_per_second).toBeUndefined();
    const later = toInput({ ...filled, when: 'schedule', scheduled_at: '2026-12-01T09:30', throttle: 50, delivery: 'every_channel' });
    expect(later.scheduled_at).toBe('2026-12-01T09:30:00');
    expect(later.throttle_per_second).toBe(50);
    expect(later.delivery).toBe('every_channel');
    // A schedule typed and then switched back to "now" is not sent.
    expect(toInput({ ...filled, when: 'now', scheduled_at: '2026-12-01T09:30' }).scheduled_at).toBeUndefined();
  });

  it('names what is missing, per field', () => {
    const errors = validate({ ...EMPTY_FORM, channels: ['email'], include_group_ids: ['g1'], exclude_group_ids: ['g1'], when: 'schedule' });
    expect(Object.keys(errors).sort()).toEqual(['exclude_group_ids', 'name', 'scheduled_at', 'templates.email']);
    expect(validate(filled)).toEqual({});
  });

  it('reads a saved draft back, with its time in the org timezone', () => {
    const c = {
      name: 'Spring',
      channels: [{ channel: 'email', template_id: 't1' }],
      include_group_ids: ['g1'],
      exclude_group_ids: null,
      delivery: 'first_available',
      scheduled_at: '2026-12-01T08:30:00Z',
      throttle_per_second: null,
    } as unknown as Campaign;
    const v = fromCampaign(c, 'Europe/Paris');
    expect(v.when).toBe('schedule');
    expect(v.scheduled_at).toBe('2026-12-01T09:30');
    expect(v.templates).toEqual({ email: 't1' });
    expect(v.exclude_group_ids).toEqual([]);
    expect(v.throttle).toBe('');
    expect(zonedLocal('2026-07-01T23:15:00Z', 'America/New_York')).toBe('2026-07-01T19:15');
  });
});

describe('estimate formatting', () => {
  it('formats micros, keeping sub-cent prices readable', () => {
    expect(formatMoney(1_234_567, 'USD', 'en-US')).toBe('$1.23');
    expect(formatMoney(600, 'USD', 'en-US')).toBe('$0.0006');
    expect(formatMoney(10_800, 'USD', 'en-US')).toBe('$0.0108');
    expect(formatMoney(500_000, 'USD', 'en-US')).toBe('$0.50');
    expect(formatMoney(0, 'EUR', 'en-US')).toBe('€0.00');
    expect(formatMoney(2_500_000, 'XXX-not-a-currency', 'en-US')).toBe('2.50 XXX-not-a-currency');
  });

  it('lists every exclusion reason of a channel, zeros included', () => {
    const ch: ChannelEstimate = { channel: 'whatsapp', recipients: 10, no_address: 3, opted_out: 2, suppressed: 0, currency: 'USD', unit_price_micros: 1, cost_micros: 10, unpriced: 0 };
    expect(exclusions(ch).map((x) => [x.key, x.label, x.count])).toEqual([
      ['suppressed', 'Suppressed', 0],
      ['opted_out', 'Opted out', 2],
      ['no_address', 'No phone number', 3],
    ]);
  });
});

describe('counters', () => {
  it('computes shares and progress against targeted', () => {
    expect(percent(1, 0)).toBe('—');
    expect(percent(1, 300)).toBe('<1%');
    expect(percent(150, 300)).toBe('50%');
    expect(progress(counters)).toEqual({ done: 0, delivered: 0, failed: 0 });
    expect(progress({ ...counters, targeted: 200, queued: 50, sent: 140, delivered: 100, failed: 10 })).toEqual({ done: 75, delivered: 50, failed: 5 });
  });

  it('derives the send rate from successive readings', () => {
    let s = addSample([], { at: 0, sent: 0 });
    s = addSample(s, { at: 2000, sent: 100 });
    s = addSample(s, { at: 2000, sent: 120 }); // same reading time: ignored
    s = addSample(s, { at: 3000, sent: 130 });
    expect(rates(s)).toEqual([50, 30]);
    expect(addSample(s, { at: 4000, sent: 1 }, 2)).toHaveLength(2);
  });
});
