/** Queries, mutations and names for the templates endpoints. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { paths } from '@/api/schema';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer Res } ? JsonOf<Res[Extract<keyof Res, 200 | 201 | '200' | '201'>]> : never;
type BodyOf<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type Template = Ok<paths['/api/v1/templates/{id}']['get']>;
export type TemplatePage = Ok<paths['/api/v1/templates']['get']>;
export type TemplateVersion = NonNullable<Ok<paths['/api/v1/templates/{id}/versions']['get']>['items']>[number];
export type TemplateSettings = Ok<paths['/api/v1/templates/settings']['get']>;
export type CreateTemplateBody = BodyOf<paths['/api/v1/templates']['post']>;
export type PatchTemplateBody = BodyOf<paths['/api/v1/templates/{id}']['patch']>;
export type TemplateVariable = NonNullable<Template['variables']>[number];
export type DraftPreviewBody = BodyOf<paths['/api/v1/templates/preview']['post']>;
export type DraftPreview = Ok<paths['/api/v1/templates/preview']['post']>;
export type TemplateProblem = NonNullable<DraftPreview['problems']>[number];

export type Channel = 'email' | 'whatsapp' | 'telegram' | 'instagram';
export type Status = 'draft' | 'pending_approval' | 'approved' | 'rejected';

export const CHANNELS: { value: Channel; label: string }[] = [
  { value: 'email', label: 'Email' },
  { value: 'whatsapp', label: 'WhatsApp' },
  { value: 'telegram', label: 'Telegram' },
  { value: 'instagram', label: 'Instagram' },
];
export const CHANNEL_LABEL: Record<Channel, string> = { email: 'Email', whatsapp: 'WhatsApp', telegram: 'Telegram', instagram: 'Instagram' };

export const STATUSES: { value: Status; label: string }[] = [
  { value: 'draft', label: 'Draft' },
  { value: 'pending_approval', label: 'Pending approval' },
  { value: 'approved', label: 'Approved' },
  { value: 'rejected', label: 'Rejected' },
];
export const STATUS_LABEL: Record<Status, string> = { draft: 'Draft', pending_approval: 'Pending approval', approved: 'Approved', rejected: 'Rejected' };
export const STATUS_COLOR: Record<Status, string> = { draft: 'gray', pending_approval: 'yellow', approved: 'green', rejected: 'red' };

/** Variables the platform fills without a declaration. */
export const BUILTIN_VARIABLES: { name: string; description: string }[] = [
  { name: 'first_name', description: "The contact's first name" },
  { name: 'last_name', description: "The contact's last name" },
  { name: 'email', description: "The contact's email" },
  { name: 'phone', description: "The contact's phone" },
  { name: 'org.name', description: "Your organization's name" },
  { name: 'unsubscribe_url', description: 'One-click unsubscribe link (email)' },
];

export const tkeys = {
  all: ['templates'] as const,
  list: (filters: object) => ['templates', 'list', filters] as const,
  one: (id: string) => ['templates', 'one', id] as const,
  versions: (id: string) => ['templates', 'versions', id] as const,
  settings: ['templates', 'settings'] as const,
};

export interface ListFilters {
  channel?: Channel;
  status?: Status;
  search?: string;
}

export function useTemplates(filters: ListFilters) {
  return useQuery({
    queryKey: tkeys.list(filters),
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/templates', {
          params: { query: { limit: 200, ...filters, ...(filters.search ? {} : { search: undefined }) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useTemplate(id: string | undefined) {
  return useQuery({
    queryKey: tkeys.one(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/templates/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
  });
}

export function useTemplateVersions(id: string | undefined) {
  return useQuery({
    queryKey: tkeys.versions(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/templates/{id}/versions', { params: { path: { id: id! } } })),
    enabled: !!id,
  });
}

export function useTemplateSettings() {
  return useQuery({ queryKey: tkeys.settings, queryFn: () => unwrap(api.GET('/api/v1/templates/settings')) });
}

export function usePutTemplateSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { email_footer_html: string; email_footer_text?: string }) =>
      unwrap(api.PUT('/api/v1/templates/settings', { body })),
    onSuccess: (data) => qc.setQueryData(tkeys.settings, data),
  });
}

function useTemplateMutation<V>(fn: (v: V) => Promise<Template>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (t) => {
      qc.setQueryData(tkeys.one(t.id), t);
      void qc.invalidateQueries({ queryKey: tkeys.all });
    },
  });
}

export function useCreateTemplate() {
  return useTemplateMutation((body: CreateTemplateBody) => unwrap(api.POST('/api/v1/templates', { body })));
}

export function useUpdateTemplate(id: string) {
  return useTemplateMutation((body: PatchTemplateBody) => unwrap(api.PATCH('/api/v1/templates/{id}', { params: { path: { id } }, body })));
}

export type TemplateAction = 'submit' | 'approve' | 'make-default';

export function useTemplateAction(id: string) {
  return useTemplateMutation((action: TemplateAction) => {
    const params = { params: { path: { id } } };
    if (action === 'submit') return unwrap(api.POST('/api/v1/templates/{id}/submit', params));
    if (action === 'approve') return unwrap(api.POST('/api/v1/templates/{id}/approve', params));
    return unwrap(api.POST('/api/v1/templates/{id}/make-default', params));
  });
}

export function useRejectTemplate(id: string) {
  return useTemplateMutation((reason: string) => unwrap(api.POST('/api/v1/templates/{id}/reject', { params: { path: { id } }, body: { reason } })));
}

export function useDeleteTemplate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/templates/{id}', { params: { path: { id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: tkeys.all }),
  });
}

/**
 * Renders unsaved content as a send would (for a contact, or with the
 * declared samples), listing what saving it would refuse. body is null
 * until there is something to render.
 */
export function useDraftPreview(body: DraftPreviewBody | null) {
  return useQuery({
    queryKey: ['templates', 'draft-preview', body],
    queryFn: ({ signal }) => unwrap(api.POST('/api/v1/templates/preview', { body: body!, signal })),
    enabled: !!body,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 60_000,
  });
}

/** A few contacts matching search, for choosing whom a preview renders for. */
export function useContactOptions(search: string) {
  return useQuery({
    queryKey: ['contacts', 'options', search],
    queryFn: () => unwrap(api.GET('/api/v1/contacts', { params: { query: { limit: 10, ...(search ? { search } : {}) } } })),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}
