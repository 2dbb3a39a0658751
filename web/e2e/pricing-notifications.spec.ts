import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shot, signup, unique } from './helpers';

/** Runs SQL on the e2e database (server.sh wrote where it is). */
function psql(sql: string, vars: Record<string, string> = {}): string {
  const env = Object.fromEntries(
    readFileSync(join(import.meta.dirname, '.state', 'server.env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const url = env.E2E_ADMIN_URL!.replace(/^(postgres(ql)?:\/\/[^/?]+)(\/[^?]*)?/, `$1/${env.E2E_DB}`);
  const args = [url, '-v', 'ON_ERROR_STOP=1', '-qtA'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  // Read from stdin: psql interpolates :'vars' there, not in -c.
  return execFileSync('psql', args, { encoding: 'utf8', input: sql }).trim();
}

/** The editor holds what the server has: nothing unsaved, Save disabled. */
async function expectSaved(page: Page) {
  await expect(page.getByTestId('pricing-unsaved')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Save prices' })).toBeDisabled();
}

test.describe('pricing and notifications', () => {
  test('edit the price table: field errors on the cells, save, reload, reset to list prices', async ({ page }) => {
    test.setTimeout(180_000);
    const id = unique('price');
    await signup(page, { name: 'Price Admin', email: `${id}@example.com`, password: 'correct-horse-battery', org: `Pricing ${id}` });

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Pricing' }).click();
    await expect(page).toHaveURL(/\/settings\/pricing$/);
    const email = page.getByTestId('pricing-email');
    const whatsapp = page.getByTestId('pricing-whatsapp');
    await expect(email.getByLabel('Price per message')).toHaveValue('0.000399');
    await expect(page.getByText('List prices', { exact: true })).toBeVisible();
    // Seeded: a default row per category, and 20 countries × 3 template categories.
    await expect(whatsapp.getByTestId('pricing-row')).toHaveCount(61);
    await expect(page.getByRole('button', { name: 'Save prices' })).toBeDisabled();
    await shot(page, 'pricing-list-prices');

    // A negative price and a duplicate country: each cell says what is wrong.
    await email.getByLabel('Price per message').fill('-0.001');
    await whatsapp.getByRole('button', { name: 'Add a country price' }).click();
    const added = whatsapp.getByTestId('pricing-row').last();
    await added.getByLabel('Country').click();
    await added.getByLabel('Country').fill('Germany');
    await page.getByRole('option', { name: 'Germany (DE)' }).click();
    await added.getByLabel('Price per message').fill('0.2');
    await expect(page.getByTestId('pricing-unsaved')).toBeVisible();
    await page.getByRole('button', { name: 'Save prices' }).click();
    await expect(email.getByText('Must not be negative')).toBeVisible();
    await expect(added.getByText(/Duplicates row \d+: one price per channel, category and country/)).toBeVisible();
    await expect(page.getByTestId('pricing-errors')).toBeVisible();
    await shot(page, 'pricing-field-errors');

    // Fixed: saved, and still there after a reload.
    await email.getByLabel('Price per message').fill('0.0005');
    await added.getByLabel('Category').click();
    await page.getByRole('option', { name: 'Service' }).click();
    await page.getByRole('button', { name: 'Save prices' }).click();
    await expectSaved(page);
    await expect(page.getByText('Custom prices')).toBeVisible();
    await page.reload();
    await expect(email.getByLabel('Price per message')).toHaveValue('0.0005');
    await expect(whatsapp.getByTestId('pricing-row')).toHaveCount(62);
    await expect(page.getByText(/Last saved/)).toBeVisible();

    // Removing a row and the currency.
    await whatsapp.getByTestId('pricing-row').last().getByRole('button', { name: 'Remove price' }).click();
    await page.getByRole('textbox', { name: 'Currency' }).click();
    await page.getByRole('option', { name: 'EUR', exact: true }).click();
    await page.getByRole('button', { name: 'Save prices' }).click();
    await expectSaved(page);
    await page.reload();
    await expect(whatsapp.getByTestId('pricing-row')).toHaveCount(61);
    await expect(page.getByRole('textbox', { name: 'Currency' })).toHaveValue('EUR');
    await expect(email.getByText('EUR')).toBeVisible();
    await shot(page, 'pricing-custom');

    // Reset to list prices fills the editor; saving applies it.
    await page.getByRole('button', { name: 'Reset to list prices' }).click();
    await expect(page.getByTestId('pricing-unsaved')).toBeVisible();
    await expect(email.getByLabel('Price per message')).toHaveValue('0.000399');
    await expect(page.getByRole('textbox', { name: 'Currency' })).toHaveValue('USD');
    await page.getByRole('button', { name: 'Save prices' }).click();
    await expectSaved(page);
    await page.reload();
    await expect(email.getByLabel('Price per message')).toHaveValue('0.000399');
    await expect(page.getByText('List prices', { exact: true })).toBeVisible();
  });

  test('a notification shows in the bell with its count, opens its link and is marked read', async ({ page }) => {
    const id = unique('bell');
    const org = `Bell ${id}`;
    const emailAddr = `${id}@example.com`;
    await signup(page, { name: 'Bell User', email: emailAddr, password: 'correct-horse-battery', org });
    const bell = page.getByTestId('notification-bell');
    await expect(bell).toHaveAccessibleName('Notifications');

    // What campaign completion and the monitoring alerts produce, for this user in this org.
    psql(
      `
      WITH who AS (
        SELECT m.org_id, m.user_id FROM org_members m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id
        WHERE u.email = :'email' AND o.name = :'org'
      )
      INSERT INTO notifications (org_id, user_id, kind, title, body, link, created_at)
      SELECT org_id, user_id, 'alert.fired', 'Bounce rate above 5%', 'Email bounces reached 6.2% in the last hour.', '', now() - interval '2 hours' FROM who
      UNION ALL
      SELECT org_id, user_id, 'campaign.completed', 'Spring sale finished', 'All 1,204 recipients reached a final status: 1,180 delivered, 24 bounced.', '/settings/pricing', now() - interval '3 minutes' FROM who;
      `,
      { email: emailAddr, org },
    );
    // The bell polls every 30 s; a reload asks at once.
    await page.reload();
    await expect(bell).toHaveAccessibleName('Notifications, 2 unread');
    await expect(page.getByTestId('notification-badge')).toContainText('2');
    await bell.click();
    const items = page.getByTestId('notification-item');
    await expect(items).toHaveCount(2);
    await expect(items.first()).toContainText('Spring sale finished');
    await expect(items.first()).toContainText('3 minutes ago');
    await expect(items.nth(1)).toContainText('2 hours ago');
    await shot(page, 'notifications-bell-open', { fullPage: false });

    await items.first().click();
    await expect(page).toHaveURL(/\/settings\/pricing$/);
    await expect(bell).toHaveAccessibleName('Notifications, 1 unread');
    expect(psql(`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = :'email' AND read_at IS NOT NULL`, { email: emailAddr })).toBe('1');

    await bell.click();
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await expect(bell).toHaveAccessibleName('Notifications');
    await expect(page.getByRole('button', { name: 'Mark all read' })).toBeDisabled();
    await shot(page, 'notifications-bell-read', { fullPage: false });
    await page.reload();
    await expect(bell).toHaveAccessibleName('Notifications');
  });
});
