/** How each chat channel looks, and how delivery statuses read. */
import { IconBrandInstagram, IconBrandTelegram, IconBrandWhatsapp, type Icon } from '@tabler/icons-react';
import type { ChatChannel, Conversation, ThreadMessage } from './api';

export interface ChannelLook {
  label: string;
  icon: Icon;
  /** Mantine color of the channel's badge. */
  color: string;
}

export const CHANNEL_LOOK: Record<ChatChannel, ChannelLook> = {
  whatsapp: { label: 'WhatsApp', icon: IconBrandWhatsapp, color: 'green' },
  telegram: { label: 'Telegram', icon: IconBrandTelegram, color: 'blue' },
  instagram: { label: 'Instagram', icon: IconBrandInstagram, color: 'pink' },
};

export const CHANNEL_OPTIONS = [
  { value: '', label: 'All' },
  { value: 'whatsapp', label: 'WhatsApp' },
  { value: 'telegram', label: 'Telegram' },
  { value: 'instagram', label: 'Instagram' },
];

/** What a conversation is called: the contact's name, else its username or address. */
export function conversationTitle(c: Pick<Conversation, 'contact'>): string {
  const k = c.contact;
  if (k.name) return k.name;
  if (k.username) return `@${k.username}`;
  return k.address || 'Unknown';
}

/** The ticks of an outbound message. */
export type Delivery = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export function deliveryOf(m: Pick<ThreadMessage, 'status'>): Delivery {
  switch (m.status) {
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'read':
    case 'opened':
    case 'clicked':
      return 'read';
    case 'failed':
    case 'bounced':
    case 'undelivered':
    case 'spam':
      return 'failed';
    default:
      return 'pending';
  }
}

export const DELIVERY_LABEL: Record<Delivery, string> = {
  pending: 'Sending…',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not delivered',
};

/** Whether a file is shown inline (images) rather than as a chip. */
export function isImage(contentType: string | undefined): boolean {
  return !!contentType && /^image\/(png|jpe?g|gif|webp)$/.test(contentType);
}

/** Human file size: 930 B, 12 KB, 3.4 MB. */
export function fileSize(n: number | undefined): string {
  if (!n) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The Instagram window as a sentence, from the time it closes. */
export function windowText(closesAt: string | null | undefined, now: Date = new Date()): string {
  if (!closesAt) return 'This person has not written to you yet: Instagram lets you reply only after they do.';
  const ms = new Date(closesAt).getTime() - now.getTime();
  if (ms <= 0) {
    return 'Instagram lets businesses reply only within 24 hours of the person’s last message. The window closed; you can reply again when they write.';
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.max(1, Math.round((ms % 3_600_000) / 60_000));
  return `Reply window open: ${h > 0 ? `${h} h ${m} min` : `${m} min`} left to reply on Instagram.`;
}
