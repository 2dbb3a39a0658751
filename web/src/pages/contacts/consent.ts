/** How the contact drawer words consent: pure helpers, tested on their own. */
import type { Channel, ConsentEvent, Contact } from './api';

type Member = { user_id: string; name: string; email: string };

export const CHANNEL_NAMES: Record<Channel, string> = { email: 'Email', whatsapp: 'WhatsApp', telegram: 'Telegram', instagram: 'Instagram' };

/** The contact's address on a channel, as the suppression list keeps it. */
export function channelAddress(c: Contact, ch: Channel): string | null {
  switch (ch) {
    case 'email':
      return c.email;
    case 'whatsapp':
      return c.whatsapp;
    case 'telegram':
      return c.telegram_chat_id || (c.telegram_username ? `@${c.telegram_username}` : null);
    case 'instagram':
      return c.instagram_id || (c.instagram_username ? `@${c.instagram_username}` : null);
  }
}

const ACTION_LABEL: Record<ConsentEvent['action'], string> = {
  opted_in: 'Opted in',
  opted_out: 'Opted out',
  resubscribed: 'Resubscribed',
  suppressed: 'Suppressed',
  unsuppressed: 'Suppression lifted',
};

/** "Resubscribed to Email", "Opted out of WhatsApp". */
export function consentEventTitle(ev: Pick<ConsentEvent, 'action' | 'channel'>): string {
  const ch = CHANNEL_NAMES[ev.channel as Channel] ?? ev.channel;
  const label = ACTION_LABEL[ev.action] ?? ev.action;
  switch (ev.action) {
    case 'opted_out':
      return `${label} of ${ch}`;
    case 'opted_in':
    case 'resubscribed':
      return `${label} to ${ch}`;
    default:
      return `${label} on ${ch}`;
  }
}

/** The colour of an event's bullet: red for what stops messages, teal for what allows them. */
export function consentEventColor(action: ConsentEvent['action']): string {
  return action === 'opted_out' || action === 'suppressed' ? 'red' : 'teal';
}

const SOURCE_LABEL: Record<string, string> = {
  unsubscribe_page: 'the unsubscribe page',
  one_click: 'one-click unsubscribe',
  admin: 'the dashboard',
  api: 'the API',
  import: 'an import',
  bounce: 'a bounce',
  complaint: 'a spam complaint',
};

const CONSENT_SOURCE: Record<string, string> = {
  unsubscribe_page: 'Unsubscribe page',
  one_click: 'One-click unsubscribe',
  admin: 'Dashboard',
  api: 'API',
  import: 'Import',
};

/** Where a consent was recorded, as people say it: "Unsubscribe page", "Dashboard". */
export function consentSourceLabel(source: string): string {
  if (CONSENT_SOURCE[source]) return CONSENT_SOURCE[source];
  const s = source.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Who made a change: a member, an API key, or the contact through a page. */
export function consentActor(ev: Pick<ConsentEvent, 'actor_user_id' | 'actor_api_key_id' | 'source'>, members: Member[] | null | undefined): string {
  if (ev.actor_user_id) {
    const m = members?.find((x) => x.user_id === ev.actor_user_id);
    return m ? m.name.trim() || m.email : 'A former member';
  }
  if (ev.actor_api_key_id) return 'An API key';
  if (ev.source === 'unsubscribe_page' || ev.source === 'one_click') return `The contact, via ${SOURCE_LABEL[ev.source]}`;
  return ev.source ? `Via ${SOURCE_LABEL[ev.source] ?? ev.source.replace(/_/g, ' ')}` : 'Switchboard';
}
