import {
  IconAddressBook,
  IconArrowUpRight,
  IconBell,
  IconBrandTelegram,
  IconCalendarEvent,
  IconCreditCard,
  IconHeartRateMonitor,
  IconInbox,
  IconMail,
  IconMessages,
  IconRobot,
  IconSend,
  IconSpeakerphone,
  IconTemplate,
  IconUsersGroup,
} from '@tabler/icons-react';
import type { ComingSoonSpec } from './ComingSoonPage';

/** The sections later issues of this release fill, by route. */
export const SECTIONS: Record<string, ComingSoonSpec> = {
  '/contacts': {
    title: 'Contacts',
    icon: IconAddressBook,
    description: 'Everyone your organization reaches, across every channel.',
    features: [
      'Keep one contact per person with their email, WhatsApp, Telegram and Instagram handles',
      'Import contacts from CSV with per-channel de-duplication',
      'Respect unsubscribes and suppressions automatically',
      'Search, filter and tag contacts',
    ],
  },
  '/contacts/groups': {
    title: 'Groups',
    icon: IconUsersGroup,
    description: 'Segments of contacts to target with campaigns.',
    features: ['Create groups and add contacts by hand or by import', 'Send campaigns to one or more groups', 'See group sizes per channel'],
  },
  '/contacts/telegram': {
    title: 'Telegram onboarding',
    icon: IconBrandTelegram,
    description: 'Let contacts connect their Telegram account to your bot.',
    features: ['Share a link or QR code that opens your bot', 'Match Telegram users to existing contacts', 'Track who has opted in'],
  },
  '/messaging/send': {
    title: 'Send',
    icon: IconSend,
    description: 'Send a single message on any channel.',
    features: ['Pick a contact and a channel, or a template', 'Attach files', 'Follow delivery status as it comes back from the provider'],
  },
  '/messaging/conversations': {
    title: 'Conversations',
    icon: IconMessages,
    description: 'Two-way threads with your contacts.',
    features: ['Read and reply to inbound messages in one inbox', 'See the whole history with a contact across channels', 'Assign conversations to teammates'],
  },
  '/messaging/campaigns': {
    title: 'Campaigns',
    icon: IconSpeakerphone,
    description: 'Multi-channel sends to groups, with cost estimates and live results.',
    features: ['Target groups over email, WhatsApp, Telegram and Instagram', 'Estimate cost before sending', 'Schedule, then watch delivered, opened and failed counts live'],
  },
  '/messaging/email-logs': {
    title: 'Email logs',
    icon: IconMail,
    description: 'Every email sent, with its provider events.',
    features: ['Search by recipient, subject or status', 'See delivered, opened, bounced and spam events', 'Inspect the raw provider response'],
  },
  '/messaging/outbound-logs': {
    title: 'Outbound logs',
    icon: IconArrowUpRight,
    description: 'Every outbound message on every channel.',
    features: ['Filter by channel, status and date', 'See retries and the reason a send failed', 'Export for auditing'],
  },
  '/inbound-logs': {
    title: 'Inbound logs',
    icon: IconInbox,
    description: 'Messages and webhook events received from providers.',
    features: ['See every inbound message and webhook as it was received', 'Check signature verification and processing status', 'Replay a failed event'],
  },
  '/templates': {
    title: 'Templates',
    icon: IconTemplate,
    description: 'Reusable messages with variables, per channel.',
    features: ['Write templates with {{variables}} and previews', 'Submit WhatsApp templates for approval', 'Set defaults and footers per channel'],
  },
  '/assistant': {
    title: 'Assistant',
    icon: IconRobot,
    description: 'Drafted replies from your knowledge base.',
    features: ['Upload your knowledge base', 'Get suggested replies in conversations', 'Review and edit before sending'],
  },
  '/bookings': {
    title: 'Bookings',
    icon: IconCalendarEvent,
    description: 'Resources, slots and appointments, synced to Google Calendar.',
    features: ['Define bookable resources and their hours', 'Let contacts book slots through the public calendar API', 'Sync bookings both ways with Google Calendar'],
  },
  '/monitoring': {
    title: 'Monitoring',
    icon: IconHeartRateMonitor,
    description: 'Delivery metrics, queue health and alerts.',
    features: ['Chart sends, deliveries and failures per channel', 'Watch queue depth and provider latency', 'Set alert rules that notify your team'],
  },
  '/billing': {
    title: 'Billing',
    icon: IconCreditCard,
    description: 'Usage and costs per channel.',
    features: ['See messages and costs per channel and month', 'Download usage reports', 'Set spending limits'],
  },
  '/notifications': {
    title: 'Notifications',
    icon: IconBell,
    description: 'What Switchboard tells you about, and where.',
    features: ['See campaign completions, failed sends and alerts', 'Choose which events notify you', 'Get notified in the app or by email'],
  },
};
