/** Queries and mutations of the campaigns pages. */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { Channel } from '@/pages/messages/model';
import { type Audience, type Campaign, type CampaignInput, type CampaignStatus, isLive, type RecipientStatus } from './model';

export const ckeys = {
  all: ['campaigns'] as const,
  list: (status: string) => ['campaigns', 'list', status] as const,
  one: (id: string) => ['campaigns', 'one', id] as const,
  recipients: (id: string, f: object) => ['campaigns', 'recipients', id, f] as const,
  estimate: (body: unknown) => ['campaigns', 'estimate', body] as const,
};

/** Live statuses refresh this often (ms). */
export const LIVE_INTERVAL = 3000;

/** The campaigns, newest first, in keyset pages; refreshed while one of them runs. */
export function useCampaigns(status: CampaignStatus | undefined) {
  return useInfiniteQuery({
    queryKey: ckeys.list(status ?? ''),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/campaigns', {
          params: { query: { limit: 50, ...(status ? { status } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor || undefined,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.pages.some((p) => (p.items ?? []).some(isLive)) ? LIVE_INTERVAL : false),
  });
}

/**
 * One campaign, asked again every 3 s while it runs, waits for its time or
 * is paused (reports of messages sent before the pause still arrive).
 */
export function useCampaign(id: string | undefined) {
  return useQuery({
    queryKey: ckeys.one(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/campaigns/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
    refetchInterval: (q) => (isLive(q.state.data) || q.state.data?.status === 'paused' ? LIVE_INTERVAL : false),
  });
}

/** The estimate of an audience (null: nothing to ask yet). */
export function useEstimate(body: Audience | null) {
  return useQuery({
    queryKey: ckeys.estimate(body),
    queryFn: () => unwrap(api.POST('/api/v1/campaigns/estimate', { body: body! })),
    enabled: !!body,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
    retry: false,
  });
}

export interface RecipientFilters {
  status?: RecipientStatus;
  channel?: Channel;
}

/** A campaign's recipients in keyset pages (the page refetches them when the campaign's counters move). */
export function useRecipients(id: string, f: RecipientFilters) {
  return useInfiniteQuery({
    queryKey: ckeys.recipients(id, f),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/campaigns/{id}/recipients', {
          params: {
            path: { id },
            query: { limit: 50, ...(f.status ? { status: f.status } : {}), ...(f.channel ? { channel: f.channel } : {}), ...(pageParam ? { cursor: pageParam } : {}) },
          },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor || undefined,
    placeholderData: keepPreviousData,
  });
}

/** The CSV export's path for the current filters (fetched with the bearer token). */
export function recipientsCsvPath(id: string, f: RecipientFilters): string {
  const qs = new URLSearchParams();
  if (f.status) qs.set('status', f.status);
  if (f.channel) qs.set('channel', f.channel);
  const q = qs.toString();
  return `/api/v1/campaigns/${id}/recipients.csv${q ? `?${q}` : ''}`;
}

/** Creates a campaign, or saves a draft's changes. */
export function useSaveCampaign() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: CampaignInput }) =>
      id
        ? unwrap(api.PUT('/api/v1/campaigns/{id}', { params: { path: { id } }, body }))
        : unwrap(api.POST('/api/v1/campaigns', { body })),
    onSuccess: (c) => {
      qc.setQueryData(ckeys.one(c.id), c);
      void qc.invalidateQueries({ queryKey: ['campaigns', 'list'] });
    },
  });
}

export type Action = 'start' | 'pause' | 'resume' | 'cancel';

/** Start (now or at the saved time), pause, resume or cancel. */
export function useCampaignAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action, now }: { id: string; action: Action; now?: boolean }): Promise<Campaign> => {
      const path = { params: { path: { id } } };
      switch (action) {
        case 'start':
          return unwrap(api.POST('/api/v1/campaigns/{id}/start', { ...path, body: now ? { now: true } : {} }));
        case 'pause':
          return unwrap(api.POST('/api/v1/campaigns/{id}/pause', path));
        case 'resume':
          return unwrap(api.POST('/api/v1/campaigns/{id}/resume', path));
        case 'cancel':
          return unwrap(api.POST('/api/v1/campaigns/{id}/cancel', path));
      }
    },
    onSuccess: (c) => {
      qc.setQueryData(ckeys.one(c.id), c);
      void qc.invalidateQueries({ queryKey: ['campaigns', 'list'] });
      void qc.invalidateQueries({ queryKey: ['campaigns', 'recipients', c.id] });
    },
  });
}

/** Deletes a draft. */
export function useDeleteCampaign() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/campaigns/{id}', { params: { path: { id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['campaigns', 'list'] }),
  });
}

/** A saved campaign's estimate (what starting it now would send). */
export function useSavedEstimate(id: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: ['campaigns', 'saved-estimate', id],
    queryFn: () => unwrap(api.GET('/api/v1/campaigns/{id}/estimate', { params: { path: { id: id! } } })),
    enabled: !!id && enabled,
    staleTime: 0,
  });
}
