import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { join } from 'node:path';
import { DEMO, login, shot, unique } from './helpers';

/**
 * The messaging pages against the real binaries and the built-in sandbox:
 * the demo org is seeded with sandbox credentials on every channel
 * (bin/api seed with SANDBOX on, as server.sh runs it).
 */

async function bearer(request: APIRequestContext): Promise<Record<string, string>> {
  const res = await request.post('/api/v1/auth/login', { data: { email: DEMO.email, password: DEMO.password } });
  expect(res.ok()).toBeTruthy();
  return { Authorization: `Bearer ${((await res.json()) as { access_token: string }).access_token}` };
}

/** Runs a channel's connection check and waits for it: it registers the org's webhook URLs with the sandbox. */
async function checkChannel(request: APIRequestContext, auth: Record<string, string>, channel: string) {
  const res = await request.post(`/api/v1/channels/${channel}/test`, { headers: auth });
  expect(res.status()).toBeLessThan(300);
  await expect
    .poll(
      async () => {
        const list = (await (await request.get('/api/v1/channels', { headers: auth })).json()) as { items: { channel: string; status: string }[] };
        return list.items.find((c) => c.channel === channel)?.status;
      },
      { timeout: 30_000 },
    )
    .toBe('ok');
}

/** A screenshot once the page settled (pages that poll never go network-idle). */
async function still(page: Page, name: string) {
  await expect(page.locator('.mantine-Skeleton-root')).toHaveCount(0);
  await page.waitForTimeout(500);
  const viewport = page.viewportSize()!;
  const height = await page.evaluate(() => Math.max(document.documentElement.scrollHeight, document.body.scrollHeight));
  if (height > viewport.height) await page.setViewportSize({ width: viewport.width, height: Math.min(height, 4000) });
  await page.screenshot({ path: join(import.meta.dirname, 'screenshots', `${name}.png`) });
  await page.setViewportSize(viewport);
}

/** Clicks a link of the Messaging group in the navigation, opening the group first. */
async function navTo(page: Page, label: string) {
  const nav = page.getByRole('navigation', { name: 'Main' });
  const link = nav.getByRole('link', { name: label, exact: true });
  if (!(await link.isVisible())) await nav.getByText('Messaging', { exact: true }).click();
  await link.click();
}

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n');

test.describe('messaging', () => {
  test.describe.configure({ mode: 'serial' });

  test('send an email with an attachment and follow it to the provider', async ({ page, request }) => {
    test.setTimeout(180_000);
    const auth = await bearer(request);
    // Every email is delivered while this test runs (the default dice lose a few).
    const before = await (await request.get('/sandbox/_api/config')).json();
    await request.put('/sandbox/_api/config', { data: { sendgrid: { outcomes: { delivered: 1, bounce: 0, dropped: 0, deferred: 0, spam: 0 } } } });
    try {
      await checkChannel(request, auth, 'email');
      // The webhook receivers (issue 5, webhooks) may not be wired on this build: then the status stops at "sent".
      const receivers = (await request.get('/api/v1/webhooks/log', { headers: auth })).status() === 200;

      await login(page, DEMO.email, DEMO.password);
      await navTo(page, 'Send');
      await expect(page).toHaveURL(/\/messaging\/send$/);
      await expect(page.getByRole('heading', { name: 'Send a message' })).toBeVisible();
      await shot(page, 'messaging-send-empty');

      const to = `${unique('ada')}@example.com`;
      const subject = `Your invoice ${unique('inv')}`;
      const recipient = page.getByTestId('recipient');
      await recipient.click();
      await recipient.fill(to);
      await page.getByRole('option', { name: `Send to ${to}` }).click();
      await page.getByTestId('subject').fill(subject);
      await page.locator('.ProseMirror').click();
      await page.keyboard.type('Hello from the e2e test. Your invoice is attached.');
      await page.locator('input[type="file"]').first().setInputFiles({ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: PDF });
      const attachment = page.getByTestId('attachment').filter({ hasText: 'invoice.pdf' });
      await expect(attachment).toContainText('application/pdf');
      await expect(attachment.getByText('Email', { exact: true })).toBeVisible();
      await expect(page.getByTestId('preview-subject')).toHaveText(subject);
      await expect(page.getByTestId('check-state')).toHaveText('Ready to send');
      await still(page, 'messaging-send-filled');

      // A double-click sends once (one Idempotency-Key per submission).
      await page.getByTestId('send-button').dblclick();
      const link = page.getByTestId('sent-link');
      await expect(link).toBeVisible();
      await expect(page.getByTestId('subject')).toHaveValue('');
      const list = (await (await request.get(`/api/v1/messages?search=${encodeURIComponent(to)}`, { headers: auth })).json()) as { items: unknown[] };
      expect(list.items).toHaveLength(1);

      await link.click();
      await expect(page).toHaveURL(/\/messaging\/outbound-logs\/[0-9a-f-]{36}$/);
      await expect(page.getByRole('heading', { name: subject })).toBeVisible();
      await expect(page.getByTestId('message-attachments')).toContainText('invoice.pdf');
      const status = page.getByTestId('status-badge').first();
      // The page follows the message without a reload.
      await expect(status).toHaveAttribute('data-status', /^(sent|delivered|opened|clicked)$/, { timeout: 30_000 });
      await expect(page.getByTestId('timeline-step').first()).toHaveAttribute('data-status', 'queued');
      await expect(page.getByTestId('timeline-step').filter({ hasText: 'Sent' })).toBeVisible();
      if (receivers) {
        await expect(status).toHaveAttribute('data-status', /^(delivered|opened|clicked)$/, { timeout: 30_000 });
        await expect(page.getByTestId('timeline-step').filter({ hasText: 'Delivered' })).toBeVisible();
      }
      await still(page, 'messaging-message');

      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download invoice.pdf' }).click();
      expect((await download).suggestedFilename()).toBe('invoice.pdf');

      // The logs list it; filters live in the URL.
      await page.getByRole('link', { name: 'Email log', exact: true }).click();
      await expect(page).toHaveURL(/\/messaging\/email-logs$/);
      const row = page.getByTestId('message-row').filter({ hasText: subject });
      await expect(row).toBeVisible();
      await row.getByRole('button', { name: 'Show the events' }).click();
      await expect(page.getByTestId('email-events').or(page.getByText('SendGrid has reported nothing yet.'))).toBeVisible();
      await still(page, 'messaging-email-log');

      await page.goto('/messaging/outbound-logs');
      await page.getByTestId('log-search').fill(to);
      await expect(page).toHaveURL(new RegExp(`search=${encodeURIComponent(to).replace(/\./g, '\\.')}`));
      await expect(page.getByTestId('message-row')).toHaveCount(1);
      await page.getByTestId('log-search').fill('');
      await expect(page.getByTestId('message-row').first()).toBeVisible();
      await still(page, 'messaging-outbound-log');
    } finally {
      await request.put('/sandbox/_api/config', { data: before });
    }
  });

  test('a suppressed address is flagged before sending', async ({ page, request }) => {
    const auth = await bearer(request);
    const blocked = `${unique('blocked')}@example.com`;
    const add = await request.post('/api/v1/suppressions', { headers: auth, data: { channel: 'email', value: blocked, reason: 'bounced' } });
    expect(add.status()).toBe(201);

    await login(page, DEMO.email, DEMO.password);
    await page.goto('/messaging/send');
    const recipient = page.getByTestId('recipient');
    await recipient.click();
    await recipient.fill(blocked);
    await page.getByRole('option', { name: `Send to ${blocked}` }).click();
    const warning = page.getByTestId('recipient-warning');
    await expect(warning).toContainText(`${blocked} is on the suppression list for email`);
    await expect(page.getByTestId('recipient-problems')).toContainText('suppression list');

    // Trying anyway shows what else is missing, and sends nothing.
    await page.getByTestId('send-button').click();
    await expect(page.getByTestId('subject-problems')).toContainText('Is required');
    await expect(page.getByTestId('check-state')).toContainText('problems to fix');
    await still(page, 'messaging-send-suppressed');
    const list = (await (await request.get(`/api/v1/messages?search=${encodeURIComponent(blocked)}`, { headers: auth })).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(0);
  });

  test('chat channels count characters and refuse files they do not take', async ({ page }) => {
    await login(page, DEMO.email, DEMO.password);
    await page.goto('/messaging/send?channel=whatsapp');
    await expect(page.getByTestId('char-count')).toHaveText('0 / 1,600');
    await page.getByTestId('body-text').fill('Hi {{first_name}}, your table is ready.');
    await expect(page.getByTestId('char-count')).toHaveText('39 / 1,600');
    await page.locator('input[type="file"]').first().setInputFiles({ name: 'tool.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ') });
    await expect(page.getByTestId('attachment-refused')).toContainText('WhatsApp does not take application/x-msdownload files');
    await expect(page.getByTestId('attachment')).toHaveCount(0);
    await still(page, 'messaging-send-whatsapp');
  });

  test('a template fills its variables and previews for the recipient', async ({ page, request }) => {
    const auth = await bearer(request);
    const name = unique('Table ready');
    const created = await request.post('/api/v1/templates', {
      headers: auth,
      data: { name, channel: 'telegram', body: 'Hi {{first_name}}, your table for {{party}} is ready.', variables: [{ name: 'party', sample: '4' }] },
    });
    expect(created.status()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await request.post(`/api/v1/templates/${id}/submit`, { headers: auth })).status()).toBeLessThan(300);
    expect((await request.post(`/api/v1/templates/${id}/approve`, { headers: auth })).status()).toBeLessThan(300);

    await login(page, DEMO.email, DEMO.password);
    await page.goto('/messaging/send?channel=telegram');
    const recipient = page.getByTestId('recipient');
    await recipient.click();
    await recipient.fill('424242');
    await page.getByRole('option', { name: 'Send to 424242' }).click();
    await page.getByTestId('mode-picker').getByText(/^Template/).click();
    await page.getByTestId('template-picker').click();
    await page.getByRole('option', { name }).click();
    // The declared variable gets a field; the contact has no first name, so that one is asked for too.
    await page.getByTestId('variable-party').fill('6');
    await expect(page.getByTestId('variable-first_name')).toBeVisible();
    await expect(page.getByTestId('variables-form')).toContainText('has no value');
    await page.getByTestId('variable-first_name').fill('Ada');
    await expect(page.getByTestId('preview-text')).toContainText('Hi Ada, your table for 6 is ready.');
    await expect(page.getByTestId('check-state')).toHaveText('Ready to send');
    await still(page, 'messaging-send-template');

    await page.getByTestId('send-button').click();
    await page.getByTestId('sent-link').click();
    await expect(page.getByTestId('message-content')).toContainText('Hi Ada, your table for 6 is ready.');
    // Telegram sends no delivery receipts: "sent" is as far as it goes.
    await expect(page.getByTestId('status-badge').first()).toHaveAttribute('data-status', 'sent', { timeout: 30_000 });
    await expect(page.getByTestId('message-content')).toContainText('From the template');
    await still(page, 'messaging-message-telegram');
  });

  test('play a contact in the sandbox; see it in the traffic and the inbound log', async ({ page, request }) => {
    test.setTimeout(120_000);
    const auth = await bearer(request);
    await checkChannel(request, auth, 'whatsapp');

    await login(page, DEMO.email, DEMO.password);
    await navTo(page, 'Sandbox');
    await expect(page).toHaveURL(/\/messaging\/sandbox$/);
    await expect(page.getByTestId('sandbox-channel-whatsapp')).toContainText('Connected');

    const name = unique('Maria');
    const text = `Hi, is my order ready? ${unique('q')}`;
    await page.getByTestId('persona-name').fill(name);
    await page.getByTestId('play-text').fill(text);
    await page.getByTestId('play-send').click();
    await expect(page.getByText('Sent from the phone')).toBeVisible();
    await expect(page.getByTestId('phone-thread')).toContainText(text);
    await expect(page.getByTestId('sandbox-messages')).toContainText(text);
    // A photo "from the phone" too.
    await page.locator('input[type="file"]').setInputFiles({ name: 'menu.png', mimeType: 'image/png', buffer: PNG });
    await page.getByTestId('play-text').fill('And this one?');
    await page.getByTestId('play-send').click();
    await expect(page.getByTestId('phone-thread')).toContainText('menu.png');
    await page.getByRole('tab', { name: 'Webhooks' }).click();
    await expect(page.getByTestId('sandbox-webhooks')).toContainText('inbound');
    await still(page, 'messaging-sandbox');

    await page.getByRole('tab', { name: 'Behaviour' }).click();
    await expect(page.getByTestId('behaviour-form')).toBeVisible();
    await still(page, 'messaging-sandbox-behaviour');

    // With the webhook receivers wired, the message is stored and listed.
    const receivers = (await request.get('/api/v1/webhooks/log', { headers: auth })).status() === 200;
    await page.goto('/inbound-logs');
    await expect(page.getByRole('heading', { name: 'Inbound log' })).toBeVisible();
    if (receivers) {
      const row = page.getByTestId('inbound-row').filter({ hasText: text });
      await expect(row).toBeVisible({ timeout: 20_000 });
      await expect(row).toContainText(name);
      await expect(page.getByTestId('inbound-row').filter({ hasText: 'And this one?' })).toContainText(/png/i, { timeout: 20_000 });
      await still(page, 'messaging-inbound-log');
      await row.click();
      await expect(page).toHaveURL(/\/messaging\/conversations\/[0-9a-f-]{36}$/);
    } else {
      await still(page, 'messaging-inbound-log');
    }
  });
});

test.describe('messaging at phone width', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('send page and outbound log', async ({ page }) => {
    await login(page, DEMO.email, DEMO.password);
    await page.goto('/messaging/send');
    await expect(page.getByTestId('send-button')).toBeVisible();
    await still(page, 'mobile-messaging-send');
    await page.goto('/messaging/outbound-logs');
    await expect(page.getByRole('heading', { name: 'Outbound log' })).toBeVisible();
    await still(page, 'mobile-messaging-outbound-log');
  });
});
