import { Button, Center, Loader, Skeleton, Stack, Text, Tooltip } from '@mantine/core';
import { IconAlertCircle, IconCheck, IconChecks, IconClock, IconFile, IconFileOff, IconPhoto } from '@tabler/icons-react';
import { Fragment, useEffect, useLayoutEffect, useRef } from 'react';
import { formatDate } from '@/lib/format';
import { downloadUpload, type ChatChannel, type MediaItem, type ThreadMessage, useUploadURL } from './api';
import { deliveryOf, DELIVERY_LABEL, fileSize, isImage } from './channel';
import classes from './conversations.module.css';

const time = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
const dayOf = (iso: string) => new Date(iso).toDateString();

/** A conversation's messages in the channel's look, newest at the bottom. */
export function ThreadView({
  channel,
  messages,
  loading,
  hasOlder,
  loadingOlder,
  onLoadOlder,
}: {
  channel: ChatChannel;
  messages: ThreadMessage[];
  loading: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const newest = messages.at(-1)?.id;
  const oldest = messages[0]?.id;
  const prevHeight = useRef(0);
  const prevOldest = useRef<string | undefined>(undefined);

  // Keep the newest message in view when it changes; keep the reading
  // position when older messages are put above.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (prevOldest.current && oldest !== prevOldest.current && prevHeight.current) {
      el.scrollTop += el.scrollHeight - prevHeight.current;
    }
    prevOldest.current = oldest;
    prevHeight.current = el.scrollHeight;
  }, [oldest]);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [newest]);

  if (loading) {
    return (
      <div className={classes.thread} data-channel={channel}>
        <Stack gap="sm" p="md">
          <Skeleton h={40} w="60%" radius="md" />
          <Skeleton h={40} w="50%" radius="md" ml="auto" />
          <Skeleton h={40} w="40%" radius="md" />
        </Stack>
      </div>
    );
  }

  return (
    <div className={classes.thread} data-channel={channel} ref={box} data-testid="thread">
      {hasOlder && (
        <Center>
          <Button size="compact-xs" variant="white" onClick={onLoadOlder} loading={loadingOlder}>
            Load older messages
          </Button>
        </Center>
      )}
      {messages.length === 0 && (
        <Center h="100%">
          <Text size="sm" c="dimmed">
            No messages yet.
          </Text>
        </Center>
      )}
      {messages.map((m, i) => (
        <Fragment key={m.id}>
          {(i === 0 || dayOf(messages[i - 1]!.at) !== dayOf(m.at)) && <div className={classes.day}>{formatDate(m.at)}</div>}
          <Bubble m={m} />
        </Fragment>
      ))}
    </div>
  );
}

function Bubble({ m }: { m: ThreadMessage }) {
  const outbound = m.direction === 'outbound';
  const delivery = outbound ? deliveryOf(m) : null;
  return (
    <div className={classes.row} data-direction={m.direction} data-testid={`bubble-${m.direction}`}>
      <div className={classes.bubble} data-failed={delivery === 'failed' || undefined}>
        {(m.media ?? []).map((item, i) => (
          <Media key={item.upload_id ?? `${item.filename}-${i}`} item={item} />
        ))}
        {m.text && <div>{m.text}</div>}
        <div className={classes.meta}>
          <span>{time(m.at)}</span>
          {delivery && <Tick state={delivery} reason={m.error_reason} />}
        </div>
        {delivery === 'failed' && m.error_reason && (
          <Text size="xs" mt={2} fs="italic" data-testid="failure-reason">
            Not delivered: {m.error_reason}
          </Text>
        )}
      </div>
    </div>
  );
}

function Tick({ state, reason }: { state: ReturnType<typeof deliveryOf>; reason?: string }) {
  const icon =
    state === 'pending' ? (
      <IconClock size={13} />
    ) : state === 'sent' ? (
      <IconCheck size={14} />
    ) : state === 'failed' ? (
      <IconAlertCircle size={14} />
    ) : (
      <IconChecks size={15} />
    );
  const label = state === 'failed' && reason ? `${DELIVERY_LABEL.failed}: ${reason}` : DELIVERY_LABEL[state];
  return (
    <Tooltip label={label} withArrow>
      <span className={classes.tick} data-state={state} aria-label={label} data-testid="tick">
        {icon}
      </span>
    </Tooltip>
  );
}

function Media({ item }: { item: MediaItem }) {
  if (item.unavailable || !item.upload_id) {
    return (
      <Tooltip label={item.error || 'The provider would not give this file'} withArrow>
        <span className={classes.chip}>
          <IconFileOff size={16} />
          <Text size="xs" truncate>
            {item.filename} (unavailable)
          </Text>
        </span>
      </Tooltip>
    );
  }
  if (isImage(item.content_type)) return <InlineImage id={item.upload_id} name={item.filename} />;
  return (
    <button type="button" className={classes.chip} onClick={() => void downloadUpload(item.upload_id!, item.filename)} title="Download">
      <IconFile size={16} />
      <Text size="xs" truncate>
        {item.filename}
      </Text>
      <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
        {fileSize(item.size)}
      </Text>
    </button>
  );
}

function InlineImage({ id, name }: { id: string; name: string }) {
  const url = useUploadURL(id);
  if (url.isPending) {
    return (
      <Center w={180} h={120}>
        <Loader size="sm" />
      </Center>
    );
  }
  if (!url.data) {
    return (
      <span className={classes.chip}>
        <IconPhoto size={16} />
        <Text size="xs">{name}</Text>
      </span>
    );
  }
  return (
    <a href={url.data} target="_blank" rel="noopener">
      <img src={url.data} alt={name} className={classes.media} />
    </a>
  );
}
