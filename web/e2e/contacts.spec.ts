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
  test('contacts, duplicates, import and its history, groups, suppression (with CSV import), unsubscribe and resubscribe', async ({ page }) => {
    test.setTimeout(180_000);
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

    // The import history lists the finished import with its counts, who and when.
    await page.getByRole('main').getByRole('link', { name: 'Import history' }).click();
    await expect(page).toHaveURL(/\/contacts\/imports$/);
    await expect(page.getByRole('heading', { name: 'Import history' })).toBeVisible();
    const importRow = page.getByTestId(`import-row-people-${run}.csv`);
    await expect(importRow.getByTestId('import-row-status')).toHaveText('Completed');
    await expect(importRow.getByTestId('import-row-total')).toHaveText('3');
    await expect(importRow.getByTestId('import-row-created')).toHaveText('2');
    await expect(importRow.getByTestId('import-row-merged')).toHaveText('0');
    await expect(importRow.getByTestId('import-row-rejected')).toHaveText('1');
    await expect(importRow).toContainText('Demo Owner');
    await expect(importRow.getByTestId('import-row-when')).toHaveText(/just now|minute/);
    await shot(page, 'contacts-import-history');
    const historyDownload = page.waitForEvent('download');
    await importRow.getByRole('button', { name: `Download rejected rows of people-${run}.csv` }).click();
    expect(readFileSync((await (await historyDownload).path())!, 'utf8')).toContain(`not-an-email-${run}`);

    // Another import, watched from the history while it runs, then deleted.
    // (Other addresses than the run's: the search below counts this run's contacts.)
    const bulkRun = unique('b');
    const many = ['email,first_name', ...Array.from({ length: 400 }, (_, i) => `bulk${i}-${bulkRun}@example.com,Bulk${i}`)].join('\n');
    await page.getByRole('button', { name: 'Import CSV' }).first().click();
    const again = page.getByRole('dialog', { name: 'Import contacts from CSV' });
    await again.locator('input[type="file"]').setInputFiles({ name: `bulk-${run}.csv`, mimeType: 'text/csv', buffer: Buffer.from(many) });
    await again.getByRole('button', { name: 'Upload' }).click();
    await again.getByRole('button', { name: 'Start import' }).click();
    await expect(again.getByTestId('import-progress')).toBeVisible();
    await again.getByRole('button', { name: /^(Close|Done)$/ }).click();
    const bulkRow = page.getByTestId(`import-row-bulk-${run}.csv`);
    await expect(bulkRow.getByTestId('import-row-status')).toHaveText('Completed', { timeout: 60_000 });
    await expect(bulkRow.getByTestId('import-row-created')).toHaveText('400');
    await expect(bulkRow.getByRole('button', { name: /Download rejected rows/ })).toHaveCount(0);
    await bulkRow.getByRole('button', { name: `Delete import bulk-${run}.csv` }).click();
    const deleteImport = page.getByRole('dialog', { name: 'Delete import' });
    await deleteImport.getByRole('button', { name: 'Delete import' }).click();
    await expect(deleteImport).toBeHidden();
    await expect(bulkRow).toHaveCount(0);
    await expect(importRow).toBeVisible();
    await page.getByRole('link', { name: 'Contacts', exact: true }).first().click();
    await expect(page).toHaveURL(/\/contacts$/);

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

    // Suppression CSV import: added, skipped (already there or repeated) and rejected rows with the reason.
    const supCsv = [
      'email,reason',
      `bounce-${run}@example.com,bounced`,
      `spam-${run}@example.com,spam_complaint`,
      `bounce-${run}@example.com,`,
      `not-an-address-${run},`,
      `odd-${run}@example.com,angry`,
    ].join('\n');
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const supDialog = page.getByRole('dialog', { name: 'Import suppressions from CSV' });
    await supDialog.locator('input[type="file"]').setInputFiles({ name: 'suppressions.csv', mimeType: 'text/csv', buffer: Buffer.from(supCsv) });
    await shot(page, 'suppression-import');
    await supDialog.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(supDialog.getByTestId('suppression-import-added')).toHaveText('2');
    await expect(supDialog.getByTestId('suppression-import-skipped')).toHaveText('1');
    await expect(supDialog.getByTestId('suppression-import-rejected')).toHaveText('2');
    const supRejects = supDialog.getByTestId('suppression-import-rejects');
    await expect(supRejects).toContainText(`not-an-address-${run}`);
    await expect(supRejects).toContainText(`odd-${run}@example.com`);
    await expect(supRejects).toContainText('reason must be');
    await shot(page, 'suppression-import-result');
    await supDialog.getByRole('button', { name: 'Done' }).click();
    await expect(supDialog).toBeHidden();
    await expect(page.getByTestId(`suppression-row-bounce-${run}@example.com`)).toContainText('Bounced');
    await expect(page.getByTestId(`suppression-row-spam-${run}@example.com`)).toContainText('Spam complaint');

    // A file without a channel column or a channel-named column asks for the channel.
    await page.getByRole('button', { name: 'Import CSV' }).click();
    await supDialog.locator('input[type="file"]').setInputFiles({ name: 'values.csv', mimeType: 'text/csv', buffer: Buffer.from(`value\n+4930${Date.now() % 1e7}\n`) });
    await supDialog.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(supDialog.getByText(/Choose a channel/)).toBeVisible();
    await supDialog.getByRole('textbox', { name: 'Channel' }).click();
    await page.getByRole('option', { name: 'WhatsApp' }).click();
    await supDialog.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(supDialog.getByTestId('suppression-import-added')).toHaveText('1');
    await supDialog.getByRole('button', { name: 'Done' }).click();

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

    // An admin resubscribes Ana from the drawer: a reason is required and the history keeps it.
    await page.goto('/contacts?opted_out=email');
    await page.getByTestId(`contact-row-${ana}`).click();
    const anaDrawer = page.getByRole('dialog', { name: 'Contact' });
    await expect(anaDrawer.getByTestId('consent-email')).toContainText('Opted out');
    await expect(anaDrawer.getByTestId('consent-history')).toContainText('Opted out of Email');
    await expect(anaDrawer.getByTestId('consent-history')).toContainText('The contact, via the unsubscribe page');
    await anaDrawer.getByRole('button', { name: 'Resubscribe to Email' }).click();
    const resub = page.getByRole('dialog', { name: 'Resubscribe to Email' });
    await expect(resub).toContainText(ana);
    await expect(resub.getByRole('button', { name: 'Resubscribe' })).toBeDisabled();
    await resub.getByLabel('Reason').fill('Called us and asked for the newsletter again');
    await shot(page, 'contacts-resubscribe');
    await resub.getByRole('button', { name: 'Resubscribe' }).click();
    await expect(resub).toBeHidden();
    await expect(anaDrawer.getByTestId('consent-email')).toContainText('Opted in');
    const history = anaDrawer.getByTestId('consent-history');
    await expect(history.getByTestId('consent-event').first()).toContainText('Resubscribed to Email');
    await expect(history.getByTestId('consent-event').first()).toContainText('Called us and asked for the newsletter again');
    await expect(history.getByTestId('consent-event').first()).toContainText('Demo Owner');
    await page.locator('.mantine-Notification-root').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
    await history.scrollIntoViewIfNeeded();
    await shot(page, 'contacts-drawer-consent');
    // The suppression was lifted with it.
    const drawerUrl = page.url();
    await page.goto('/suppression');
    await page.getByRole('textbox', { name: 'Search suppressions' }).fill(ana);
    await expect(page.getByText('Nothing matches')).toBeVisible();
    await page.goto(drawerUrl);
    await expect(anaDrawer.getByTestId('consent-email')).toContainText('Opted in');

    // And opts her out again from the drawer, with a note.
    await anaDrawer.getByRole('button', { name: 'Opt out of Email' }).click();
    const optOut = page.getByRole('dialog', { name: 'Opt out of Email' });
    await optOut.getByLabel('Note').fill('Replied STOP');
    await optOut.getByRole('button', { name: 'Opt out' }).click();
    await expect(optOut).toBeHidden();
    await expect(anaDrawer.getByTestId('consent-email')).toContainText('Opted out');
    await expect(history.getByTestId('consent-event').first()).toContainText('Opted out of Email');
    await expect(history.getByTestId('consent-event').first()).toContainText('Replied STOP');
    await page.keyboard.press('Escape');
    await page.goto('/suppression');
    await expect(page.getByTestId(`suppression-row-${ana}`)).toContainText('Unsubscribed');

    // Usable on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`/contacts?search=${run}`);
    await expect(page.getByTestId(`contact-row-${ana}`)).toBeVisible();
    await shot(page, 'contacts-mobile', { fullPage: false });
    await page.goto('/suppression');
    await shot(page, 'suppression-mobile', { fullPage: false });
  });
});
