/** Queries and mutations for the channel settings endpoints. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { paths } from '@/api/schema';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer Res } ? JsonOf<Res[Extract<keyof Res, 200 | 202 | '200' | '202'>]> : never;
type BodyOf<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type ChannelList = Ok<paths['/api/v1/channels']['get']>;
export type ChannelSettings = Ok<paths['/api/v1/channels/{channel}']['get']>;
export type ChannelPutBody = BodyOf<paths['/api/v1/channels/{channel}']['put']>;
export type Channel = ChannelSettings['channel'];
export type ChannelStatus = ChannelSettings['status'];
export type WebhookUrl = NonNullable<ChannelSettings['webhook_urls']>[number];

export const ckeys = {
  list: ['channels'] as const,
};

/** How often the page asks again while a connection check runs. */
export const CHECK_POLL_MS = 1500;

/**
 * Every channel's settings. While a check runs the list is fetched again
 * every CHECK_POLL_MS, until no channel is checking.
 */
export function useChannels() {
  return useQuery({
    queryKey: ckeys.list,
    queryFn: () => unwrap(api.GET('/api/v1/channels')),
    refetchInterval: (q) => (q.state.data?.items?.some((c) => c.status === 'checking') ? CHECK_POLL_MS : false),
  });
}

/** Puts one channel's answer into the cached list. */
function useReplaceInList() {
  const qc = useQueryClient();
  return (v: ChannelSettings) =>
    qc.setQueryData<ChannelList>(ckeys.list, (old) =>
      old ? { ...old, items: (old.items ?? []).map((c) => (c.channel === v.channel ? v : c)) } : old,
    );
}

export function usePutChannel(channel: Channel) {
  const replace = useReplaceInList();
  return useMutation({
    mutationFn: (body: ChannelPutBody) => unwrap(api.PUT('/api/v1/channels/{channel}', { params: { path: { channel } }, body })),
    onSuccess: replace,
  });
}

export function useTestChannel(channel: Channel) {
  const replace = useReplaceInList();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/channels/{channel}/test', { params: { path: { channel } } })),
    onSuccess: replace,
  });
}

export function useUseSandbox(channel: Channel) {
  const replace = useReplaceInList();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/channels/{channel}/use-sandbox', { params: { path: { channel } } })),
    onSuccess: replace,
  });
}

export function useDeleteChannel(channel: Channel) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/channels/{channel}', { params: { path: { channel } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ckeys.list }),
  });
}
