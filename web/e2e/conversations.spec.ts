import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO, login, unique } from './helpers';

/**
 * The e2e database (server.sh writes where it is). The look-per-channel
 * test writes conversations straight into it (with the notice the app
 * sends, as the webhook worker would) to set up an Instagram conversation
 * whose 24-hour window has closed, which the sandbox cannot backdate.
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

/**
 * A screenshot once the page has settled. helpers.shot waits for the
 * network to go idle, which a page holding the live stream never does.
 */
async function still(page: Page, name: string) {
  await expect(page.locator('.mantine-Skeleton-root')).toHaveCount(0);
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(import.meta.dirname, 'screenshots', `${name}.png`) });
}

/**
 * A contact writes on WhatsApp "from the phone": the sandbox sends Twilio's
 * signed inbound webhook to our receiver, and the webhook worker stores it.
 * The first call runs the channel's Test connection, which registers the
 * sender's inbound URL with the sandbox.
 */
async function playWhatsApp(request: APIRequestContext, phone: string, name: string, text: string) {
  const auth = { Authorization: `Bearer ${await token(request)}` };
  let res = await request.post('/api/v1/sandbox/inbound', {
    headers: auth,
    data: { channel: 'whatsapp', from: { phone, name }, text },
  });
  if (res.status() === 409) {
    expect((await request.post('/api/v1/channels/whatsapp/test', { headers: auth })).status()).toBe(202);
    await expect
      .poll(async () => ((await (await request.get('/api/v1/channels/whatsapp', { headers: auth })).json()) as { status: string }).status, {
        timeout: 15_000,
      })
      .toBe('ok');
    res = await request.post('/api/v1/sandbox/inbound', { headers: auth, data: { channel: 'whatsapp', from: { phone, name }, text } });
  }
  expect(res.status(), await res.text()).toBe(202);
}

async function token(request: APIRequestContext): Promise<string> {
  const res = await request.post('/api/v1/auth/login', { data: { email: DEMO.email, password: DEMO.password } });
  expect(res.ok()).toBeTruthy();
  return ((await res.json()) as { access_token: string }).access_token;
}

test('read a conversation, reply, and see new messages live', async ({ page, request }) => {
  // Numbers ending 1000-9999 are clear of the sandbox's magic endings.
  const number = `+1415555${1000 + Math.floor(Math.random() * 9000)}`;
  const name = unique('Wanda');
  const first = `Hello from ${name}`;
  await playWhatsApp(request, number, name, first);

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
  await playWhatsApp(request, number, name, second);
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

  // Until the check has run the page says so; reload until the link shows.
  // The org-wide code is made once (by this run or an earlier one).
  await expect(async () => {
    await page.reload();
    await page.getByText('For anyone (org-wide)').click();
    await expect(create.or(page.getByTestId('start-link')).first()).toBeVisible({ timeout: 2000 });
    if (await create.isVisible()) await create.click();
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
