import { describe, expect, it } from 'vitest';
import type { SandboxMessage } from './api';
import { personaAddress, personaProblem, phoneThread, randomPersona } from './personas';

/** A seeded generator, so that the test is repeatable. */
function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe('randomPersona', () => {
  it('makes valid people for each channel', () => {
    const rnd = seeded(7);
    for (let i = 0; i < 50; i++) {
      const wa = randomPersona('whatsapp', rnd);
      expect(personaProblem('whatsapp', wa)).toBeNull();
      expect(wa.phone).toMatch(/^\+1415555\d{4}$/);
      expect(wa.phone).not.toMatch(/0(000|429|500)$/);
      const tg = randomPersona('telegram', rnd);
      expect(personaProblem('telegram', tg)).toBeNull();
      expect(tg.username).toMatch(/^[a-z]+$/);
      expect(personaProblem('instagram', randomPersona('instagram', rnd))).toBeNull();
    }
  });
  it('says what is wrong', () => {
    expect(personaProblem('whatsapp', { name: '', phone: '0155', id: '', username: '' })).toMatch(/E\.164/);
    expect(personaProblem('telegram', { name: '', phone: '', id: 'abc', username: '' })).toMatch(/digits/);
    expect(personaProblem('telegram', { name: '', phone: '', id: '', username: '' })).toBeNull();
  });
});

describe('phoneThread', () => {
  const msg = (p: Partial<SandboxMessage>): SandboxMessage =>
    ({ channel: 'whatsapp', direction: 'inbound', id: Math.random().toString(), from: '', to: '', subject: '', body: '', status: 'received', at: '2026-01-01T00:00:00Z', attachments: [], events: [], ...p }) as SandboxMessage;
  it('keeps what the persona sent and got on the channel, oldest first', () => {
    const me = '+14155550123';
    const list = [
      msg({ direction: 'outbound', to: me, body: 'reply', at: '2026-01-01T00:02:00Z' }),
      msg({ direction: 'inbound', from: me, body: 'hello', at: '2026-01-01T00:01:00Z' }),
      msg({ direction: 'inbound', from: '+14155550999', body: 'someone else' }),
      msg({ channel: 'telegram', direction: 'outbound', to: me, body: 'other channel' }),
    ];
    expect(phoneThread(list, 'whatsapp', me).map((m) => m.body)).toEqual(['hello', 'reply']);
    expect(phoneThread(list, 'whatsapp', '')).toEqual([]);
    expect(personaAddress('telegram', { name: '', phone: '+1', id: '42', username: '' })).toBe('42');
  });
});
