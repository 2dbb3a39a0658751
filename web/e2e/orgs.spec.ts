import { expect, test } from '@playwright/test';
import { shot, signup, unique } from './helpers';

test('create a second org from Profile, switch between them', async ({ page }) => {
  const first = unique('First Co');
  const second = unique('Second Co');
  await signup(page, { name: 'Olga Owner', email: `${unique('olga')}@example.com`, password: 'olga-password-1', org: first });

  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: 'Profile' }).click();
  await expect(page.getByRole('heading', { name: 'Profile' })).toBeVisible();
  await expect(page.getByTestId(`org-row-${first}`)).toContainText('Current');

  // Profile details save.
  await page.getByLabel('Phone').fill('+49 30 1234567');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByText('Profile saved')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save profile' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Discard' })).toHaveCount(0);
  await shot(page, 'profile');

  await page.getByRole('button', { name: 'Create organization' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create organization' });
  await dialog.getByLabel('Organization name').fill(second);
  await shot(page, 'create-org');
  await dialog.getByRole('button', { name: 'Create organization' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('org-switcher')).toContainText(second);
  await expect(page.getByTestId('org-switcher')).toContainText('Owner');

  // Switch back with the header's switcher.
  await page.getByTestId('org-switcher').click();
  await shot(page, 'org-switcher');
  await page.getByRole('menuitem', { name: first }).click();
  await expect(page.getByTestId('org-switcher')).toContainText(first);

  // The switch sticks across a reload (the session's org changed too).
  await page.reload();
  await expect(page.getByTestId('org-switcher')).toContainText(first);

  // And with Profile's Switch button.
  await page.goto('/profile');
  await page.getByTestId(`org-row-${second}`).getByRole('button', { name: 'Switch' }).click();
  await expect(page.getByTestId('org-switcher')).toContainText(second);
  await expect(page.getByTestId(`org-row-${second}`)).toContainText('Current');
});

test('password change validates and succeeds', async ({ page }) => {
  await signup(page, { name: 'Pat Password', email: `${unique('pat')}@example.com`, password: 'first-password-1', org: unique('Pat Co') });
  await page.goto('/profile');
  await page.getByLabel('Current password').fill('wrong-password-0');
  await page.getByLabel('New password', { exact: true }).fill('second-password-2');
  await page.getByLabel('Confirm new password').fill('second-password-2');
  await page.getByRole('button', { name: 'Change password' }).click();
  // The API refuses the wrong current password; the message shows at the form.
  await expect(page.getByText('This is not your current password')).toBeVisible();
  await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
  await shot(page, 'profile-password-error');

  await page.getByLabel('Current password').fill('first-password-1');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Your other sessions were signed out.')).toBeVisible();
});
