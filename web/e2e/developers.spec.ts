import { expect, test, type Page } from '@playwright/test';
import { DEMO, fetchStatus, login, shot, unique } from './helpers';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

async function createKey(page: Page, name: string, scopes: string[]): Promise<string> {
  await page.getByRole('button', { name: 'Create API key' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create API key' });
  await dialog.getByLabel('Name').fill(name);
  for (const scope of scopes) await dialog.getByRole('checkbox', { name: scope }).check();
  await dialog.getByRole('button', { name: 'Create key' }).click();
  const secretDialog = page.getByRole('dialog', { name: 'Save your API key' });
  await expect(secretDialog).toBeVisible();
  return (await page.getByTestId('api-key-secret').innerText()).trim();
}

test.describe('developers', () => {
  test('create, copy, use and revoke an API key', async ({ page }) => {
    await login(page, DEMO.email, DEMO.password);
    await page.getByRole('link', { name: 'Developers' }).click();
    await expect(page).toHaveURL(/\/developers$/);
    await expect(page.getByRole('main').getByRole('link', { name: 'API docs' })).toHaveAttribute('href', '/api/docs/swagger/');
    await shot(page, 'developers-empty');

    // The create modal, with its scopes.
    await page.getByRole('button', { name: 'Create API key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create API key' });
    await expect(dialog.getByRole('checkbox', { name: 'org:read' })).toBeVisible();
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await expect(dialog.getByText('Name the key after where it will be used')).toBeVisible();
    await expect(dialog.getByText('Choose at least one scope')).toBeVisible();
    await dialog.getByLabel('Name').fill('CRM sync');
    await dialog.getByRole('checkbox', { name: 'org:read' }).check();
    await dialog.getByRole('checkbox', { name: 'members:read' }).check();
    await dialog.getByLabel('Expires').click();
    await page.getByRole('option', { name: 'In 90 days' }).click();
    await shot(page, 'developers-create');
    await dialog.getByRole('button', { name: 'Create key' }).click();

    // The secret, once, with a copy button.
    const secretDialog = page.getByRole('dialog', { name: 'Save your API key' });
    await expect(secretDialog).toContainText("Copy it now: you won't see it again");
    const secret = (await page.getByTestId('api-key-secret').innerText()).trim();
    expect(secret).toMatch(/^sb_/);
    await secretDialog.getByRole('button', { name: 'Copy', exact: true }).click();
    await expect(secretDialog.getByRole('button', { name: 'Copied' })).toBeVisible();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(secret);
    await shot(page, 'developers-secret');
    await secretDialog.getByRole('button', { name: "I've saved it" }).click();
    await expect(secretDialog).toBeHidden();

    const row = page.getByTestId('api-key-row-CRM sync');
    await expect(row).toContainText('org:read');
    await expect(row).toContainText('Active');

    // The key works against the API, as this org.
    expect(await fetchStatus(page, '/api/v1/org', copied)).toBe(200);
    const org = await page.evaluate(async (key) => (await fetch('/api/v1/org', { headers: { Authorization: `Bearer ${key}` } })).json(), copied);
    expect(org.name).toBe(DEMO.org);

    // Usage is folded into Postgres every few seconds: "last used" and the
    // sparkline's total follow.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByTestId('api-key-row-CRM sync').innerText();
        },
        { timeout: 30_000, intervals: [2_000, 3_000, 5_000] },
      )
      .toMatch(/just now|minute/);
    await expect(page.getByTestId('api-key-row-CRM sync').getByTestId('usage-sparkline')).toContainText('2');
    await shot(page, 'developers');

    // Revoke, with a confirmation; the key is refused afterwards.
    await page.getByRole('button', { name: 'Actions for CRM sync' }).click();
    await page.getByRole('menuitem', { name: 'Revoke' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API key' });
    await expect(confirm).toContainText('CRM sync');
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await expect(confirm).toBeHidden();
    await expect(page.getByTestId('api-key-row-CRM sync')).toBeHidden();
    expect(await fetchStatus(page, '/api/v1/org', copied)).toBe(401);

    await page.getByLabel(/Show revoked and expired/).check();
    await expect(page.getByTestId('api-key-row-CRM sync')).toContainText('Revoked');
  });

  test('regenerating a key kills the old secret at once', async ({ page }) => {
    await login(page, DEMO.email, DEMO.password);
    await page.goto('/developers');
    const name = unique('Billing export');
    const first = await createKey(page, name, ['org:read']);
    await page.getByRole('button', { name: "I've saved it" }).click();
    expect(await fetchStatus(page, '/api/v1/org', first)).toBe(200);

    await page.getByRole('button', { name: `Actions for ${name}` }).click();
    await page.getByRole('menuitem', { name: 'Regenerate secret' }).click();
    await page.getByRole('dialog', { name: 'Regenerate secret' }).getByRole('button', { name: 'Regenerate' }).click();
    const secretDialog = page.getByRole('dialog', { name: 'Your new secret' });
    await expect(secretDialog).toBeVisible();
    const second = (await page.getByTestId('api-key-secret').innerText()).trim();
    expect(second).not.toBe(first);
    await secretDialog.getByRole('button', { name: "I've saved it" }).click();

    expect(await fetchStatus(page, '/api/v1/org', first)).toBe(401);
    expect(await fetchStatus(page, '/api/v1/org', second)).toBe(200);
  });

  test('a key without the scope is refused', async ({ page }) => {
    await login(page, DEMO.email, DEMO.password);
    await page.goto('/developers');
    const secret = await createKey(page, unique('Members only'), ['members:read']);
    await page.getByRole('button', { name: "I've saved it" }).click();
    expect(await fetchStatus(page, '/api/v1/org/members', secret)).toBe(200);
    expect(await fetchStatus(page, '/api/v1/api-keys', secret)).toBe(403);
  });
});

test('the API docs render from the binary, without a CDN', async ({ page }) => {
  const external: string[] = [];
  page.on('request', (r) => {
    const host = new URL(r.url()).hostname;
    if (!['localhost', '127.0.0.1', ''].includes(host) && !/^(data|blob):/.test(r.url())) external.push(r.url());
  });
  await page.goto('/api/docs/swagger/');
  await expect(page.locator('.swagger-ui .info .title')).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('.swagger-ui .opblock').first()).toBeVisible();
  await shot(page, 'api-docs-swagger', { fullPage: false });
  await page.goto('/api/docs/redoc/');
  await expect(page.locator('h1').first()).toBeVisible({ timeout: 20_000 });
  await shot(page, 'api-docs-redoc', { fullPage: false });
  expect(external).toEqual([]);
});
