/** Contacts, groups and imports: types taken from the schema, and their query hooks. */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { session } from '@/auth/session';
import { api, unwrap } from '@/api/client';
import { ApiError } from '@/api/problem';
import type { components, paths } from '@/api/schema';

export type Contact = components['schemas']['Contact'];
export type ContactInput = components['schemas']['ContactInput'];
export type Group = components['schemas']['Group'];
export type GroupInput = components['schemas']['GroupInput'];
export type ContactImport = components['schemas']['ContactImport'];
export type ImportPreview = components['schemas']['ImportPreview'];
export type ImportStart = components['schemas']['ImportStart'];
export type ContactSelection = components['schemas']['ContactSelection'];
export type ConsentEvent = components['schemas']['ConsentEvent'];
export type ListQuery = NonNullable<paths['/api/v1/contacts']['get']['parameters']['query']>;

/** The list's filter and sort, as the page keeps them (and the URL carries them). */
export interface ContactFilters {
  search: string;
  group_id: string;
  tag: string;
  has_channel: string;
  opted_out: string;
  sort: string;
}

export const EMPTY_FILTERS: ContactFilters = { search: '', group_id: '', tag: '', has_channel: '', opted_out: '', sort: '-created_at' };

/** The API query for filters: empty values left out. */
export function toQuery(f: ContactFilters): ListQuery {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    const value = v.trim();
    if (value) q[k] = value;
  }
  return q as ListQuery;
}

/** The query string of the export link for the current filter. */
export function exportPath(f: ContactFilters): string {
  const params = new URLSearchParams(toQuery(f) as Record<string, string>);
  const qs = params.toString();
  return `/api/v1/contacts/export.csv${qs ? `?${qs}` : ''}`;
}

/** The filter part of a selection ("every contact matching"), without the sort. */
export function toSelectionFilter(f: ContactFilters): components['schemas']['ContactFilter'] {
  const { sort: _sort, ...rest } = toQuery(f) as Record<string, string>;
  return rest as components['schemas']['ContactFilter'];
}

export function contactName(c: Pick<Contact, 'first_name' | 'last_name'>): string {
  return [c.first_name, c.last_name].filter(Boolean).join(' ').trim();
}

/** The best label for a contact: name, else email, phone or a handle. */
export function contactLabel(c: Contact): string {
  return (
    contactName(c) ||
    c.email ||
    c.phone ||
    c.whatsapp ||
    (c.telegram_username ? `@${c.telegram_username}` : '') ||
    (c.instagram_username ? `@${c.instagram_username}` : '') ||
    'Unnamed contact'
  );
}

export const CHANNELS = ['email', 'whatsapp', 'telegram', 'instagram'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The channels a contact can be reached on. */
export function contactChannels(c: Contact): Channel[] {
  const out: Channel[] = [];
  if (c.email) out.push('email');
  if (c.whatsapp) out.push('whatsapp');
  if (c.telegram_chat_id || c.telegram_username) out.push('telegram');
  if (c.instagram_id || c.instagram_username) out.push('instagram');
  return out;
}

/** Whether the contact opted out on a channel. */
export function optedOut(c: Contact, ch: Channel): boolean {
  return c.consent?.[ch]?.status === 'opted_out';
}

/** The id of the contact a 409 collided with, if the API named one. */
export class DuplicateContactError extends ApiError {
  readonly existingId: string;
  readonly field: string | null;
  constructor(base: ApiError, existingId: string, field: string | null) {
    super({ status: base.status, title: base.title, detail: base.detail, errors: base.errors, requestId: base.requestId });
    this.existingId = existingId;
    this.field = field;
  }
}

async function unwrapContact(call: Promise<{ data?: Contact; error?: unknown; response: Response }>): Promise<Contact> {
  let result: { data?: Contact; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (cause) {
    throw ApiError.network(cause);
  }
  if (!result.response.ok || result.error !== undefined) {
    const base = ApiError.fromResponse(result.response, result.error);
    const body = result.error as { existing_id?: string } | undefined;
    if (result.response.status === 409 && body?.existing_id) {
      const loc = base.errors[0]?.location ?? '';
      throw new DuplicateContactError(base, body.existing_id, loc.startsWith('body.') ? loc.slice(5) : null);
    }
    throw base;
  }
  return result.data as Contact;
}

export const contactKeys = {
  all: ['contacts'] as const,
  list: (f: ContactFilters) => ['contacts', 'list', f] as const,
  one: (id: string) => ['contacts', 'one', id] as const,
  groups: ['groups'] as const,
  imports: ['contact-imports'] as const,
  importOne: (id: string) => ['contact-imports', id] as const,
  preview: (id: string) => ['contact-imports', id, 'preview'] as const,
  consent: (id: string) => ['contacts', 'consent', id] as const,
};

const PAGE = 50;

export function useContacts(filters: ContactFilters) {
  return useInfiniteQuery({
    queryKey: contactKeys.list(filters),
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/contacts', { params: { query: { ...toQuery(filters), limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor || undefined,
    placeholderData: keepPreviousData,
  });
}

export function useContact(id: string | null) {
  return useQuery({
    queryKey: contactKeys.one(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/contacts/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
  });
}

export function useCreateContact() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ContactInput) => unwrapContact(api.POST('/api/v1/contacts', { body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: contactKeys.all }),
  });
}

export function useUpdateContact() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: ContactInput }) =>
      unwrapContact(api.PATCH('/api/v1/contacts/{id}', { params: { path: { id } }, body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: contactKeys.all }),
  });
}

export function useDeleteContact() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/contacts/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      void qc.invalidateQueries({ queryKey: contactKeys.groups });
    },
  });
}

export function useBulkDelete() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ContactSelection) => unwrap(api.POST('/api/v1/contacts/bulk-delete', { body })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      void qc.invalidateQueries({ queryKey: contactKeys.groups });
    },
  });
}

export function useBulkGroups() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ContactSelection & { action: 'add' | 'remove'; group_ids: string[] }) =>
      unwrap(api.POST('/api/v1/contacts/bulk-groups', { body })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      void qc.invalidateQueries({ queryKey: contactKeys.groups });
    },
  });
}

export function useGroups() {
  return useQuery({ queryKey: contactKeys.groups, queryFn: () => unwrap(api.GET('/api/v1/groups')) });
}

export function useSaveGroup() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: GroupInput }) =>
      id
        ? unwrap(api.PATCH('/api/v1/groups/{id}', { params: { path: { id } }, body }))
        : unwrap(api.POST('/api/v1/groups', { body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: contactKeys.groups }),
  });
}

export function useDeleteGroup() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/groups/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: contactKeys.groups });
      void qc.invalidateQueries({ queryKey: contactKeys.all });
    },
  });
}

/**
 * Posts a file as the "file" part of a multipart form through the session's
 * fetch (openapi-fetch would send JSON), and returns the JSON answer.
 */
export async function uploadFile<T>(path: string, file: File): Promise<T> {
  const form = new FormData();
  form.append('file', file, file.name);
  let res: Response;
  try {
    res = await session.fetch(new Request(`${window.location.origin}${path}`, { method: 'POST', body: form, credentials: 'same-origin' }));
  } catch (cause) {
    throw ApiError.network(cause);
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw ApiError.fromResponse(res, body);
  return body as T;
}

/** Uploads a CSV of contacts; the import then waits for its mapping. */
export function uploadImport(file: File): Promise<ContactImport> {
  return uploadFile<ContactImport>('/api/v1/contacts/imports', file);
}

/** Whether an import is still moving on its own (counting, queued or running). */
export function importActive(im: Pick<ContactImport, 'status'>): boolean {
  return im.status === 'uploaded' || im.status === 'queued' || im.status === 'running';
}

/** The org's recent imports, polled while one of them is moving. */
export function useImports() {
  return useQuery({
    queryKey: contactKeys.imports,
    queryFn: () => unwrap(api.GET('/api/v1/contacts/imports')),
    refetchInterval: (q) => ((q.state.data?.items ?? []).some(importActive) ? 1500 : false),
  });
}

export function useDeleteImport() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/contacts/imports/{id}', { params: { path: { id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: contactKeys.imports }),
  });
}

/** The name the rejects of an import download under: rejects-people.csv. */
export function rejectsFilename(filename: string | undefined): string {
  const base = (filename || 'import').replace(/\.csv$/i, '');
  return `rejects-${base}.csv`;
}

/** Downloads an import's rejected rows. */
export function downloadRejects(im: Pick<ContactImport, 'id' | 'filename'>): Promise<void> {
  return downloadAuthed(`/api/v1/contacts/imports/${im.id}/rejects.csv`, rejectsFilename(im.filename));
}

/** A contact's consent history, newest first. */
export function useConsentEvents(id: string | null) {
  return useQuery({
    queryKey: contactKeys.consent(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/contacts/{id}/consent-events', { params: { path: { id: id! } } })),
    enabled: !!id,
  });
}

export type ConsentAction = 'resubscribe' | 'unsubscribe';

/** Opts a contact out of a channel, or (admins, with a reason) back in. */
export function useChangeConsent() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action, channel, reason }: { id: string; action: ConsentAction; channel: Channel; reason: string }) => {
      const init = { params: { path: { id } }, body: { channel, ...(reason ? { reason } : {}) } };
      return action === 'resubscribe'
        ? unwrap(api.POST('/api/v1/contacts/{id}/resubscribe', init))
        : unwrap(api.POST('/api/v1/contacts/{id}/unsubscribe', init));
    },
    onSuccess: (c) => {
      qc.setQueryData(contactKeys.one(c.id), (old: Contact | undefined) => (old ? { ...old, ...c, group_ids: old.group_ids } : c));
      void qc.invalidateQueries({ queryKey: contactKeys.all });
      void qc.invalidateQueries({ queryKey: ['suppressions'] });
    },
  });
}

export function useImport(id: string | null, poll: boolean) {
  return useQuery({
    queryKey: contactKeys.importOne(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/contacts/imports/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
    refetchInterval: poll ? 1000 : false,
  });
}

export function useImportPreview(id: string | null, enabled: boolean) {
  return useQuery({
    queryKey: contactKeys.preview(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/contacts/imports/{id}/preview', { params: { path: { id: id! } } })),
    enabled: !!id && enabled,
    retry: false,
  });
}

export function useStartImport() {
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: ImportStart }) =>
      unwrap(api.POST('/api/v1/contacts/imports/{id}/start', { params: { path: { id } }, body })),
  });
}

/** Whether an import has stopped moving. */
export function importDone(im: Pick<ContactImport, 'status'> | undefined): boolean {
  return im?.status === 'completed' || im?.status === 'failed';
}

/**
 * Downloads a file the API serves behind the bearer token: a plain link
 * would carry no token, so fetch it and hand the browser a blob.
 */
export async function downloadAuthed(path: string, filename: string): Promise<void> {
  let res: Response;
  try {
    res = await session.fetch(new Request(`${window.location.origin}${path}`, { credentials: 'same-origin' }));
  } catch (cause) {
    throw ApiError.network(cause);
  }
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => undefined);
    throw ApiError.fromResponse(res, body);
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
