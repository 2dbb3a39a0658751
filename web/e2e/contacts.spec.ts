import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { DEMO, login, shot, unique } from './helpers';

async function newContact(page: Page, first: string, last: string, email: string) {
  await page.getByRole('button', { name: 'New contact' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New contact' });
  await dialog.getByLabel('First name').fill(first);
  await dialog.getByLabel('Last name').fill(last);
  await dialog.getByLabel('Email').fill(email);
  await dialog.getByRole('button', { name: 'Create contact' }).click();
  return dialog;
}

test.describe('contacts', () => {
  test('contacts, duplicates, import, groups, suppression and unsubscribe', async ({ page }) => {
    test.setTimeout(120_000);
    const run = unique('c');
    const ana = `ana-${run}@example.com`;
    const bo = `bo-${run}@example.com`;

    await login(page, DEMO.email, DEMO.password);
    await page.goto('/contacts');
    await expect(page.getByRole('heading', { name: 'Contacts', exact: true })).toBeVisible();
    await shot(page, 'contacts-initial');

    // Two contacts.
    let dialog = await newContact(page, 'Ana', 'Silva', ana);
    await expect(dialog).toBeHidden();
    dialog = await newContact(page, 'Bo', 'Berg', bo);
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId(`contact-row-${ana}`)).toContainText('Ana Silva');
    await expect(page.getByTestId(`contact-row-${bo}`)).toContainText('Bo Berg');

    // A duplicate: the 409 lands on the email field, with a link to the existing contact.
    dialog = await newContact(page, 'Ana', 'Again', ana);
    await expect(dialog.getByText('A contact with this email already exists').first()).toBeVisible();
    await shot(page, 'contacts-duplicate');
    await dialog.getByRole('button', { name: 'Open that contact' }).click();
    await expect(dialog).toBeHidden();
    const drawer = page.getByRole('dialog', { name: 'Contact' });
    await expect(drawer).toContainText('Ana Silva');
    await expect(drawer).toContainText(ana);
    await shot(page, 'contacts-drawer');
    await page.keyboard.press('Escape');
    await expect(drawer).toBeHidden();

    // Import a CSV with one bad row; the rejects download has it.
    const csv = [
      'Email,First Name,Last Name,Plan',
      `cy-${run}@example.com,Cy,Cole,gold`,
      `di-${run}@example.com,Di,Dahl,silver`,
      `not-an-email-${run},Bad,Row,none`,
    ].join('\n');
    await page.getByRole('button', { name: 'Import CSV' }).first().click();
    const importDialog = page.getByRole('dialog', { name: 'Import contacts from CSV' });
    await importDialog.locator('input[type="file"]').setInputFiles({ name: `people-${run}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await importDialog.getByRole('button', { name: 'Upload' }).click();
    await expect(importDialog.getByTestId('import-preview')).toContainText(`cy-${run}@example.com`);
    await expect(importDialog.getByRole('textbox', { name: 'Field for column Email' })).toHaveValue('Email');
    await importDialog.getByRole('textbox', { name: 'Field for column Plan' }).click();
    await page.getByRole('option', { name: 'Attribute: plan' }).click();
    await shot(page, 'contacts-import-map');
    await importDialog.getByRole('button', { name: 'Start import' }).click();
    await expect(importDialog.getByTestId('import-status')).toHaveText('Import finished', { timeout: 30_000 });
    await expect(importDialog.getByTestId('import-created')).toHaveText('2');
    await expect(importDialog.getByTestId('import-rejected')).toHaveText('1');
    await shot(page, 'contacts-import-done');
    const downloadPromise = page.waitForEvent('download');
    await importDialog.getByRole('button', { name: 'Download rejected rows' }).click();
    const download = await downloadPromise;
    const rejects = readFileSync((await download.path())!, 'utf8');
    expect(rejects).toContain(`not-an-email-${run}`);
    expect(rejects).not.toContain(`cy-${run}@example.com`);
    await importDialog.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByTestId(`contact-row-cy-${run}@example.com`)).toContainText('Cy Cole');

    // A group, and contacts bulk-assigned to it.
    const groupName = `VIP ${run}`;
    await page.getByRole('link', { name: 'Groups' }).click();
    await expect(page).toHaveURL(/\/contacts\/groups$/);
    await page.getByRole('button', { name: 'New group' }).first().click();
    const groupDialog = page.getByRole('dialog', { name: 'New group' });
    await groupDialog.getByLabel('Name').fill(groupName);
    await groupDialog.getByLabel('Description').fill('Our best customers');
    await groupDialog.getByRole('button', { name: 'Create group' }).click();
    await expect(groupDialog).toBeHidden();
    await expect(page.getByTestId(`group-row-${groupName}`).getByTestId('group-count')).toHaveText('0');

    await page.getByRole('link', { name: 'All contacts' }).click();
    await page.getByRole('textbox', { name: 'Search contacts' }).fill(run);
    await expect(page).toHaveURL(new RegExp(`search=${run}`));
    await expect(page.getByTestId('contacts-table').locator('tbody tr')).toHaveCount(4);
    await page.getByRole('checkbox', { name: 'Select Ana Silva' }).check();
    await page.getByRole('checkbox', { name: 'Select Bo Berg' }).check();
    await expect(page.getByTestId('bulk-bar')).toContainText('2 contacts selected');
    await shot(page, 'contacts-selected');
    await page.getByRole('button', { name: 'Add to group' }).click();
    await page.getByRole('menuitem', { name: groupName }).click();
    await expect(page.getByText(`Added 2 to ${groupName}`)).toBeVisible();

    await page.getByRole('link', { name: 'Groups' }).click();
    await expect(page.getByTestId(`group-row-${groupName}`).getByTestId('group-count')).toHaveText('2');
    await shot(page, 'groups');
    await page.getByRole('link', { name: groupName }).click();
    await expect(page).toHaveURL(/\/contacts\?group_id=/);
    await expect(page.getByTestId('contacts-table').locator('tbody tr')).toHaveCount(2);
    await expect(page.getByTestId(`contact-row-${ana}`)).toBeVisible();
    await expect(page.getByTestId(`contact-row-${bo}`)).toBeVisible();
    await shot(page, 'contacts-by-group');
    // Export follows the current filter: the group's two contacts only.
    const exportPromise = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const exported = readFileSync((await (await exportPromise).path())!, 'utf8');
    expect(exported).toContain(ana);
    expect(exported).toContain(bo);
    expect(exported).not.toContain(`cy-${run}@example.com`);

    // Suppression: add one, then remove it with a reason.
    const blocked = `blocked-${run}@example.com`;
    await page.getByRole('link', { name: 'Suppression' }).click();
    await expect(page).toHaveURL(/\/suppression$/);
    await page.getByRole('button', { name: 'Add suppression' }).click();
    const addDialog = page.getByRole('dialog', { name: 'Add suppression' });
    await addDialog.getByLabel('Address').fill(blocked);
    await addDialog.getByLabel('Note').fill('Asked on the phone');
    await addDialog.getByRole('button', { name: 'Suppress' }).click();
    await expect(addDialog).toBeHidden();
    await expect(page.getByTestId(`suppression-row-${blocked}`)).toContainText('Added by hand');
    await page.getByRole('textbox', { name: 'Search suppressions' }).fill(run);
    await expect(page.getByTestId('suppressions-table').locator('tbody tr')).toHaveCount(1);
    await shot(page, 'suppression');
    await page.getByRole('button', { name: `Remove ${blocked}` }).click();
    const removeDialog = page.getByRole('dialog', { name: 'Remove suppression' });
    await expect(removeDialog.getByRole('button', { name: 'Remove' })).toBeDisabled();
    await removeDialog.getByLabel('Reason').fill('Added by mistake');
    await removeDialog.getByRole('button', { name: 'Remove' }).click();
    await expect(removeDialog).toBeHidden();
    await expect(page.getByTestId(`suppression-row-${blocked}`)).toHaveCount(0);

    // The public unsubscribe page of a contact.
    const url = await page.evaluate(
      async ({ email, password, ana }) => {
        const login = await fetch('/api/v1/auth/login', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email, password }),
          credentials: 'omit',
        });
        const { access_token } = (await login.json()) as { access_token: string };
        const auth = { Authorization: `Bearer ${access_token}` };
        const list = await (await fetch(`/api/v1/contacts?search=${encodeURIComponent(ana)}`, { headers: auth, credentials: 'omit' })).json();
        const id = list.items[0].id as string;
        const urls = await (await fetch(`/api/v1/contacts/${id}/unsubscribe-urls`, { headers: auth, credentials: 'omit' })).json();
        return urls.email as string;
      },
      { email: DEMO.email, password: DEMO.password, ana },
    );
    expect(url).toMatch(/\/u\//);
    await page.goto(url);
    await expect(page.getByRole('heading', { name: 'Unsubscribe?' })).toBeVisible();
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await expect(page.getByRole('heading', { name: 'You are unsubscribed' })).toBeVisible();
    await shot(page, 'unsubscribe-done');

    // Back in the app, Ana shows as opted out of email, and the address is suppressed.
    await page.goto('/contacts?opted_out=email');
    await expect(page.getByTestId(`contact-row-${ana}`)).toBeVisible();
    await expect(page.getByTestId(`contact-row-${ana}`).getByLabel('Email (opted out)')).toBeVisible();
    await page.goto('/suppression');
    await expect(page.getByTestId(`suppression-row-${ana}`)).toContainText('Unsubscribed');

    // Usable on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/contacts');
    await expect(page.getByTestId(`contact-row-${ana}`)).toBeVisible();
    await shot(page, 'contacts-mobile', { fullPage: false });
    await page.goto('/suppression');
    await shot(page, 'suppression-mobile', { fullPage: false });
  });
});
