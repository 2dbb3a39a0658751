import { expect, test } from '@playwright/test';
import { DEMO, login, shot, STAFF } from './helpers';

test('staff see Jobs and River UI opens for them', async ({ page }) => {
  await login(page, STAFF.email, STAFF.password);
  const jobs = page.getByRole('link', { name: /^Jobs/ });
  await expect(jobs).toBeVisible();
  await expect(jobs).toHaveAttribute('href', '/riverui/');
  const [response] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/riverui/'), jobs.click()]);
  expect(response.status()).toBe(200);
  await expect(page).toHaveURL(/\/riverui\//);
  await page.waitForLoadState('networkidle');
  await shot(page, 'riverui');
});

test('non-staff get no Jobs link and a 403 from River UI', async ({ page }) => {
  await login(page, DEMO.email, DEMO.password);
  await expect(page.getByRole('link', { name: /^Jobs/ })).toHaveCount(0);
  const response = await page.goto('/riverui/');
  expect(response?.status()).toBe(403);
});
