import { Badge, Group, Text, ThemeIcon, Tooltip } from '@mantine/core';
import { IconBrandInstagram, IconBrandTelegram, IconBrandWhatsapp, IconMail } from '@tabler/icons-react';
import type { Channel, Contact, Group as ContactGroup } from './api';
import { contactChannels, optedOut } from './api';

const CHANNEL_META: Record<Channel, { label: string; color: string; icon: typeof IconMail }> = {
  email: { label: 'Email', color: 'blue', icon: IconMail },
  whatsapp: { label: 'WhatsApp', color: 'green', icon: IconBrandWhatsapp },
  telegram: { label: 'Telegram', color: 'cyan', icon: IconBrandTelegram },
  instagram: { label: 'Instagram', color: 'pink', icon: IconBrandInstagram },
};

/** The channels a contact can be reached on; an opted-out one is struck red. */
export function ChannelIcons({ contact }: { contact: Contact }) {
  const chans = contactChannels(contact);
  if (chans.length === 0) return <Text size="xs" c="dimmed">—</Text>;
  return (
    <Group gap={4} wrap="nowrap">
      {chans.map((ch) => {
        const meta = CHANNEL_META[ch];
        const out = optedOut(contact, ch);
        return (
          <Tooltip key={ch} label={out ? `${meta.label}: opted out` : meta.label}>
            <ThemeIcon size={22} radius="xl" variant="light" color={out ? 'red' : meta.color} aria-label={out ? `${meta.label} (opted out)` : meta.label} style={out ? { opacity: 0.7 } : undefined}>
              <meta.icon size={13} />
            </ThemeIcon>
          </Tooltip>
        );
      })}
    </Group>
  );
}

/** A group's name in its color. */
export function GroupBadge({ group, size = 'sm' }: { group: ContactGroup | undefined; size?: 'xs' | 'sm' }) {
  if (!group) return null;
  return (
    <Badge
      size={size}
      maw={160}
      variant="light"
      tt="none"
      fw={500}
      color={group.color || 'gray'}
      leftSection={<span style={{ display: 'inline-block', width: 6, height: 6, borderRadius: 3, background: group.color || 'var(--mantine-color-gray-5)' }} />}
    >
      {group.name}
    </Badge>
  );
}
