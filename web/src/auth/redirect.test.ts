import { describe, expect, it } from 'vitest';
import { loginPathFor, safeRedirect, withRedirect } from './redirect';

describe('loginPathFor', () => {
  it('keeps path, query and hash of a deep link', () => {
    expect(loginPathFor({ pathname: '/contacts/groups', search: '?color=red', hash: '' })).toBe(
      '/login?redirect=%2Fcontacts%2Fgroups%3Fcolor%3Dred',
    );
    expect(loginPathFor({ pathname: '/settings', search: '?a=1&b=2', hash: '#members' })).toBe(
      `/login?redirect=${encodeURIComponent('/settings?a=1&b=2#members')}`,
    );
  });

  it('adds no redirect for the dashboard or the auth pages', () => {
    expect(loginPathFor({ pathname: '/', search: '', hash: '' })).toBe('/login');
    expect(loginPathFor({ pathname: '/login', search: '?redirect=%2Fx' })).toBe('/login');
    expect(loginPathFor({ pathname: '/signup' })).toBe('/login');
  });

  it('round-trips through safeRedirect', () => {
    const deep = { pathname: '/contacts/groups', search: '?color=red&tag=a%20b', hash: '#top' };
    const login = new URL(loginPathFor(deep), 'http://x');
    expect(safeRedirect(login.searchParams.get('redirect'))).toBe('/contacts/groups?color=red&tag=a%20b#top');
  });
});

describe('safeRedirect', () => {
  it.each([
    ['/contacts/groups?color=red', '/contacts/groups?color=red'],
    ['/developers', '/developers'],
    ['/invitations/abc123', '/invitations/abc123'],
    ['  /profile  ', '/profile'],
  ])('accepts the app path %s', (raw, want) => {
    expect(safeRedirect(raw)).toBe(want);
  });

  it.each([
    [null],
    [undefined],
    [''],
    ['https://evil.example/phish'],
    ['//evil.example/phish'],
    ['/\\evil.example'],
    ['/foo\\bar'],
    ['javascript:alert(1)'],
    ['contacts'],
    ['/login'],
    ['/login?redirect=/x'],
    ['/signup'],
    ['/\u0000x'],
    ['/\tx'],
  ])('rejects %s', (raw) => {
    expect(safeRedirect(raw as string | null | undefined)).toBe('/');
    expect(safeRedirect(raw as string | null | undefined, '/home')).toBe('/home');
  });
});

describe('withRedirect', () => {
  it('carries a valid redirect to another auth page', () => {
    expect(withRedirect('/signup', '/contacts?x=1')).toBe('/signup?redirect=%2Fcontacts%3Fx%3D1');
  });
  it('drops a missing or unsafe one', () => {
    expect(withRedirect('/signup', null)).toBe('/signup');
    expect(withRedirect('/signup', '//evil')).toBe('/signup');
  });
});
