import type { Role } from '@/api/types';

/** What a role may do in the dashboard; the UI hides what the role can't do. */
export type Permission =
  | 'org.update'
  | 'members.manage'
  | 'invitations.manage'
  | 'apikeys.manage'
  | 'org.delete'
  | 'org.transfer';

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

const REQUIRED: Record<Permission, Role> = {
  'org.update': 'admin',
  'members.manage': 'admin',
  'invitations.manage': 'admin',
  'apikeys.manage': 'admin',
  'org.delete': 'owner',
  'org.transfer': 'owner',
};

/** Whether `role` is at least `min` (viewer < member < admin < owner). */
export function atLeast(role: Role | null | undefined, min: Role): boolean {
  if (!role) return false;
  return RANK[role] >= RANK[min];
}

/** Whether `role` has `permission`. */
export function can(role: Role | null | undefined, permission: Permission): boolean {
  return atLeast(role, REQUIRED[permission]);
}

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  viewer: 'Viewer',
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'Everything, including deleting the organization',
  admin: 'Manages members, API keys and integrations',
  member: 'Sends messages and works with contacts',
  viewer: 'Read-only access',
};

export const ROLE_COLORS: Record<Role, string> = {
  owner: 'grape',
  admin: 'brand',
  member: 'teal',
  viewer: 'gray',
};
