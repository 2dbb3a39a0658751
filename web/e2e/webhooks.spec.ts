import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { shot, signup, unique } from './helpers';

const API_KEY = 'SG.e2eKeyAbcdefghijklmn.e2eSecretPartAbcdefghijklmnopqrstuvwxyz0123wxyz';
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

/** Signs in through the API from the page and returns an access token. */
async function accessToken(page: Page, email: string, password: string): Promise<string> {
  return page.evaluate(
    async ({ email, password }) => {
      const res = await fetch('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password }),
        credentials: 'omit',
      });
      return ((await res.json()) as { access_token: string }).access_token;
    },
    { email, password },
  );
}

/** Saves a channel's settings and returns its webhook URLs' paths by purpose. */
async function configure(request: APIRequestContext, token: string, channel: string, body: object): Promise<Record<string, string>> {
  const res = await request.put(`/api/v1/channels/${channel}`, { headers: { Authorization: `Bearer ${token}` }, data: body });
  expect(res.status(), await res.text()).toBe(200);
  const settings = (await res.json()) as { webhook_urls: { purpose: string; url: string }[] };
  return Object.fromEntries(settings.webhook_urls.map((u) => [u.purpose, new URL(u.url).pathname]));
}

/** Posts a SendGrid event batch signed like SendGrid (ECDSA P-256 over timestamp + body). */
async function postSendGrid(request: APIRequestContext, path: string, key: KeyObject, body: string, tamper = false) {
  const stamp = String(Math.floor(Date.now() / 1000));
  const signature = sign('sha256', Buffer.from(stamp + body), key).toString('base64');
  return request.post(path, {
    headers: {
      'Content-Type': 'application/json',
      'X-Twilio-Email-Event-Webhook-Signature': signature,
      'X-Twilio-Email-Event-Webhook-Timestamp': stamp,
    },
    data: tamper ? body.replace('delivered', 'bounce') : body,
  });
}

function batch(n: number, prefix: string): string {
  const now = Math.floor(Date.now() / 1000);
  const events = Array.from({ length: n }, (_, i) => ({
    email: `reader${i}@example.com`,
    timestamp: now,
    event: i % 2 ? 'open' : 'delivered',
    sg_event_id: createHash('sha256').update(`${prefix}-${i}`).digest('base64url').slice(0, 22),
    sg_message_id: `${prefix}${i}.filter0001.16648.5515E0B88.0`,
  }));
  return JSON.stringify(events);
}

test.describe('webhook log', () => {
  test('lists accepted and refused provider calls, filters them, shows the payload, refreshes by itself', async ({ page, request }) => {
    test.setTimeout(120_000);
    const id = unique('hooks');
    const email = `${id}@example.com`;
    const password = 'correct-horse-battery';
    await signup(page, { name: 'Hook Admin', email, password, org: `Hooks ${id}` });
    const token = await accessToken(page, email, password);

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const sg = await configure(request, token, 'email', {
      config: { from_email: 'news@example.com', event_public_key: der },
      secrets: { api_key: API_KEY },
    });
    const tg = await configure(request, token, 'telegram', { secrets: { bot_token: BOT_TOKEN } });

    // Signed right: accepted. Replayed: duplicate. Tampered: refused.
    const body = batch(4, id);
    expect((await postSendGrid(request, sg.events!, privateKey, body)).status()).toBe(200);
    expect((await postSendGrid(request, sg.events!, privateKey, body)).status()).toBe(200);
    expect((await postSendGrid(request, sg.events!, privateKey, body, true)).status()).toBe(401);
    const wrongSecret = await request.post(tg.updates!, {
      headers: { 'X-Telegram-Bot-Api-Secret-Token': 'not-the-secret' },
      data: { update_id: 1, message: { message_id: 1, chat: { id: 42 }, date: 1, text: 'hi' } },
    });
    expect(wrongSecret.status()).toBe(401);
    // An unknown hook is an unknown route.
    expect((await request.post('/api/callbacks/sendgrid/AAAAAAAAAAAAAAAAAAAAAA/', { data: '[]' })).status()).toBe(404);

    await page.getByRole('link', { name: 'Webhook log' }).click();
    await expect(page).toHaveURL(/\/webhooks$/);
    const table = page.getByTestId('webhook-log');
    const rows = table.locator('[data-testid^="webhook-row-"]');
    await expect(rows).toHaveCount(4);
    await expect(table).toContainText('Accepted');
    await expect(table).toContainText('Duplicate');
    await expect(table.getByText('Bad signature')).toHaveCount(2);
    await shot(page, 'webhook-log');

    // The accepted batch: 4 events, its body readable.
    const accepted = rows.filter({ hasText: 'Accepted' });
    await expect(accepted).toContainText('SendGrid');
    await expect(accepted).toContainText('Event batch');
    await accepted.getByRole('button', { name: 'Show the payload' }).click();
    const snippet = page.getByTestId('webhook-snippet');
    await expect(snippet).toContainText('"sg_event_id"');
    await expect(snippet).toContainText('"event": "delivered"');
    await shot(page, 'webhook-log-payload');

    // Refused calls say why.
    await page.getByRole('textbox', { name: 'Verdict' }).click();
    await page.getByRole('option', { name: 'Bad signature' }).click();
    await expect(rows).toHaveCount(2);
    const tgRow = rows.filter({ hasText: 'Telegram' });
    await tgRow.getByRole('button', { name: 'Show the payload' }).click();
    await expect(page.getByText('X-Telegram-Bot-Api-Secret-Token does not match')).toBeVisible();
    await expect(tgRow).toContainText('401');

    // A new call shows up without reloading.
    await page.getByRole('textbox', { name: 'Verdict' }).click();
    await page.getByRole('option', { name: 'Accepted' }).click();
    await expect(rows).toHaveCount(1);
    expect((await postSendGrid(request, sg.events!, privateKey, batch(2, `${id}-more`))).status()).toBe(200);
    await expect(rows).toHaveCount(2, { timeout: 15_000 });

    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'webhook-log-mobile');
  });
});
