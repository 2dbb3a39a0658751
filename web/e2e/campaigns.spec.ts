import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { join } from 'node:path';
import { DEMO, login, unique } from './helpers';

/**
 * Campaigns against the real binaries and the built-in sandbox: a group and
 * an approved email template made through the API, the campaign made, its
 * estimate read, started and followed to delivered in the dashboard.
 */

type Auth = Record<string, string>;

async function bearer(request: APIRequestContext): Promise<Auth> {
  const res = await request.post('/api/v1/auth/login', { data: { email: DEMO.email, password: DEMO.password } });
  expect(res.ok()).toBeTruthy();
  return { Authorization: `Bearer ${((await res.json()) as { access_token: string }).access_token}` };
}

/** Runs the email channel's connection check: it registers the org's webhook URLs with the sandbox. */
async function checkEmail(request: APIRequestContext, auth: Auth) {
  expect((await request.post('/api/v1/channels/email/test', { headers: auth })).status()).toBeLessThan(300);
  await expect
    .poll(
      async () => {
        const list = (await (await request.get('/api/v1/channels', { headers: auth })).json()) as { items: { channel: string; status: string }[] };
        return list.items.find((c) => c.channel === 'email')?.status;
      },
      { timeout: 30_000 },
    )
    .toBe('ok');
}

/** A group holding new contacts made from `contacts`; returns its id and name. */
async function groupWith(request: APIRequestContext, auth: Auth, contacts: Record<string, unknown>[]): Promise<{ id: string; name: string }> {
  const name = unique('Spring list');
  const g = await request.post('/api/v1/groups', { headers: auth, data: { name } });
  expect(g.status()).toBe(201);
  const { id } = (await g.json()) as { id: string };
  const ids: string[] = [];
  for (const c of contacts) {
    const res = await request.post('/api/v1/contacts', { headers: auth, data: c });
    expect(res.status(), await res.text()).toBe(201);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const add = await request.post('/api/v1/contacts/bulk-groups', { headers: auth, data: { action: 'add', group_ids: [id], ids } });
  expect(add.status(), await add.text()).toBeLessThan(300);
  return { id, name };
}

/** An approved email template; returns its id and name. */
async function approvedEmailTemplate(request: APIRequestContext, auth: Auth): Promise<{ id: string; name: string }> {
  const name = unique('Spring news');
  const res = await request.post('/api/v1/templates', {
    headers: auth,
    data: { name, channel: 'email', subject: 'Spring is here', body_html: '<p>Hello, our spring collection is out.</p>' },
  });
  expect(res.status(), await res.text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  expect((await request.post(`/api/v1/templates/${id}/submit`, { headers: auth })).status()).toBeLessThan(300);
  expect((await request.post(`/api/v1/templates/${id}/approve`, { headers: auth })).status()).toBeLessThan(300);
  return { id, name };
}

/** A screenshot once the page settled (the campaign pages poll, so never network-idle). */
async function still(page: Page, name: string) {
  await expect(page.locator('.mantine-Skeleton-root')).toHaveCount(0);
  await page.waitForTimeout(500);
  const viewport = page.viewportSize()!;
  const height = await page.evaluate(() => Math.max(document.documentElement.scrollHeight, document.body.scrollHeight));
  if (height > viewport.height) await page.setViewportSize({ width: viewport.width, height: Math.min(height, 4000) });
  await page.screenshot({ path: join(import.meta.dirname, 'screenshots', `${name}.png`) });
  await page.setViewportSize(viewport);
}

const email = () => `${unique('spring')}@example.com`;

test.describe('campaigns', () => {
  test.describe.configure({ mode: 'serial' });

  let sandboxBefore: unknown;
  test.beforeAll(async ({ request }) => {
    // Every email is delivered while these tests run (the default dice lose a few).
    sandboxBefore = await (await request.get('/sandbox/_api/config')).json();
    await request.put('/sandbox/_api/config', { data: { sendgrid: { outcomes: { delivered: 1, bounce: 0, dropped: 0, deferred: 0, spam: 0 } } } });
  });
  test.afterAll(async ({ request }) => {
    await request.put('/sandbox/_api/config', { data: sandboxBefore });
  });

  test('create a campaign to a group on email, read the estimate, start it and watch it deliver', async ({ page, request }) => {
    test.setTimeout(180_000);
    const auth = await bearer(request);
    await checkEmail(request, auth);
    const suppressed = email();
    expect((await request.post('/api/v1/suppressions', { headers: auth, data: { channel: 'email', value: suppressed, reason: 'bounced' } })).status()).toBeLessThan(300);
    const group = await groupWith(request, auth, [
      { first_name: 'Ada', email: email() },
      { first_name: 'Grace', email: email() },
      { first_name: 'Linus', email: email() },
      { first_name: 'Phone only', phone: '+14155550123' },
      { first_name: 'Bounced before', email: suppressed },
      { first_name: 'Said no', email: email(), consent: { email: { status: 'opted_out' } } },
    ]);
    const template = await approvedEmailTemplate(request, auth);
    const name = unique('Spring launch');

    await login(page, DEMO.email, DEMO.password);
    await page.goto('/messaging/campaigns');
    await expect(page.getByRole('heading', { name: 'Campaigns', exact: true })).toBeVisible();
    await still(page, 'campaigns-list-empty');
    await page.getByRole('link', { name: 'New campaign' }).click();
    await expect(page).toHaveURL(/\/messaging\/campaigns\/new$/);
    await expect(page.getByTestId('estimate')).toContainText('Choose at least one group');

    await page.getByTestId('campaign-name-input').fill(name);
    await page.getByTestId('channels').click();
    await page.getByRole('option', { name: 'Email' }).click();
    await page.keyboard.press('Escape');
    await page.getByTestId('template-email').click();
    await page.getByRole('option', { name: template.name }).click();
    await page.getByTestId('include-groups').click();
    await page.getByRole('option', { name: new RegExp(group.name) }).click();
    await page.keyboard.press('Escape');

    // The estimate: 6 contacts, 3 reachable by email; each reason counted once.
    const estimate = page.getByTestId('estimate');
    await expect(page.getByTestId('estimate-email-recipients')).toHaveText('3 messages');
    await expect(page.getByTestId('estimate-email-suppressed')).toHaveAttribute('data-count', '1');
    await expect(page.getByTestId('estimate-email-opted_out')).toHaveAttribute('data-count', '1');
    await expect(page.getByTestId('estimate-email-no_address')).toHaveAttribute('data-count', '1');
    await expect(estimate).toContainText('Contacts in the groups6');
    await still(page, 'campaigns-form-estimate');

    // Start: the confirmation shows the estimate again, then the campaign page follows it.
    await page.getByTestId('start').click();
    const dialog = page.getByRole('dialog', { name: 'Start this campaign?' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId('estimate-recipients')).toHaveText('3');
    await still(page, 'campaigns-start-confirm');
    await dialog.getByRole('button', { name: 'Start sending' }).click();
    await expect(page).toHaveURL(/\/messaging\/campaigns\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('campaign-name')).toHaveText(name);
    await expect(page.getByTestId('kpi-targeted')).toHaveAttribute('data-value', '3', { timeout: 30_000 });
    await expect(page.getByTestId('kpi-delivered')).toHaveAttribute('data-value', '3', { timeout: 90_000 });
    await expect(page.getByTestId('kpi-sent')).toHaveAttribute('data-value', '3');
    await expect(page.getByTestId('kpi-failed')).toHaveAttribute('data-value', '0');
    await expect(page.getByTestId('recipient-row')).toHaveCount(3);
    await expect(page.getByTestId('recipient-row').first()).toHaveAttribute('data-status', /delivered|opened|clicked/);
    await expect(page.getByTestId('campaign-progress')).toHaveAttribute('data-done', '100');
    // How a KPI is counted, on hover.
    await page.getByLabel('How Delivered is counted').hover();
    await expect(page.getByRole('tooltip')).toContainText('first delivery report');
    await still(page, 'campaigns-detail-delivered');

    // The CSV export and the recipients filter.
    const download = page.waitForEvent('download');
    await page.getByTestId('recipients-csv').click();
    expect((await download).suggestedFilename()).toMatch(/^campaign-.*-recipients\.csv$/);
    await page.getByTestId('recipient-status').click();
    await page.getByRole('option', { name: 'Failed' }).click();
    await expect(page.getByTestId('recipient-row')).toHaveCount(0);
    await expect(page).toHaveURL(/status=failed/);

    // The list, as cards and as a table (the choice stays in the URL).
    await page.getByRole('link', { name: 'Campaigns' }).first().click();
    await expect(page).toHaveURL(/\/messaging\/campaigns$/);
    const card = page.getByTestId('campaign-card').filter({ hasText: name });
    await expect(card.getByTestId('card-delivered')).toHaveText('3');
    await expect(card.getByTestId('campaign-status')).toHaveAttribute('data-status', /running|completed/);
    await still(page, 'campaigns-list-cards');
    await page.getByText('Table', { exact: true }).click();
    await expect(page).toHaveURL(/view=table/);
    await expect(page.getByTestId('campaign-row').filter({ hasText: name })).toBeVisible();
    await still(page, 'campaigns-list-table');
    await page.reload();
    await expect(page.getByTestId('campaign-table')).toBeVisible();

    // Narrow screens.
    await page.setViewportSize({ width: 390, height: 844 });
    await still(page, 'campaigns-list-table-390');
    await page.getByText('Cards', { exact: true }).click();
    await still(page, 'campaigns-list-cards-390');
    await card.click();
    await expect(page.getByTestId('kpis')).toBeVisible();
    await still(page, 'campaigns-detail-390');
    await page.goto('/messaging/campaigns/new');
    await still(page, 'campaigns-form-390');
  });

  test('pause and resume a throttled campaign', async ({ page, request }) => {
    test.setTimeout(180_000);
    const auth = await bearer(request);
    const group = await groupWith(
      request,
      auth,
      Array.from({ length: 12 }, (_, i) => ({ first_name: `Reader ${i + 1}`, email: email() })),
    );
    const template = await approvedEmailTemplate(request, auth);
    const created = await request.post('/api/v1/campaigns', {
      headers: auth,
      data: { name: unique('Slow drip'), channels: [{ channel: 'email', template_id: template.id }], include_group_ids: [group.id], throttle_per_second: 1 },
    });
    expect(created.status(), await created.text()).toBe(201);
    const { id } = (await created.json()) as { id: string };

    await login(page, DEMO.email, DEMO.password);
    await page.goto(`/messaging/campaigns/${id}`);
    await expect(page.getByTestId('campaign-status')).toHaveAttribute('data-status', 'draft');
    // A draft shows what it would send, counted now.
    await expect(page.getByTestId('estimate').getByTestId('estimate-recipients')).toHaveText('12');
    await still(page, 'campaigns-detail-draft');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Start this campaign?' });
    await expect(dialog.getByTestId('estimate-recipients')).toHaveText('12');
    await dialog.getByRole('button', { name: 'Start sending' }).click();
    await expect(page.getByTestId('campaign-status')).toHaveAttribute('data-status', 'running');
    await expect(page.getByTestId('kpi-targeted')).toHaveAttribute('data-value', '12', { timeout: 30_000 });

    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.getByTestId('campaign-status')).toHaveAttribute('data-status', 'paused');
    // Paused: no new sends (one already handed over may still land).
    await page.waitForTimeout(2500);
    const atPause = Number(await page.getByTestId('kpi-sent').getAttribute('data-value'));
    await page.waitForTimeout(4000);
    const later = Number(await page.getByTestId('kpi-sent').getAttribute('data-value'));
    expect(later).toBe(atPause);
    expect(later).toBeLessThan(12);
    await still(page, 'campaigns-detail-paused');

    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByTestId('campaign-status')).toHaveAttribute('data-status', 'running');
    await expect(page.getByTestId('kpi-sent')).toHaveAttribute('data-value', '12', { timeout: 90_000 });
    await expect(page.getByTestId('kpi-delivered')).toHaveAttribute('data-value', '12', { timeout: 60_000 });
    await expect(page.getByTestId('rate-chart')).toBeVisible();
    await still(page, 'campaigns-detail-resumed');

    // Cancel asks first.
    const third = await request.post('/api/v1/campaigns', {
      headers: auth,
      data: { name: unique('Never mind'), channels: [{ channel: 'email', template_id: template.id }], include_group_ids: [group.id], throttle_per_second: 1 },
    });
    const thirdId = ((await third.json()) as { id: string }).id;
    expect((await request.post(`/api/v1/campaigns/${thirdId}/start`, { headers: auth, data: { now: true } })).status()).toBe(202);
    await page.goto(`/messaging/campaigns/${thirdId}`);
    await page.getByRole('button', { name: 'Cancel campaign' }).click();
    const confirm = page.getByRole('dialog', { name: 'Cancel this campaign?' });
    await expect(confirm).toContainText('cannot be undone');
    await confirm.getByRole('button', { name: 'Cancel campaign' }).click();
    await expect(page.getByTestId('campaign-status')).toHaveAttribute('data-status', 'cancelled');
  });
});
