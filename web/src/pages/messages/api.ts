/** Queries and mutations of the messaging pages. */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { ApiError } from '@/api/problem';
import { session } from '@/auth/session';
import { type Channel, type CheckResult, type Message, pollInterval, type SendBody, type Status, type Upload } from './model';

export const mkeys = {
  all: ['messages'] as const,
  list: (f: object) => ['messages', 'list', f] as const,
  one: (id: string) => ['messages', 'one', id] as const,
  inbound: (f: object) => ['messages', 'inbound', f] as const,
  check: (body: unknown) => ['messages', 'check', body] as const,
};

export interface OutboundFilters {
  channel?: Channel;
  status?: Status;
  search?: string;
  contact_id?: string;
}

/** The outbound log, newest first, in keyset pages. */
export function useMessages(f: OutboundFilters, live: boolean) {
  return useInfiniteQuery({
    queryKey: mkeys.list(f),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/messages', {
          params: {
            query: {
              limit: 50,
              ...(f.channel ? { channel: f.channel } : {}),
              ...(f.status ? { status: f.status } : {}),
              ...(f.search ? { search: f.search } : {}),
              ...(f.contact_id ? { contact_id: f.contact_id } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor || undefined,
    placeholderData: keepPreviousData,
    // Only the first page is worth refreshing: statuses move on new messages.
    refetchInterval: live ? 5000 : false,
  });
}

/** One message with its timeline, asked again while it is on its way. */
export function useMessage(id: string | undefined) {
  return useQuery({
    queryKey: mkeys.one(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/messages/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data ? pollInterval(q.state.data) : false),
  });
}

export interface InboundFilters {
  channel?: Exclude<Channel, 'email'>;
  search?: string;
  contact_id?: string;
}

/** The inbound log, newest first, in keyset pages. */
export function useInboundLog(f: InboundFilters, live: boolean) {
  return useInfiniteQuery({
    queryKey: mkeys.inbound(f),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/messages/inbound', {
          params: {
            query: {
              limit: 50,
              ...(f.channel ? { channel: f.channel } : {}),
              ...(f.search ? { search: f.search } : {}),
              ...(f.contact_id ? { contact_id: f.contact_id } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor || undefined,
    placeholderData: keepPreviousData,
    refetchInterval: live ? 5000 : false,
  });
}

/** Runs the send check for body (null: nothing to check yet). */
export function useSendCheck(body: SendBody | null) {
  return useQuery({
    queryKey: mkeys.check(body),
    queryFn: ({ signal }) => unwrap(api.POST('/api/v1/messages/check', { body: body!, signal })) as Promise<CheckResult>,
    enabled: !!body,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 5000,
  });
}

/** Sends a message; the key makes a repeated submission send once. */
export function useSendMessage() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ body, key }: { body: SendBody; key: string }): Promise<Message> =>
      unwrap(api.POST('/api/v1/messages', { body, params: { header: { 'Idempotency-Key': key } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: mkeys.all }),
  });
}

/** The org's channels as the settings list them. */
export function useChannelList() {
  return useQuery({ queryKey: ['channels'], queryFn: () => unwrap(api.GET('/api/v1/channels')), staleTime: 30_000 });
}

/** The channel's templates that sends can use (an approved version). */
export function useUsableTemplates(channel: Channel | null) {
  return useQuery({
    queryKey: ['templates', 'usable', channel],
    queryFn: () => unwrap(api.GET('/api/v1/templates', { params: { query: { channel: channel!, usable: true, limit: 200 } } })),
    enabled: !!channel,
    staleTime: 30_000,
  });
}

/** Contacts matching search, for the recipient picker. */
export function useContactSearch(search: string) {
  return useQuery({
    queryKey: ['contacts', 'picker', search],
    queryFn: () => unwrap(api.GET('/api/v1/contacts', { params: { query: { limit: 20, ...(search ? { search } : {}) } } })),
    placeholderData: keepPreviousData,
    staleTime: 15_000,
  });
}

/** One contact, for a recipient given by id (a link from the contact's page). */
export function useContact(id: string | null) {
  return useQuery({
    queryKey: ['contacts', 'one', id],
    queryFn: () => unwrap(api.GET('/api/v1/contacts/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
    staleTime: 60_000,
  });
}

/** A request as XMLHttpRequest does it (for upload progress), with the session's token. */
function xhrUpload(file: File, token: string | null, onProgress: (fraction: number) => void, signal?: AbortSignal) {
  return new Promise<{ status: number; body: unknown; headers: Headers }>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/uploads');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        body = undefined;
      }
      const headers = new Headers();
      const rid = xhr.getResponseHeader('X-Request-Id');
      if (rid) headers.set('X-Request-Id', rid);
      resolve({ status: xhr.status, body, headers });
    };
    xhr.onerror = () => reject(ApiError.network(new Error('the upload failed')));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort());
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/**
 * Uploads a file with progress. A 401 (the access token ran out) refreshes
 * the session once and tries again, as the session's fetch does.
 */
export async function uploadWithProgress(file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<Upload> {
  let res = await xhrUpload(file, session.accessToken, onProgress, signal);
  if (res.status === 401 && (await session.refresh())) {
    res = await xhrUpload(file, session.accessToken, onProgress, signal);
  }
  if (res.status < 200 || res.status >= 300) {
    throw ApiError.fromResponse(new Response(null, { status: res.status, headers: res.headers }), res.body);
  }
  return res.body as Upload;
}

/** Deletes an upload no message uses (a file taken off the form). */
export function deleteUpload(id: string) {
  return unwrap(api.DELETE('/api/v1/uploads/{id}', { params: { path: { id } } }));
}

/** Downloads an upload under its file name (the bearer token can't ride on a plain link). */
export async function downloadUpload(id: string, filename: string): Promise<void> {
  const res = await session.fetch(new Request(new URL(`/api/v1/uploads/${id}/content`, window.location.origin)));
  if (!res.ok) throw ApiError.fromResponse(res, await res.json().catch(() => undefined));
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
