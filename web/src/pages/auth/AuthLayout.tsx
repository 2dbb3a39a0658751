import { Box, Group, SimpleGrid, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconBrandInstagram, IconBrandTelegram, IconBrandWhatsapp, IconCalendarEvent, IconChartBar, IconMail } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Logo } from '@/components/Logo';
import classes from './AuthLayout.module.css';

const CHANNELS = [
  { icon: IconMail, label: 'Email' },
  { icon: IconBrandWhatsapp, label: 'WhatsApp' },
  { icon: IconBrandTelegram, label: 'Telegram' },
  { icon: IconBrandInstagram, label: 'Instagram DM' },
];

/** The frame of the sign-in, sign-up and invitation pages. */
export function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <div className={classes.root}>
      <aside className={classes.aside} aria-hidden>
        <div className={classes.grid} />
        <Box style={{ position: 'relative' }}>
          <Logo size={30} inverted />
        </Box>
        <Stack gap="xl" style={{ position: 'relative' }} maw={460}>
          <Title order={1} fz={38} lh={1.15} fw={700} c="white">
            Every channel.
            <br />
            One switchboard.
          </Title>
          <Text size="lg" c="rgba(255,255,255,0.82)">
            Reach contacts over email, WhatsApp, Telegram and Instagram, run multi-channel campaigns, hold two-way
            conversations and take bookings, from one place.
          </Text>
          <SimpleGrid cols={2} spacing="sm">
            {CHANNELS.map((c) => (
              <Group key={c.label} gap="sm" className={classes.channel} wrap="nowrap">
                <c.icon size={20} stroke={1.6} />
                <Text size="sm" fw={500}>
                  {c.label}
                </Text>
              </Group>
            ))}
          </SimpleGrid>
          <Group gap="lg">
            <Group gap={8}>
              <ThemeIcon variant="white" color="brand" radius="xl" size="sm">
                <IconChartBar size={14} />
              </ThemeIcon>
              <Text size="sm">Campaign analytics</Text>
            </Group>
            <Group gap={8}>
              <ThemeIcon variant="white" color="brand" radius="xl" size="sm">
                <IconCalendarEvent size={14} />
              </ThemeIcon>
              <Text size="sm">Calendar bookings</Text>
            </Group>
          </Group>
        </Stack>
        <Text size="xs" c="rgba(255,255,255,0.6)" style={{ position: 'relative' }}>
          Open-source multi-channel messaging
        </Text>
      </aside>
      <main className={classes.main}>
        <div className={classes.form}>
          <Box hiddenFrom="md" mb={32}>
            <Logo size={30} />
          </Box>
          {children}
        </div>
      </main>
    </div>
  );
}
