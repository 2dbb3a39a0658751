/** TanStack Query hooks for the platform endpoints. */
import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { session } from '@/auth/session';
import { api, unwrap } from './client';
import type { AssignableRole, CreateApiKeyBody, UpdateOrgBody } from './types';

export const keys = {
  me: ['me'] as const,
  orgs: ['orgs'] as const,
  org: ['org'] as const,
  members: ['org', 'members'] as const,
  invitations: ['org', 'invitations'] as const,
  apiKeys: ['api-keys'] as const,
  scopes: ['api-keys', 'scopes'] as const,
  ssoProviders: ['sso-providers'] as const,
  invitation: (token: string) => ['invitation', token] as const,
};

export function useMe(enabled = true) {
  return useQuery({
    queryKey: keys.me,
    queryFn: () => unwrap(api.GET('/api/v1/me')),
    enabled,
    staleTime: 60_000,
  });
}

export function useOrgs() {
  return useQuery({ queryKey: keys.orgs, queryFn: () => unwrap(api.GET('/api/v1/orgs')) });
}

export function useOrg() {
  return useQuery({ queryKey: keys.org, queryFn: () => unwrap(api.GET('/api/v1/org')) });
}

export function useMembers() {
  return useQuery({ queryKey: keys.members, queryFn: () => unwrap(api.GET('/api/v1/org/members')) });
}

export function useInvitations(enabled: boolean) {
  return useQuery({
    queryKey: keys.invitations,
    queryFn: () => unwrap(api.GET('/api/v1/org/invitations')),
    enabled,
  });
}

export function useApiKeys(enabled: boolean) {
  return useQuery({ queryKey: keys.apiKeys, queryFn: () => unwrap(api.GET('/api/v1/api-keys')), enabled });
}

export function useApiKeyScopes(enabled: boolean) {
  return useQuery({
    queryKey: keys.scopes,
    queryFn: () => unwrap(api.GET('/api/v1/api-keys/scopes')),
    enabled,
    staleTime: 10 * 60_000,
  });
}

export function useSsoProviders() {
  return useQuery({
    queryKey: keys.ssoProviders,
    queryFn: () => unwrap(api.GET('/api/v1/auth/sso/providers')),
    staleTime: 10 * 60_000,
    retry: 1,
  });
}

export function usePublicInvitation(token: string) {
  return useQuery({
    queryKey: keys.invitation(token),
    queryFn: () => unwrap(api.GET('/api/v1/invitations/{token}', { params: { path: { token } } })),
    retry: false,
  });
}

export function useUpdateOrg() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateOrgBody) => unwrap(api.PATCH('/api/v1/org', { body })),
    onSuccess: (org) => {
      qc.setQueryData(keys.org, org);
      void qc.invalidateQueries({ queryKey: keys.me });
      void qc.invalidateQueries({ queryKey: keys.orgs });
    },
  });
}

export function useUpdateMemberRole() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: AssignableRole }) =>
      unwrap(api.PATCH('/api/v1/org/members/{user_id}', { params: { path: { user_id: userId } }, body: { role } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.members }),
  });
}

export function useRemoveMember() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(api.DELETE('/api/v1/org/members/{user_id}', { params: { path: { user_id: userId } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.members }),
  });
}

export function useCreateInvitation() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; role: AssignableRole }) =>
      unwrap(api.POST('/api/v1/org/invitations', { body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.invitations }),
  });
}

export function useRevokeInvitation() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/org/invitations/{id}', { params: { path: { id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.invitations }),
  });
}

export function useCreateApiKey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateApiKeyBody) => unwrap(api.POST('/api/v1/api-keys', { body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.apiKeys }),
  });
}

export function useRevokeApiKey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/api-keys/{id}/revoke', { params: { path: { id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.apiKeys }),
  });
}

export function useRegenerateApiKey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/api-keys/{id}/regenerate', { params: { path: { id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.apiKeys }),
  });
}

export function useUpdateMe() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name?: string; phone?: string }) => unwrap(api.PATCH('/api/v1/me', { body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.me }),
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) =>
      unwrap(api.POST('/api/v1/me/password', { body })),
  });
}

/**
 * After the active org changed: cached answers of the old org that nothing
 * shows are dropped, and what is on screen is fetched again (resolves once
 * the new org's data is in, so callers can keep a spinner up until then).
 */
export async function reloadForNewOrg(qc: QueryClient): Promise<void> {
  qc.removeQueries({ type: 'inactive', predicate: (q) => q.queryKey[0] !== keys.ssoProviders[0] });
  await qc.invalidateQueries({ type: 'active' });
}

/**
 * Switches the active org: the new token carries the org and role, so every
 * cached answer belongs to the old org and is dropped.
 */
export function useSwitchOrg() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (orgId: string) => unwrap(api.POST('/api/v1/auth/switch-org', { body: { org_id: orgId } })),
    onSuccess: async (token) => {
      session.setToken(token);
      await reloadForNewOrg(qc);
    },
  });
}

export function useCreateOrg() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; timezone?: string; default_country?: string }) =>
      unwrap(api.POST('/api/v1/orgs', { body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.orgs }),
  });
}

export function useTransferOwnership() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => unwrap(api.POST('/api/v1/org/transfer-ownership', { body: { user_id: userId } })),
    onSuccess: () => void qc.invalidateQueries(),
  });
}

export function useDeleteOrg() {
  return useMutation({ mutationFn: () => unwrap(api.DELETE('/api/v1/org')) });
}

/**
 * Accepts an invitation: signed in with an empty body, or as a new user with
 * name, password and cookie:true.
 */
export function acceptInvitation(token: string, body: { name?: string; password?: string; cookie?: boolean }) {
  return unwrap(api.POST('/api/v1/invitations/{token}/accept', { params: { path: { token } }, body }));
}
