import { useQuery } from '@tanstack/react-query';
import { useContext } from 'react';
import {
  IconAddressBook,
  IconBan,
  IconBell,
  IconBrandTelegram,
  IconCalendarEvent,
  IconCode,
  IconCreditCard,
  IconFlask,
  IconHeartRateMonitor,
  IconHistory,
  IconInbox,
  IconLayoutDashboard,
  IconMail,
  IconMessages,
  IconRobot,
  IconSend,
  IconSettings,
  IconSpeakerphone,
  IconTemplate,
  IconUser,
  IconUsersGroup,
  IconArrowUpRight,
  IconListDetails,
  IconWebhook,
  type Icon,
} from '@tabler/icons-react';
import { api, unwrap } from '@/api/client';
import { CurrentContext } from './CurrentContext';

/** A link in the left navigation. */
export interface NavItem {
  label: string;
  to: string;
  icon: Icon;
  children?: NavItem[];
  /** Shown only when the server runs the provider sandbox (SANDBOX=1). */
  sandboxOnly?: boolean;
}

/** A titled group of links. */
export interface NavSection {
  title?: string;
  items: NavItem[];
}

/** Every section of the product, grouped as in the product. */
export const NAV: NavSection[] = [
  { items: [{ label: 'Dashboard', to: '/', icon: IconLayoutDashboard }] },
  {
    title: 'Audience',
    items: [
      {
        label: 'Contacts',
        to: '/contacts',
        icon: IconAddressBook,
        children: [
          { label: 'All contacts', to: '/contacts', icon: IconAddressBook },
          { label: 'Groups', to: '/contacts/groups', icon: IconUsersGroup },
          { label: 'Import history', to: '/contacts/imports', icon: IconHistory },
          { label: 'Telegram onboarding', to: '/contacts/telegram', icon: IconBrandTelegram },
        ],
      },
      { label: 'Suppression', to: '/suppression', icon: IconBan },
    ],
  },
  {
    title: 'Engage',
    items: [
      {
        label: 'Messaging',
        to: '/messaging',
        icon: IconMessages,
        children: [
          { label: 'Send', to: '/messaging/send', icon: IconSend },
          { label: 'Conversations', to: '/messaging/conversations', icon: IconMessages },
          { label: 'Campaigns', to: '/messaging/campaigns', icon: IconSpeakerphone },
          { label: 'Email logs', to: '/messaging/email-logs', icon: IconMail },
          { label: 'Outbound logs', to: '/messaging/outbound-logs', icon: IconArrowUpRight },
          { label: 'Sandbox', to: '/messaging/sandbox', icon: IconFlask, sandboxOnly: true },
        ],
      },
      { label: 'Inbound logs', to: '/inbound-logs', icon: IconInbox },
      { label: 'Templates', to: '/templates', icon: IconTemplate },
      { label: 'Assistant', to: '/assistant', icon: IconRobot },
      { label: 'Bookings', to: '/bookings', icon: IconCalendarEvent },
    ],
  },
  {
    title: 'Insights',
    items: [
      { label: 'Monitoring', to: '/monitoring', icon: IconHeartRateMonitor },
      { label: 'Webhook log', to: '/webhooks', icon: IconWebhook },
      { label: 'Billing', to: '/billing', icon: IconCreditCard },
    ],
  },
  {
    title: 'Organization',
    items: [
      { label: 'Developers', to: '/developers', icon: IconCode },
      { label: 'Settings', to: '/settings', icon: IconSettings },
    ],
  },
  {
    title: 'You',
    items: [
      { label: 'Notifications', to: '/notifications', icon: IconBell },
      { label: 'Profile', to: '/profile', icon: IconUser },
    ],
  },
];

/** What decides the optional links: whether the server runs the sandbox. */
export interface NavFlags {
  sandbox: boolean;
}

/**
 * The navigation's flags. The sandbox flag comes with the channel settings
 * (GET /channels, shared with the pages that read them), asked once an org
 * is active.
 */
export function useNavFlags(): NavFlags {
  const current = useContext(CurrentContext);
  const channels = useQuery({
    queryKey: ['channels'],
    queryFn: () => unwrap(api.GET('/api/v1/channels')),
    enabled: !!current?.org,
    staleTime: 5 * 60_000,
  });
  return { sandbox: !!channels.data?.sandbox };
}

/** The items shown with flags. */
export function visibleItems(items: NavItem[], flags: NavFlags): NavItem[] {
  return items.filter((i) => !i.sandboxOnly || flags.sandbox);
}

/** Staff-only: River UI, a separate app (full-page link). */
export const JOBS_LINK = { label: 'Jobs', href: '/riverui/', icon: IconListDetails };

/** Whether `pathname` is `to` or below it (the Dashboard matches only "/"). */
export function isActive(pathname: string, to: string, exact = false): boolean {
  if (to === '/' || exact) return pathname === to;
  return pathname === to || pathname.startsWith(`${to}/`);
}
