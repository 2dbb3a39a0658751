import { IconBrandInstagram, IconBrandTelegram, IconBrandWhatsapp, IconMail, type Icon } from '@tabler/icons-react';
import type { Channel, ChannelStatus } from './api';

/** One input of a channel's settings form. */
export interface FieldSpec {
  name: string;
  label: string;
  secret?: boolean;
  required?: boolean;
  placeholder?: string;
  description?: string;
  /** Long values (keys) get a textarea. */
  multiline?: boolean;
}

/** How the page shows a channel. */
export interface ChannelSpec {
  channel: Channel;
  label: string;
  provider: string;
  icon: Icon;
  /** The provider's brand colour, for the card's icon. */
  color: string;
  blurb: string;
  fields: FieldSpec[];
  /** Where the credentials come from, in the provider's console. */
  credentialsHelp: string;
}

export const SPECS: ChannelSpec[] = [
  {
    channel: 'email',
    label: 'Email',
    provider: 'SendGrid',
    icon: IconMail,
    color: '#1A82E2',
    blurb: 'Transactional and campaign email through your SendGrid account.',
    credentialsHelp: 'SendGrid → Settings → API Keys → Create API Key (Mail Send, and Event Webhook to let Test connection set up delivery events). The From address must be a verified sender.',
    fields: [
      { name: 'api_key', label: 'API key', secret: true, required: true, placeholder: 'SG.xxxxxxxx.yyyyyyyy' },
      { name: 'from_email', label: 'From email', required: true, placeholder: 'news@example.com' },
      { name: 'from_name', label: 'From name', placeholder: 'Example News' },
      { name: 'reply_to', label: 'Reply-to', placeholder: 'help@example.com' },
      {
        name: 'event_public_key',
        label: 'Event webhook public key',
        multiline: true,
        placeholder: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE...',
        description: 'Fetched by Test connection. Paste it yourself only if you set up the Event Webhook by hand.',
      },
    ],
  },
  {
    channel: 'whatsapp',
    label: 'WhatsApp',
    provider: 'Twilio',
    icon: IconBrandWhatsapp,
    color: '#25D366',
    blurb: 'WhatsApp Business messages through a Twilio WhatsApp sender.',
    credentialsHelp: 'Twilio Console → Account → API keys & tokens: the Account SID and Auth Token. The sender is your WhatsApp-enabled number.',
    fields: [
      { name: 'account_sid', label: 'Account SID', required: true, placeholder: 'AC0123456789abcdef0123456789abcdef' },
      { name: 'auth_token', label: 'Auth token', secret: true, required: true },
      { name: 'from', label: 'WhatsApp sender', required: true, placeholder: '+14155238886', description: 'In international format' },
    ],
  },
  {
    channel: 'telegram',
    label: 'Telegram',
    provider: 'Telegram Bot API',
    icon: IconBrandTelegram,
    color: '#229ED9',
    blurb: 'Messages from your Telegram bot to the contacts who started it.',
    credentialsHelp: 'Talk to @BotFather in Telegram: /newbot gives you the token. Test connection registers the webhook for you.',
    fields: [{ name: 'bot_token', label: 'Bot token', secret: true, required: true, placeholder: '123456789:AAH...' }],
  },
  {
    channel: 'instagram',
    label: 'Instagram',
    provider: 'Meta Graph API',
    icon: IconBrandInstagram,
    color: '#E4405F',
    blurb: 'Direct messages from your Instagram professional account.',
    credentialsHelp:
      'Meta for Developers → your app: App settings → Basic for the app secret; Instagram → API setup for the account id and a long-lived access token.',
    fields: [
      { name: 'account_id', label: 'Account id', required: true, placeholder: '17841400000000000', description: 'The Instagram professional account id' },
      { name: 'access_token', label: 'Access token', secret: true, required: true, placeholder: 'EAAG...' },
      { name: 'app_secret', label: 'App secret', secret: true, required: true, description: 'Verifies the signature of every webhook' },
    ],
  },
];

export const SPEC_BY_CHANNEL = Object.fromEntries(SPECS.map((s) => [s.channel, s])) as Record<Channel, ChannelSpec>;

export const STATUS_LABEL: Record<ChannelStatus | 'not_configured', string> = {
  not_configured: 'Not configured',
  unchecked: 'Not tested',
  checking: 'Checking…',
  ok: 'Connected',
  error: 'Connection failed',
};

export const STATUS_COLOR: Record<ChannelStatus | 'not_configured', string> = {
  not_configured: 'gray',
  unchecked: 'yellow',
  checking: 'blue',
  ok: 'teal',
  error: 'red',
};

export const PURPOSE_LABEL: Record<string, string> = {
  events: 'Event webhook',
  status: 'Status callback',
  inbound: 'Incoming messages',
  updates: 'Bot updates',
  webhook: 'Callback URL',
};
