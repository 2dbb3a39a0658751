import { describe, expect, it } from 'vitest';
import { atLeast, can } from './roles';

describe('roles', () => {
  it('orders viewer < member < admin < owner', () => {
    expect(atLeast('owner', 'admin')).toBe(true);
    expect(atLeast('admin', 'admin')).toBe(true);
    expect(atLeast('member', 'admin')).toBe(false);
    expect(atLeast(null, 'viewer')).toBe(false);
  });

  it('gates the admin and owner actions', () => {
    for (const p of ['org.update', 'members.manage', 'invitations.manage', 'apikeys.manage'] as const) {
      expect([can('viewer', p), can('member', p), can('admin', p), can('owner', p)]).toEqual([false, false, true, true]);
    }
    for (const p of ['org.delete', 'org.transfer'] as const) {
      expect([can('viewer', p), can('member', p), can('admin', p), can('owner', p)]).toEqual([false, false, false, true]);
    }
  });
});
