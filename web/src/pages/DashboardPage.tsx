import { Anchor, Badge, Card, Grid, Group, Progress, SimpleGrid, Skeleton, Stack, Text, ThemeIcon, Title, UnstyledButton } from '@mantine/core';
import {
  IconBrandInstagram,
  IconBrandTelegram,
  IconBrandWhatsapp,
  IconChartLine,
  IconCheck,
  IconChevronRight,
  IconCircleDashed,
  IconKey,
  IconMail,
  IconUserPlus,
  IconUsers,
  IconAddressBook,
  IconPlugConnected,
  type Icon,
} from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useApiKeys, useInvitations, useMembers } from '@/api/queries';
import { EmptyState } from '@/components/EmptyState';
import { useCurrent } from '@/layout/CurrentContext';
import { can } from '@/lib/roles';
import classes from './DashboardPage.module.css';

function greeting(hour: number): string {
  if (hour < 5) return 'Good evening';
  if (hour < 12) return 'Good morning';
  if (hour < 18) return 'Good afternoon';
  return 'Good evening';
}

interface Step {
  label: string;
  description: string;
  icon: Icon;
  done: boolean;
  to?: string;
  href?: string;
  soon?: boolean;
}

export function DashboardPage() {
  const { me, org, role } = useCurrent();
  const isAdmin = can(role, 'members.manage');
  const members = useMembers();
  const invitations = useInvitations(isAdmin);
  const apiKeys = useApiKeys(can(role, 'apikeys.manage'));

  const memberCount = members.data ? (members.data.items ?? []).length : undefined;
  const pendingInvites = invitations.data ? (invitations.data.items ?? []).length : undefined;
  const activeKeys = apiKeys.data ? (apiKeys.data.items ?? []).filter((k) => !k.revoked_at && (!k.expires_at || new Date(k.expires_at) > new Date())).length : undefined;
  const firstName = (me.user.name || '').split(/\s+/)[0];

  const steps: Step[] = [
    { label: 'Create your organization', description: `${org?.name ?? 'Your organization'} is ready.`, icon: IconCheck, done: true },
  ];
  if (isAdmin) {
    steps.push({
      label: 'Invite your team',
      description: 'Add teammates as admins, members or viewers.',
      icon: IconUserPlus,
      done: (memberCount ?? 0) > 1 || (pendingInvites ?? 0) > 0,
      to: '/settings#members',
    });
  }
  if (can(role, 'apikeys.manage')) {
    steps.push({
      label: 'Create an API key',
      description: 'Send messages and sync contacts from your own systems.',
      icon: IconKey,
      done: (apiKeys.data?.items?.length ?? 0) > 0,
      to: '/developers',
    });
  }
  steps.push(
    { label: 'Connect a channel', description: 'Email, WhatsApp, Telegram and Instagram arrive with the messaging hub.', icon: IconPlugConnected, done: false, soon: true },
    { label: 'Import your contacts', description: 'CSV import with per-channel de-duplication is coming in this release.', icon: IconAddressBook, done: false, soon: true },
  );
  const doneCount = steps.filter((s) => s.done).length;

  return (
    <Stack gap="xl">
      <div>
        <Title order={2} fz={{ base: 22, sm: 26 }}>
          {greeting(new Date().getHours())}
          {firstName ? `, ${firstName}` : ''}
        </Title>
        <Text c="dimmed" size="sm" mt={4}>
          Here's what's happening in {org?.name}.
        </Text>
      </div>

      <SimpleGrid cols={3} spacing={{ base: 'xs', sm: 'md' }}>
        <Stat label="Members" icon={IconUsers} value={memberCount} loading={members.isPending} to="/settings#members" />
        {isAdmin ? (
          <Stat label="Pending invitations" icon={IconUserPlus} value={pendingInvites} loading={invitations.isPending} to="/settings#invitations" />
        ) : (
          <Stat label="Your role" icon={IconUsers} text={role ? role.charAt(0).toUpperCase() + role.slice(1) : '—'} />
        )}
        {can(role, 'apikeys.manage') ? (
          <Stat label="Active API keys" icon={IconKey} value={activeKeys} loading={apiKeys.isPending} to="/developers" />
        ) : (
          <Stat label="Timezone" icon={IconChartLine} text={org?.timezone ?? 'UTC'} />
        )}
      </SimpleGrid>

      <Grid gutter="md">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card h="100%">
            <Group justify="space-between" mb="xs">
              <Title order={4} fz="md">
                Get started
              </Title>
              <Text size="sm" c="dimmed">
                {doneCount} of {steps.length} done
              </Text>
            </Group>
            <Progress value={(doneCount / steps.length) * 100} size="sm" mb="md" aria-label="Setup progress" />
            <Stack gap={4}>
              {steps.map((s) => (
                <StepRow key={s.label} step={s} />
              ))}
            </Stack>
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="md" h="100%">
            <Card>
              <Title order={4} fz="md" mb="sm">
                Channels
              </Title>
              <Stack gap="sm">
                {[
                  { icon: IconMail, label: 'Email', note: 'SendGrid' },
                  { icon: IconBrandWhatsapp, label: 'WhatsApp', note: 'Twilio' },
                  { icon: IconBrandTelegram, label: 'Telegram', note: 'Bot' },
                  { icon: IconBrandInstagram, label: 'Instagram DM', note: 'Meta' },
                ].map((c) => (
                  <Group key={c.label} justify="space-between" wrap="nowrap">
                    <Group gap="sm" wrap="nowrap">
                      <ThemeIcon variant="light" color="gray" radius="md">
                        <c.icon size={18} />
                      </ThemeIcon>
                      <div>
                        <Text size="sm" fw={500}>
                          {c.label}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {c.note}
                        </Text>
                      </div>
                    </Group>
                    <Badge variant="light" color="gray">
                      Not connected
                    </Badge>
                  </Group>
                ))}
              </Stack>
            </Card>
            <Card>
              <Title order={4} fz="md">
                API
              </Title>
              <Text size="sm" c="dimmed" mt={6}>
                Everything in the dashboard is available over the REST API with an API key.
              </Text>
              <Group gap="md" mt="sm">
                <Anchor href="/api/docs/swagger/" target="_blank" rel="noopener" size="sm">
                  Swagger UI
                </Anchor>
                <Anchor href="/api/docs/redoc/" target="_blank" rel="noopener" size="sm">
                  ReDoc
                </Anchor>
                <Anchor href="/api/schema" target="_blank" rel="noopener" size="sm">
                  OpenAPI schema
                </Anchor>
                <Anchor component={Link} to="/developers" size="sm">
                  API keys
                </Anchor>
              </Group>
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>

      <Card>
        <Title order={4} fz="md">
          Message activity
        </Title>
        <EmptyState icon={<IconChartLine size={24} />} title="No messages yet" compact>
          Sends, deliveries and replies per channel will be charted here once channels are connected. Monitoring is
          coming in this release.
        </EmptyState>
      </Card>
    </Stack>
  );
}

function Stat({
  label,
  icon: IconC,
  value,
  text,
  loading,
  to,
}: {
  label: string;
  icon: Icon;
  value?: number | undefined;
  text?: string;
  loading?: boolean;
  to?: string;
}) {
  const body: ReactNode = (
    <Group justify="space-between" wrap="nowrap" align="flex-start">
      <div>
        <Text size="xs" c="dimmed" fw={600} tt="uppercase" style={{ letterSpacing: '0.04em' }} lh={1.3}>
          {label}
        </Text>
        {loading ? (
          <Skeleton h={30} w={48} mt={6} />
        ) : (
          <Text fz={text ? 20 : 28} fw={700} mt={4} lh={1.2}>
            {text ?? (value ?? '—')}
          </Text>
        )}
      </div>
      <ThemeIcon variant="light" radius="md" size="lg" visibleFrom="sm">
        <IconC size={20} />
      </ThemeIcon>
    </Group>
  );
  if (to) {
    return (
      <Card component={Link} to={to} className={classes.statLink} p={{ base: 'sm', sm: 'lg' }}>
        {body}
      </Card>
    );
  }
  return <Card p={{ base: 'sm', sm: 'lg' }}>{body}</Card>;
}

function StepRow({ step }: { step: Step }) {
  const content = (
    <Group wrap="nowrap" gap="sm" py={8} px={8}>
      <ThemeIcon
        radius="xl"
        size={28}
        variant={step.done ? 'filled' : 'light'}
        color={step.done ? 'teal' : step.soon ? 'gray' : 'brand'}
      >
        {step.done ? <IconCheck size={16} stroke={2.5} /> : step.soon ? <IconCircleDashed size={16} /> : <step.icon size={16} />}
      </ThemeIcon>
      <div style={{ flex: 1, minWidth: 0 }}>
        <Group gap={6}>
          <Text size="sm" fw={500} td={step.done ? 'line-through' : undefined} c={step.done ? 'dimmed' : undefined}>
            {step.label}
          </Text>
          {step.soon && (
            <Badge size="xs" variant="light" color="gray">
              Soon
            </Badge>
          )}
        </Group>
        <Text size="xs" c="dimmed">
          {step.description}
        </Text>
      </div>
      {step.to && !step.done && <IconChevronRight size={16} color="var(--mantine-color-gray-5)" />}
    </Group>
  );
  if (step.to && !step.done) {
    return (
      <UnstyledButton component={Link} to={step.to} className={classes.step}>
        {content}
      </UnstyledButton>
    );
  }
  return <div>{content}</div>;
}
