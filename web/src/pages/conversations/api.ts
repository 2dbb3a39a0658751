/** Queries, mutations and types for the conversations endpoints. */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { ApiError } from '@/api/problem';
import type { paths } from '@/api/schema';
import { session } from '@/auth/session';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer Res } ? JsonOf<Res[Extract<keyof Res, 200 | 201 | 202 | '200' | '201' | '202'>]> : never;
type BodyOf<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type Conversation = Ok<paths['/api/v1/conversations/{id}']['get']>;
export type ConversationPage = Ok<paths['/api/v1/conversations']['get']>;
export type Thread = Ok<paths['/api/v1/conversations/{id}/messages']['get']>;
export type ThreadMessage = NonNullable<Thread['items']>[number];
export type MediaItem = NonNullable<ThreadMessage['media']>[number];
export type ReplyBody = BodyOf<paths['/api/v1/conversations/{id}/messages']['post']>;
export type SentMessage = Ok<paths['/api/v1/conversations/{id}/messages']['post']>;
export type Upload = Ok<paths['/api/v1/uploads/{id}']['get']>;
export type StartCode = Ok<paths['/api/v1/telegram/start-codes']['post']>;
export type ChatChannel = 'whatsapp' | 'telegram' | 'instagram';

export interface ConversationFilters {
  channel?: ChatChannel;
  unread?: boolean;
  search?: string;
}

export const ckeys = {
  all: ['conversations'] as const,
  list: (f: ConversationFilters) => ['conversations', 'list', f] as const,
  one: (id: string) => ['conversations', 'one', id] as const,
  thread: (id: string) => ['conversations', 'thread', id] as const,
  templates: (channel: string) => ['conversations', 'templates', channel] as const,
  upload: (id: string) => ['uploads', 'blob', id] as const,
  startCode: (contactId: string | null) => ['telegram-start-code', contactId ?? 'org'] as const,
};

/** The conversation list, newest activity first, in pages. */
export function useConversations(f: ConversationFilters, pollMs: number | false) {
  return useInfiniteQuery({
    queryKey: ckeys.list(f),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/conversations', {
          params: {
            query: {
              limit: 50,
              ...(f.channel ? { channel: f.channel } : {}),
              ...(f.unread ? { unread: true } : {}),
              ...(f.search ? { search: f.search } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor || undefined,
    placeholderData: keepPreviousData,
    refetchInterval: pollMs,
  });
}

export function useConversation(id: string | undefined, pollMs: number | false) {
  return useQuery({
    queryKey: ckeys.one(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
    refetchInterval: pollMs,
  });
}

/** The thread: the first page is the newest; older pages load on demand. */
export function useThread(id: string | undefined, pollMs: number | false) {
  return useInfiniteQuery({
    queryKey: ckeys.thread(id ?? ''),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/conversations/{id}/messages', {
          params: { path: { id: id! }, query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.prev_cursor || undefined,
    enabled: !!id,
    refetchInterval: pollMs,
  });
}

/** The pages of a thread as one list, oldest first. */
export function threadMessages(data: InfiniteData<Thread> | undefined): ThreadMessage[] {
  if (!data) return [];
  return [...data.pages].reverse().flatMap((p) => p.items ?? []);
}

export function useMarkRead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/conversations/{id}/read', { params: { path: { id } } })),
    onSuccess: (c) => {
      qc.setQueryData(ckeys.one(c.id), c);
      void qc.invalidateQueries({ queryKey: ['conversations', 'list'] });
    },
  });
}

export function useReply(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ body, key }: { body: ReplyBody; key: string }) =>
      unwrap(
        api.POST('/api/v1/conversations/{id}/messages', {
          params: { path: { id }, header: { 'Idempotency-Key': key } },
          body,
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ckeys.thread(id) });
      void qc.invalidateQueries({ queryKey: ckeys.one(id) });
      void qc.invalidateQueries({ queryKey: ['conversations', 'list'] });
    },
  });
}

/** The channel's templates with an approved version, for the picker. */
export function useUsableTemplates(channel: ChatChannel | undefined, enabled: boolean) {
  return useQuery({
    queryKey: ckeys.templates(channel ?? ''),
    queryFn: () =>
      unwrap(api.GET('/api/v1/templates', { params: { query: { channel: channel!, usable: true, limit: 200 } } })),
    enabled: !!channel && enabled,
    staleTime: 60_000,
  });
}

/**
 * Uploads a file (multipart) for a reply. Goes through the session's fetch
 * so that the bearer token and its refresh apply.
 */
export async function uploadFile(file: File): Promise<Upload> {
  const form = new FormData();
  form.append('file', file, file.name);
  const res = await session.fetch(new Request(new URL('/api/v1/uploads', window.location.origin), { method: 'POST', body: form }));
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw ApiError.fromResponse(res, body);
  return body as Upload;
}

/**
 * An upload's bytes as an object URL. Media needs the bearer token, which
 * an <img src> cannot send, so the page fetches it and shows the blob.
 */
export function useUploadURL(id: string | undefined, enabled = true) {
  return useQuery({
    queryKey: ckeys.upload(id ?? ''),
    queryFn: async () => {
      const res = await session.fetch(new Request(new URL(`/api/v1/uploads/${id}/content`, window.location.origin)));
      if (!res.ok) throw ApiError.fromResponse(res, await res.json().catch(() => undefined));
      return URL.createObjectURL(await res.blob());
    },
    enabled: !!id && enabled,
    staleTime: Infinity,
    gcTime: 10 * 60_000,
  });
}

/** Downloads an upload under its file name. */
export async function downloadUpload(id: string, filename: string): Promise<void> {
  const res = await session.fetch(new Request(new URL(`/api/v1/uploads/${id}/content`, window.location.origin)));
  if (!res.ok) throw ApiError.fromResponse(res, await res.json().catch(() => undefined));
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A contact's (or the org-wide, contactId null) Telegram start code; null when none yet. */
export function useStartCode(contactId: string | null, enabled: boolean) {
  return useQuery({
    queryKey: ckeys.startCode(contactId),
    queryFn: async () => {
      const res = await api.GET('/api/v1/telegram/start-codes', { params: { query: contactId ? { contact_id: contactId } : {} } });
      if (res.response.status === 404) return null;
      return unwrap(Promise.resolve(res));
    },
    enabled,
  });
}

export function useCreateStartCode() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { contact_id?: string; rotate?: boolean }) => unwrap(api.POST('/api/v1/telegram/start-codes', { body })),
    onSuccess: (code) => qc.setQueryData(ckeys.startCode(code.contact_id ?? null), code),
  });
}
