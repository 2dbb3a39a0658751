/** The bell's data: the signed-in user's notifications in the active org. */
import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { paths } from '@/api/schema';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer Res } ? JsonOf<Res[Extract<keyof Res, 200 | '200'>]> : never;

export type NotificationPage = Ok<paths['/api/v1/notifications']['get']>;
export type AppNotification = NonNullable<NotificationPage['items']>[number];

/** How often the bell asks for news (the API has no push for it). */
export const POLL_MS = 30_000;
/** How many the dropdown shows. */
export const BELL_LIMIT = 15;

export const nkeys = {
  all: ['notifications'] as const,
  bell: (orgId: string) => ['notifications', 'bell', orgId] as const,
};

/** The newest notifications and the unread count, polled every POLL_MS. */
export function useBellNotifications(orgId: string | null | undefined) {
  return useQuery({
    queryKey: nkeys.bell(orgId ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/notifications', { params: { query: { limit: BELL_LIMIT } } })),
    enabled: !!orgId,
    refetchInterval: POLL_MS,
    // A tab in the background keeps its badge fresh for when it comes back.
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
  });
}

/** The badge's text: nothing at 0, "99+" past 99. */
export function badgeLabel(unread: number): string | null {
  if (unread <= 0) return null;
  return unread > 99 ? '99+' : String(unread);
}

/** The page with one notification marked read (optimistically, before the API answers). */
export function markedRead(page: NotificationPage, id: string, at: string): NotificationPage {
  let changed = 0;
  const items = (page.items ?? []).map((n) => {
    if (n.id !== id || n.read_at) return n;
    changed += 1;
    return { ...n, read_at: at };
  });
  return { ...page, items, unread_count: Math.max(0, page.unread_count - changed) };
}

/** The page with every notification up to `upTo` marked read. */
export function allMarkedRead(page: NotificationPage, upTo: string, at: string): NotificationPage {
  const limit = Date.parse(upTo);
  let changed = 0;
  const items = (page.items ?? []).map((n) => {
    if (n.read_at || Date.parse(n.created_at) > limit) return n;
    changed += 1;
    return { ...n, read_at: at };
  });
  return { ...page, items, unread_count: Math.max(0, page.unread_count - changed) };
}

/**
 * The newest created_at of a page (the API lists newest first): what "mark
 * all read" covers, so that one arriving after the list was shown stays
 * unread. The server's own string is sent back, microseconds and all.
 */
export function newestCreatedAt(page: NotificationPage | undefined): string | null {
  return page?.items?.[0]?.created_at ?? null;
}

function useOptimistic(orgId: string) {
  const qc = useQueryClient();
  const key = nkeys.bell(orgId);
  return {
    qc,
    async apply(update: (p: NotificationPage) => NotificationPage) {
      await qc.cancelQueries({ queryKey: key });
      const previous = qc.getQueryData<NotificationPage>(key);
      if (previous) qc.setQueryData(key, update(previous));
      return { previous };
    },
    restore(ctx: { previous?: NotificationPage } | undefined) {
      if (ctx?.previous) qc.setQueryData(key, ctx.previous);
    },
  };
}

function settle(qc: QueryClient) {
  return qc.invalidateQueries({ queryKey: nkeys.all });
}

export function useMarkRead(orgId: string) {
  const o = useOptimistic(orgId);
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } })),
    onMutate: (id) => o.apply((p) => markedRead(p, id, new Date().toISOString())),
    onError: (_e, _id, ctx) => o.restore(ctx),
    onSettled: () => settle(o.qc),
  });
}

export function useMarkAllRead(orgId: string) {
  const o = useOptimistic(orgId);
  return useMutation({
    mutationFn: (upTo: string | null) =>
      unwrap(api.POST('/api/v1/notifications/read-all', upTo ? { body: { up_to: upTo } } : {})),
    onMutate: (upTo) => o.apply((p) => allMarkedRead(p, upTo ?? new Date().toISOString(), new Date().toISOString())),
    onError: (_e, _upTo, ctx) => o.restore(ctx),
    onSettled: () => settle(o.qc),
  });
}
