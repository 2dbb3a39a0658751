import { expect, test, type Locator, type Page } from '@playwright/test';
import { shot, signup, unique } from './helpers';

const API_KEY = 'SG.e2eKeyAbcdefghijklmn.e2eSecretPartAbcdefghijklmnopqrstuvwxyz0123wxyz';

/** Whether the server mounts the provider sandbox (/sandbox/_api answers JSON). */
async function sandboxMounted(page: Page): Promise<boolean> {
  const res = await page.request.get('/sandbox/_api/config');
  return res.ok() && (res.headers()['content-type'] ?? '').includes('json');
}

/** Clicks Test connection and waits for the check job's verdict. */
async function testConnection(card: Locator) {
  await card.getByRole('button', { name: 'Test connection' }).click();
  const status = card.getByTestId('channel-status');
  // The API only queues the check (rule 1): the card says so at once, then
  // polls until the worker has asked the provider.
  await expect(status).toHaveText(/Checking…|Connected|Connection failed/);
  await expect(status).toHaveText(/Connected|Connection failed/, { timeout: 30_000 });
  return status;
}

test.describe('channel settings', () => {
  test('configure email: validation, secrets shown only as last 4, webhook URL, test connection', async ({ page }) => {
    test.setTimeout(180_000);
    const id = unique('chan');
    await signup(page, { name: 'Channel Admin', email: `${id}@example.com`, password: 'correct-horse-battery', org: `Channels ${id}` });
    const sandbox = await sandboxMounted(page);

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'Channels' }).click();
    await expect(page).toHaveURL(/\/settings\/channels$/);
    const email = page.getByTestId('channel-card-email');
    await expect(email.getByTestId('channel-status')).toHaveText('Not configured');
    await expect(email).toContainText('Save the settings to get the URLs the provider calls.');
    await expect(email.getByRole('button', { name: 'Test connection' })).toBeDisabled();
    await shot(page, 'channels-empty');

    // Wrong values: each field says what is wrong, nothing is saved.
    await email.getByLabel('API key').fill('SG.nope');
    await email.getByLabel('From email').fill('not-an-email');
    await email.getByRole('button', { name: 'Save' }).click();
    await expect(email.getByText('Must be an email address like news@example.com')).toBeVisible();
    await expect(email.getByText(/Must be a SendGrid API key/)).toBeVisible();
    await expect(email.getByTestId('channel-status')).toHaveText('Not configured');
    await shot(page, 'channels-validation');

    // Right values.
    await email.getByLabel('API key').fill(API_KEY);
    await email.getByLabel('From email').fill('news@example.com');
    await email.getByLabel('From name').fill('E2E News');
    await email.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('Email settings saved')).toBeVisible();
    await expect(email.getByTestId('channel-status')).toHaveText('Not tested');
    await expect(email.getByTestId('secret-api_key')).toContainText('•••• wxyz');
    await expect(email.getByTestId('secret-api_key')).toContainText('set');
    await expect(email.getByTestId('webhook-events')).toHaveText(/\/api\/callbacks\/sendgrid\/[A-Za-z0-9_-]{22}\/$/);

    // After a reload the page, and the API answer behind it, know only the
    // last four characters.
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/channels') && r.request().method() === 'GET' && r.status() === 200),
      page.reload(),
    ]);
    expect(await answer.text()).toContain('"last4":"wxyz"');
    expect(await answer.text()).not.toContain(API_KEY.slice(0, -4));
    await expect(email.getByTestId('secret-api_key')).toContainText('•••• wxyz');
    expect(await page.content()).not.toContain(API_KEY.slice(0, -4));

    // Replace shows an empty input; Cancel goes back to the last four.
    await email.getByRole('button', { name: 'Replace API key' }).click();
    await expect(email.getByLabel('API key')).toHaveValue('');
    await email.getByRole('button', { name: 'Cancel' }).click();
    await expect(email.getByTestId('secret-api_key')).toBeVisible();

    // Test connection: queued by the API, answered by the worker.
    const status = await testConnection(email);
    if (sandbox) {
      await expect(status).toHaveText('Connected');
      // The check pointed the sandbox's event webhook at us and stored its key.
      await expect(email.getByLabel('Event webhook public key')).not.toHaveValue('');
    } else {
      // Without the sandbox the provider's answer is not SendGrid's: the
      // reason is shown all the same.
      await expect(status).toHaveText('Connection failed');
      await expect(email.getByTestId('check-error')).toContainText('sendgrid');
    }
    await shot(page, 'channels-email-checked');
  });

  test('sandbox credentials for Telegram and WhatsApp', async ({ page }) => {
    test.setTimeout(180_000);
    const id = unique('chsb');
    await signup(page, { name: 'Sandbox Admin', email: `${id}@example.com`, password: 'correct-horse-battery', org: `Sandbox ${id}` });
    await page.goto('/settings/channels');
    const sandbox = await sandboxMounted(page);

    const telegram = page.getByTestId('channel-card-telegram');
    await expect(telegram.getByTestId('channel-status')).toHaveText('Not configured');
    const useSandbox = telegram.getByRole('button', { name: 'Use sandbox credentials' });
    if (!(await useSandbox.isVisible())) test.skip(true, 'the server runs without SANDBOX=1');
    await useSandbox.click();
    await expect(telegram.getByTestId('channel-status')).toHaveText('Not tested');
    await expect(telegram.getByTestId('secret-bot_token')).toContainText('••••');
    await expect(telegram.getByRole('switch', { name: 'Telegram enabled' })).toBeChecked();

    const whatsapp = page.getByTestId('channel-card-whatsapp');
    await whatsapp.getByRole('button', { name: 'Use sandbox credentials' }).click();
    await expect(whatsapp.getByLabel('Account SID')).toHaveValue(/^AC[0-9a-f]{32}$/);
    await expect(whatsapp.getByTestId('webhook-inbound')).toHaveText(/\/api\/callbacks\/twilio\/[A-Za-z0-9_-]{22}\/inbound\/$/);

    const status = await testConnection(telegram);
    if (sandbox) {
      await expect(status).toHaveText('Connected');
      await expect(telegram.getByLabel('Bot username')).toHaveValue(/^@\w+/);
    }
    // Disabling keeps the settings.
    await telegram.getByRole('switch', { name: 'Telegram enabled' }).click({ force: true });
    await expect(telegram.getByRole('switch', { name: 'Telegram enabled' })).not.toBeChecked();
    await expect(telegram.getByTestId('secret-bot_token')).toBeVisible();
    await shot(page, 'channels-sandbox');
  });
});
