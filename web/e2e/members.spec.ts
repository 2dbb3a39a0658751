import { expect, test } from '@playwright/test';
import { DEMO, freshPage, login, shot, unique } from './helpers';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

test.describe('members', () => {
  test('invite a viewer, accept as them, and the viewer sees no admin buttons', async ({ page, browser }) => {
    const email = `${unique('viewer')}@example.com`;
    await login(page, DEMO.email, DEMO.password);
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();

    // Invite, as a viewer; the link is shown to copy.
    await page.getByLabel('Email to invite').fill(email);
    await page.getByRole('textbox', { name: 'Role', exact: true }).click();
    await page.getByRole('option', { name: /^Viewer/ }).click();
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    const created = page.getByTestId('invitation-created');
    await expect(created).toContainText(email);
    const link = await page.getByTestId('invitation-link').inputValue();
    expect(link).toMatch(/\/invitations\/[^/]+$/);
    await created.getByRole('button', { name: 'Copy link' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await expect(page.getByTestId('invitations-table')).toContainText(email);
    await shot(page, 'settings');

    // The invitee opens the link in their own browser and creates the account.
    const invitee = await freshPage(browser);
    await invitee.goto(new URL(link).pathname);
    await expect(invitee.getByRole('heading', { name: `Join ${DEMO.org}` })).toBeVisible();
    await expect(invitee.getByText(email)).toBeVisible();
    await expect(invitee.getByText('Viewer', { exact: true })).toBeVisible();
    await shot(invitee, 'invitation');
    await invitee.getByLabel('Your name').fill('Vera Viewer');
    await invitee.getByRole('textbox', { name: 'Password', exact: true }).fill('viewer-password-1');
    await invitee.getByTestId('accept-invitation').click();
    await expect(invitee).toHaveURL(/\/$/);
    await expect(invitee.getByTestId('org-switcher')).toContainText(DEMO.org);
    await expect(invitee.getByTestId('org-switcher')).toContainText('Viewer');

    // Settings: read-only for a viewer.
    await invitee.getByRole('link', { name: 'Settings' }).click();
    await expect(invitee.getByTestId('members-table')).toContainText(email);
    await expect(invitee.getByText('Only admins can change these details')).toBeVisible();
    for (const name of ['Save changes', 'Invite', 'Transfer ownership', 'Delete organization']) {
      await expect(invitee.getByRole('button', { name, exact: true })).toHaveCount(0);
    }
    await expect(invitee.getByRole('textbox', { name: /^Role of / })).toHaveCount(0);
    await expect(invitee.getByRole('button', { name: /^Remove / })).toHaveCount(0);
    await expect(invitee.getByLabel('Email to invite')).toHaveCount(0);
    await shot(invitee, 'settings-viewer');

    // Developers: no key management.
    await invitee.getByRole('link', { name: 'Developers' }).click();
    await expect(invitee.getByText('API keys are managed by admins')).toBeVisible();
    await expect(invitee.getByRole('button', { name: 'Create API key' })).toHaveCount(0);
    await expect(invitee.getByRole('button', { name: /^Actions for / })).toHaveCount(0);
    await shot(invitee, 'developers-viewer');

    // Back as the owner: the invitation is accepted; promote, then remove.
    await page.reload();
    const row = page.getByTestId(`member-row-${email}`);
    await expect(row).toContainText('Vera Viewer');
    await expect(page.getByTestId('invitations-table').getByText(email)).toHaveCount(0);
    await row.getByRole('textbox', { name: `Role of ${email}` }).click();
    await page.getByRole('option', { name: /^Member/ }).click();
    await expect(page.getByText('Vera Viewer is now member')).toBeVisible();
    await row.getByRole('button', { name: `Remove ${email}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove member' });
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await expect(row).toBeHidden();
    await invitee.context().close();
  });

  test('an invitation link that does not exist says so', async ({ page }) => {
    await page.goto('/invitations/not-a-real-token');
    await expect(page.getByTestId('invitation-invalid')).toBeVisible();
    await shot(page, 'invitation-invalid');
  });

  test('org details can be edited by the owner', async ({ page }) => {
    await login(page, DEMO.email, DEMO.password);
    await page.goto('/settings');
    const tz = page.getByRole('textbox', { name: 'Timezone' });
    await tz.click();
    await tz.fill('Tokyo');
    await page.getByRole('option', { name: /Asia\/Tokyo/ }).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Organization details saved')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Save changes' })).toBeDisabled();
    await page.reload();
    await expect(page.getByRole('textbox', { name: 'Timezone' })).toHaveValue(/Asia\/Tokyo/);
  });
});
