import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO, login, unique } from './helpers';

/**
 * The e2e database (server.sh writes where it is). Inbound messages come
 * from providers' webhooks; here they are written straight into the
 * database, with the notice the app sends, as the webhook worker would.
 */
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

/** Stores an inbound WhatsApp message from number (creating its contact and conversation) and notifies listeners. */
function receiveWhatsApp(number: string, name: string, text: string): string {
  const sql = `
    WITH org AS (SELECT id FROM orgs WHERE name = :'org' ORDER BY created_at LIMIT 1),
    k AS (
      INSERT INTO contacts (org_id, whatsapp, first_name) SELECT id, :'number', :'name' FROM org
      ON CONFLICT (org_id, whatsapp) WHERE whatsapp IS NOT NULL DO UPDATE SET updated_at = contacts.updated_at
      RETURNING id, org_id
    ), c AS (
      INSERT INTO conversations AS c (org_id, contact_id, channel, unread_count, last_message_at, last_message_preview, last_message_direction, last_inbound_at)
      SELECT org_id, id, 'whatsapp', 1, now(), :'text', 'inbound', now() FROM k
      ON CONFLICT (org_id, contact_id, channel) DO UPDATE SET unread_count = c.unread_count + 1,
        last_message_at = now(), last_message_preview = excluded.last_message_preview, last_message_direction = 'inbound', last_inbound_at = now()
      RETURNING id, org_id, contact_id
    ), m AS (
      INSERT INTO inbound_messages (org_id, conversation_id, contact_id, channel, provider_message_id, from_address, body, received_at)
      SELECT org_id, id, contact_id, 'whatsapp', 'SM' || md5(random()::text), :'number', :'text', now() FROM c
      RETURNING conversation_id, org_id
    )
    SELECT pg_notify('conversations', json_build_object('org_id', org_id, 'conversation_id', conversation_id, 'kind', 'inbound')::text), conversation_id FROM m;`;
  const out = psql(sql, { org: DEMO.org, number, name, text });
  return out.split('|').pop()!;
}

/**
 * A screenshot once the page has settled. helpers.shot waits for the
 * network to go idle, which a page holding the live stream never does.
 */
async function still(page: Page, name: string) {
  await expect(page.locator('.mantine-Skeleton-root')).toHaveCount(0);
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(import.meta.dirname, 'screenshots', `${name}.png`) });
}

async function token(request: APIRequestContext): Promise<string> {
  const res = await request.post('/api/v1/auth/login', { data: { email: DEMO.email, password: DEMO.password } });
  expect(res.ok()).toBeTruthy();
  return ((await res.json()) as { access_token: string }).access_token;
}

test('read a conversation, reply, and see new messages live', async ({ page }) => {
  const number = `+1415555${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`;
  const name = unique('Wanda');
  const first = `Hello from ${name}`;
  receiveWhatsApp(number, name, first);

  await login(page, DEMO.email, DEMO.password);
  await page.goto('/messaging/conversations');
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await expect(page.getByTestId('live-state')).toHaveText('Live');
  const item = page.getByTestId('conversation-item').filter({ hasText: name });
  await expect(item).toBeVisible();
  await expect(item.getByTestId('unread-badge')).toHaveText('1');

  await item.click();
  await expect(page.getByTestId('conversation-title')).toHaveText(name);
  await expect(page.getByTestId('bubble-inbound').filter({ hasText: first })).toBeVisible();
  // Opening it reads it.
  await expect(item.getByTestId('unread-badge')).toHaveCount(0);

  const reply = `Thanks, ${name}!`;
  await page.getByRole('textbox', { name: 'Reply' }).fill(reply);
  await page.getByRole('button', { name: 'Send' }).click();
  const out = page.getByTestId('bubble-outbound').filter({ hasText: reply });
  await expect(out).toBeVisible();
  await expect(out.getByTestId('tick')).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Reply' })).toHaveValue('');

  // A new message arrives while the page is open: the stream brings it.
  const second = `Are you there, ${unique('q')}?`;
  receiveWhatsApp(number, name, second);
  await expect(page.getByTestId('bubble-inbound').filter({ hasText: second })).toBeVisible({ timeout: 10_000 });
  await still(page, 'conversations');
});

test('Telegram onboarding shows a deep link with a QR code', async ({ page, request }) => {
  // The bot's username is learned by the channel's connection test.
  const bearer = await token(request);
  const test = await request.post('/api/v1/channels/telegram/test', { headers: { Authorization: `Bearer ${bearer}` } });
  expect(test.status()).toBeLessThan(300);

  await login(page, DEMO.email, DEMO.password);
  await page.goto('/contacts/telegram');
  await expect(page.getByRole('heading', { name: 'Telegram onboarding' })).toBeVisible();
  await page.getByText('For anyone (org-wide)').click();
  const card = page.getByTestId('start-link-card');
  const create = card.getByRole('button', { name: 'Create link' });
  if (await create.isVisible().catch(() => false)) await create.click();

  // Until the check has run the page says so; reload until the link shows.
  await expect(async () => {
    await page.reload();
    await page.getByText('For anyone (org-wide)').click();
    await expect(page.getByTestId('start-link')).toContainText('https://t.me/', { timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId('start-qr')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Copy link' })).toBeVisible();
  await still(page, 'telegram-onboarding');

  // A link for one contact.
  const first = unique('Tg');
  const made = await request.post('/api/v1/contacts', {
    headers: { Authorization: `Bearer ${bearer}` },
    data: { first_name: first, email: `${first.toLowerCase()}@example.com` },
  });
  expect(made.status()).toBe(201);
  await page.getByText('For a contact').click();
  await page.getByRole('textbox', { name: 'Contact' }).fill(first);
  await page.getByRole('option', { name: new RegExp(first) }).click();
  await card.getByRole('button', { name: 'Create link' }).click();
  await expect(page.getByTestId('start-link')).toContainText('?start=');
  await expect(page.getByText('not used yet')).toBeVisible();
});

test('each channel has its look; Instagram closes replies after 24 hours', async ({ page }) => {
  const tgName = unique('Tara');
  const igName = unique('Iggy');
  const chat = String(Math.floor(1e8 + Math.random() * 8e8));
  const igsid = String(Math.floor(1e15 + Math.random() * 8e15));
  // A Telegram chat with a reply that failed, and an Instagram chat whose last message is two days old.
  psql(
    `
    WITH org AS (SELECT id FROM orgs WHERE name = :'org' ORDER BY created_at LIMIT 1),
    tk AS (INSERT INTO contacts (org_id, telegram_chat_id, telegram_username, first_name) SELECT id, :'chat', 'tara_tg', :'tg' FROM org RETURNING id, org_id),
    tc AS (INSERT INTO conversations (org_id, contact_id, channel, unread_count, last_message_at, last_message_preview, last_message_direction, last_inbound_at)
           SELECT org_id, id, 'telegram', 0, now(), 'Ok, try again?', 'outbound', now() - interval '1 minute' FROM tk RETURNING id, org_id, contact_id),
    ti AS (INSERT INTO inbound_messages (org_id, conversation_id, contact_id, channel, provider_message_id, from_address, body, received_at)
           SELECT org_id, id, contact_id, 'telegram', :'chat' || ':1', :'chat', 'Can I book for Friday?', now() - interval '1 minute' FROM tc),
    t1 AS (INSERT INTO outbound_messages (org_id, channel, contact_id, conversation_id, to_address, body_text, status, provider, created_at, sent_at, delivered_at, read_at)
           SELECT org_id, 'telegram', contact_id, id, :'chat', 'Yes! Friday 10:00 works.', 'read', 'telegram', now() - interval '30 seconds', now(), now(), now() FROM tc),
    t2 AS (INSERT INTO outbound_messages (org_id, channel, contact_id, conversation_id, to_address, body_text, status, provider, error_code, error_reason, created_at, failed_at)
           SELECT org_id, 'telegram', contact_id, id, :'chat', 'Ok, try again?', 'failed', 'telegram', '403', 'Forbidden: bot was blocked by the user', now(), now() FROM tc),
    ik AS (INSERT INTO contacts (org_id, instagram_id, instagram_username, first_name) SELECT id, :'igsid', 'iggy.pop', :'ig' FROM org RETURNING id, org_id),
    ic AS (INSERT INTO conversations (org_id, contact_id, channel, unread_count, last_message_at, last_message_preview, last_message_direction, last_inbound_at)
           SELECT org_id, id, 'instagram', 1, now() - interval '2 days', 'Love the new collection!', 'inbound', now() - interval '2 days' FROM ik RETURNING id, org_id, contact_id)
    INSERT INTO inbound_messages (org_id, conversation_id, contact_id, channel, provider_message_id, from_address, body, received_at)
    SELECT org_id, id, contact_id, 'instagram', 'mid.' || md5(random()::text), :'igsid', 'Love the new collection!', now() - interval '2 days' FROM ic;`,
    { org: DEMO.org, tg: tgName, ig: igName, chat, igsid },
  );

  await login(page, DEMO.email, DEMO.password);
  await page.goto('/messaging/conversations');
  await page.getByTestId('conversation-item').filter({ hasText: tgName }).click();
  await expect(page.getByTestId('thread')).toHaveAttribute('data-channel', 'telegram');
  await expect(page.getByTestId('failure-reason')).toContainText('bot was blocked');
  await expect(page.locator('[data-testid="tick"][data-state="read"]')).toBeVisible();
  await still(page, 'conversations-telegram');

  await page.getByTestId('conversation-item').filter({ hasText: igName }).click();
  await expect(page.getByTestId('thread')).toHaveAttribute('data-channel', 'instagram');
  await expect(page.getByTestId('instagram-window')).toContainText('closed');
  await expect(page.getByRole('textbox', { name: 'Reply' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
  await still(page, 'conversations-instagram');
});
