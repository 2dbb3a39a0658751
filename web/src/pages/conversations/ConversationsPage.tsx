import { ActionIcon, Avatar, Badge, Button, Center, Group, SegmentedControl, Skeleton, Stack, Switch, Text, TextInput, ThemeIcon, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconArrowLeft, IconBrandTelegram, IconMessages, IconSearch, IconWifi, IconWifiOff } from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { EmptyState } from '@/components/EmptyState';
import { ErrorAlert } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatRelative, initials } from '@/lib/format';
import { atLeast } from '@/lib/roles';
import { type ChatChannel, type Conversation, threadMessages, useConversation, useConversations, useMarkRead, useThread } from './api';
import { CHANNEL_LOOK, CHANNEL_OPTIONS, conversationTitle } from './channel';
import classes from './conversations.module.css';
import { ReplyBox } from './ReplyBox';
import { POLL_MS, useConversationStream } from './stream';
import { ThreadView } from './ThreadView';

export const CONVERSATIONS_PATH = '/messaging/conversations';

/** The inbox: conversations on the left, the open thread on the right, live. */
export function ConversationsPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const { role } = useCurrent();
  const [channel, setChannel] = useState('');
  const [unread, setUnread] = useState(false);
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const stream = useConversationStream();
  const pollMs = stream === 'live' ? false : POLL_MS;

  const list = useConversations(
    { channel: (channel || undefined) as ChatChannel | undefined, unread: unread || undefined, search: debounced || undefined },
    pollMs,
  );
  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items ?? []) ?? [], [list.data]);
  const open = (c: Conversation) => navigate(`${CONVERSATIONS_PATH}/${c.id}`);

  return (
    <>
      <PageHeader
        title="Conversations"
        description="What your contacts write on WhatsApp, Telegram and Instagram, and your replies, as they happen."
        actions={
          <Group gap="xs">
            <LiveBadge state={stream} />
            <Button component={Link} to="/contacts/telegram" variant="default" size="xs" leftSection={<IconBrandTelegram size={14} />}>
              Telegram onboarding
            </Button>
          </Group>
        }
      />
      <div className={classes.layout} data-open={id ? '' : undefined}>
        <aside className={classes.list} aria-label="Conversations">
          <Stack gap={8} p="sm" style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
            <TextInput
              placeholder="Search name, number, username"
              aria-label="Search conversations"
              leftSection={<IconSearch size={16} />}
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
              size="sm"
            />
            <SegmentedControl size="xs" data={CHANNEL_OPTIONS} value={channel} onChange={setChannel} fullWidth aria-label="Channel" />
            <Switch size="xs" label="Unread only" checked={unread} onChange={(e) => setUnread(e.currentTarget.checked)} />
          </Stack>
          <div className={classes.items}>
            {list.isPending ? (
              <Stack p="sm" gap="sm">
                {[0, 1, 2, 3].map((i) => (
                  <Skeleton key={i} h={52} radius="md" />
                ))}
              </Stack>
            ) : list.isError ? (
              <ErrorAlert error={list.error} onRetry={() => void list.refetch()} mt="sm" />
            ) : items.length === 0 ? (
              <EmptyState compact icon={<IconMessages size={22} />} title={debounced || channel || unread ? 'No matches' : 'No conversations yet'}>
                {debounced || channel || unread
                  ? 'Try another search or filter.'
                  : 'When contacts write to your WhatsApp number, Telegram bot or Instagram account, their messages show up here.'}
              </EmptyState>
            ) : (
              <>
                {items.map((c) => (
                  <ConversationItem key={c.id} c={c} active={c.id === id} onOpen={() => open(c)} />
                ))}
                {list.hasNextPage && (
                  <Center p="sm">
                    <Button variant="subtle" size="xs" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
                      Load more
                    </Button>
                  </Center>
                )}
              </>
            )}
          </div>
        </aside>
        <section className={classes.pane} aria-label="Conversation">
          {id ? (
            <OpenConversation id={id} pollMs={pollMs} canReply={atLeast(role, 'member')} onBack={() => navigate(CONVERSATIONS_PATH)} />
          ) : (
            <Center h="100%">
              <EmptyState compact icon={<IconMessages size={22} />} title="Pick a conversation">
                Choose one on the left to read it and reply.
              </EmptyState>
            </Center>
          )}
        </section>
      </div>
    </>
  );
}

function LiveBadge({ state }: { state: ReturnType<typeof useConversationStream> }) {
  if (state === 'live') {
    return (
      <Tooltip label="New messages appear as they arrive">
        <Badge color="green" variant="light" leftSection={<IconWifi size={12} />} data-testid="live-state">
          Live
        </Badge>
      </Tooltip>
    );
  }
  return (
    <Tooltip label={state === 'connecting' ? 'Connecting to live updates…' : 'Live updates are unavailable: refreshing every few seconds'}>
      <Badge color="gray" variant="light" leftSection={<IconWifiOff size={12} />} data-testid="live-state">
        {state === 'connecting' ? 'Connecting' : 'Polling'}
      </Badge>
    </Tooltip>
  );
}

function ConversationItem({ c, active, onOpen }: { c: Conversation; active: boolean; onOpen: () => void }) {
  const look = CHANNEL_LOOK[c.channel];
  const title = conversationTitle(c);
  return (
    <button type="button" className={classes.item} data-active={active || undefined} onClick={onOpen} data-testid="conversation-item">
      <div className={classes.avatarWrap}>
        <Avatar radius="xl" color={look.color} size={40}>
          {initials(c.contact.name || c.contact.username || '?')}
        </Avatar>
        <ThemeIcon className={classes.channelDot} size={18} radius="xl" color={look.color} aria-label={look.label}>
          <look.icon size={12} />
        </ThemeIcon>
      </div>
      <div className={classes.itemBody}>
        <Group justify="space-between" gap={6} wrap="nowrap">
          <Text size="sm" fw={c.unread_count > 0 ? 700 : 500} truncate>
            {title}
          </Text>
          <Text size="xs" c={c.unread_count > 0 ? 'green.7' : 'dimmed'} style={{ whiteSpace: 'nowrap' }}>
            {formatRelative(c.last_message_at)}
          </Text>
        </Group>
        <Group justify="space-between" gap={6} wrap="nowrap">
          <Text size="xs" c="dimmed" truncate>
            {c.last_message_direction === 'outbound' ? 'You: ' : ''}
            {c.last_message_preview || '…'}
          </Text>
          {c.unread_count > 0 && (
            <Badge size="sm" circle={c.unread_count < 10} color="green" data-testid="unread-badge">
              {c.unread_count}
            </Badge>
          )}
        </Group>
      </div>
    </button>
  );
}

function OpenConversation({ id, pollMs, canReply, onBack }: { id: string; pollMs: number | false; canReply: boolean; onBack: () => void }) {
  const conv = useConversation(id, pollMs);
  const thread = useThread(id, pollMs);
  const markRead = useMarkRead();
  const messages = useMemo(() => threadMessages(thread.data), [thread.data]);
  const unread = conv.data?.unread_count ?? 0;

  // Opening a conversation (or a message arriving while it is open) reads it.
  useEffect(() => {
    if (unread > 0 && !markRead.isPending) markRead.mutate(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, unread]);

  if (conv.isError) {
    return (
      <Stack p="md">
        <ErrorAlert error={conv.error} onRetry={() => void conv.refetch()} />
      </Stack>
    );
  }
  if (!conv.data) {
    return (
      <Stack p="md" gap="sm">
        <Skeleton h={36} w="40%" />
        <Skeleton h={300} />
      </Stack>
    );
  }
  const c = conv.data;
  const look = CHANNEL_LOOK[c.channel];
  return (
    <>
      <Group className={classes.paneHeader} justify="space-between" wrap="nowrap">
        <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
          <ActionIcon variant="subtle" color="gray" onClick={onBack} aria-label="Back to the list" hiddenFrom="sm">
            <IconArrowLeft size={18} />
          </ActionIcon>
          <Avatar radius="xl" color={look.color}>
            {initials(c.contact.name || c.contact.username || '?')}
          </Avatar>
          <div style={{ minWidth: 0 }}>
            <Text fw={600} truncate data-testid="conversation-title">
              {conversationTitle(c)}
            </Text>
            <Text size="xs" c="dimmed" truncate>
              {look.label} · {c.contact.username ? `@${c.contact.username} · ` : ''}
              {c.contact.address}
            </Text>
          </div>
        </Group>
        <Button component={Link} to={`/contacts?contact=${c.contact.id}`} variant="subtle" size="xs">
          Contact
        </Button>
      </Group>
      <ThreadView
        channel={c.channel}
        messages={messages}
        loading={thread.isPending}
        hasOlder={!!thread.hasNextPage}
        loadingOlder={thread.isFetchingNextPage}
        onLoadOlder={() => void thread.fetchNextPage()}
      />
      {thread.isError && <ErrorAlert error={thread.error} onRetry={() => void thread.refetch()} />}
      <ReplyBox key={c.id} conversation={c} canReply={canReply} />
    </>
  );
}
