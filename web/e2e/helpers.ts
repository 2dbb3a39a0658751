import { expect, type Browser, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const DEMO = { email: 'demo@switchboard.local', password: 'switchboard-demo', org: 'Demo Org' };
export const STAFF = { email: 'ops@switchboard.local', password: 'switchboard-ops' };

const shots = join(import.meta.dirname, 'screenshots');
mkdirSync(shots, { recursive: true });

/** A unique suffix for emails and names, so tests never collide. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Saves a full-page screenshot to e2e/screenshots/<name>.png once the page is settled. */
export async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await expect(page.locator('.mantine-Skeleton-root')).toHaveCount(0, { timeout: 10_000 }).catch(() => {});
  // Let Mantine's transitions (modals, menus, notifications) finish.
  await page.waitForTimeout(350);
  // The app frame is position: fixed, so a "fullPage" capture would cut the
  // header and the navigation at the first screen: grow the viewport to the
  // page's height instead, take the picture, and put it back.
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => Math.max(document.documentElement.scrollHeight, document.body.scrollHeight));
  const grow = opts.fullPage !== false && viewport && height > viewport.height;
  if (grow) {
    await page.setViewportSize({ width: viewport.width, height: Math.min(height, 6000) });
    await page.waitForTimeout(200);
  }
  await page.screenshot({ path: join(shots, `${name}.png`) });
  if (grow) await page.setViewportSize(viewport);
}

/** Fills the login form (the page must be on /login) and submits it. */
export async function submitLogin(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Signs in from the login page and waits for the dashboard frame. */
export async function login(page: Page, email: string, password: string) {
  await page.goto('/login');
  await submitLogin(page, email, password);
  await expect(page.getByTestId('user-menu')).toBeVisible();
}

/** Creates an account through the sign-up page; lands on the dashboard. */
export async function signup(page: Page, opts: { name: string; email: string; password: string; org: string }) {
  await page.goto('/signup');
  await page.getByLabel('Your name').fill(opts.name);
  await page.getByLabel('Work email').fill(opts.email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(opts.password);
  await page.getByLabel('Organization name').fill(opts.org);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('org-switcher')).toContainText(opts.org);
}

export async function signOut(page: Page) {
  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** A second, independent browser (own cookies), for another user. */
export async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

/** Calls the API from inside the page (same origin, no cookies needed). */
export async function fetchStatus(page: Page, path: string, bearer: string): Promise<number> {
  return page.evaluate(
    async ({ path, bearer }) => {
      const res = await fetch(path, { headers: { Authorization: `Bearer ${bearer}` }, credentials: 'omit' });
      return res.status;
    },
    { path, bearer },
  );
}
