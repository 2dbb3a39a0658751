import { describe, expect, it } from 'vitest';
import type { ChannelSettings } from './api';
import { buildBody, initialValues } from './form';
import { SPEC_BY_CHANNEL } from './specs';

const email = SPEC_BY_CHANNEL.email;

function settings(over: Partial<ChannelSettings> = {}): ChannelSettings {
  return {
    channel: 'email',
    provider: 'sendgrid',
    configured: true,
    enabled: true,
    config: { from_email: 'news@example.com', from_name: 'News', reply_to: '', event_public_key: '' },
    secrets: { api_key: { set: true, last4: 'nopq' } },
    webhook_urls: [],
    status: 'ok',
    checked_at: null,
    check_error: null,
    rate_per_second: null,
    default_rate_per_second: 100,
    effective_rate_per_second: 100,
    updated_at: '2026-11-25T12:00:00Z',
    updated_by: '',
    ...over,
  };
}

describe('initialValues', () => {
  it('shows the input of unset secrets only', () => {
    expect(initialValues(email, settings()).replacing).toEqual({ api_key: false });
    expect(initialValues(email, settings({ secrets: { api_key: { set: false, last4: '' } } })).replacing).toEqual({ api_key: true });
  });
});

describe('buildBody', () => {
  it('sends every config field and no secret that was not typed', () => {
    const s = settings();
    const v = initialValues(email, s);
    v.config.from_name = '  Renamed ';
    expect(buildBody(email, s, v)).toEqual({
      config: { from_email: 'news@example.com', from_name: 'Renamed', reply_to: '', event_public_key: '' },
      secrets: {},
    });
  });

  it('sends a replaced secret, and keeps the stored one when the box is left empty', () => {
    const s = settings();
    const v = initialValues(email, s);
    v.replacing.api_key = true;
    expect(buildBody(email, s, v).secrets).toEqual({});
    v.secrets.api_key = ' SG.new.key ';
    expect(buildBody(email, s, v).secrets).toEqual({ api_key: 'SG.new.key' });
  });

  it('sends the rate, and 0 to go back to the default', () => {
    const s = settings({ rate_per_second: 12 });
    const v = initialValues(email, s);
    expect(buildBody(email, s, v).rate_per_second).toBe(12);
    v.rate_per_second = '';
    expect(buildBody(email, s, v).rate_per_second).toBe(0);
    expect(buildBody(email, settings(), initialValues(email, settings())).rate_per_second).toBeUndefined();
  });

  it('enables a channel saved for the first time', () => {
    const s = settings({ configured: false, enabled: false, secrets: { api_key: { set: false, last4: '' } } });
    expect(buildBody(email, s, initialValues(email, s)).enabled).toBe(true);
  });
});
