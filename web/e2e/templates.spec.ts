import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { DEMO, login, unique } from './helpers';

/**
 * Like helpers' shot, without waiting for network idle: the sandboxed
 * preview iframe keeps the page from ever reporting it.
 */
async function shot(page: Page, name: string) {
  await expect(page.locator('.mantine-Skeleton-root')).toHaveCount(0, { timeout: 10_000 }).catch(() => {});
  await page.waitForTimeout(500);
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => Math.max(document.documentElement.scrollHeight, document.body.scrollHeight));
  const grow = viewport && height > viewport.height;
  if (grow) await page.setViewportSize({ width: viewport.width, height: Math.min(height, 6000) });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(import.meta.dirname, 'screenshots', `${name}.png`), timeout: 20_000 });
  if (grow) await page.setViewportSize(viewport);
}

test.describe('templates', () => {
  test('write, check variables, preview, approve, make default and edit an email template', async ({ page }) => {
    test.setTimeout(240_000);
    const name = unique('Welcome');
    await login(page, DEMO.email, DEMO.password);
    await page.getByRole('link', { name: 'Templates' }).click();
    await expect(page).toHaveURL(/\/templates$/);
    await expect(page.getByTestId('email-footer')).toBeVisible();
    await shot(page, 'templates-list-empty');

    // A template that uses a variable it doesn't declare.
    await page.getByRole('button', { name: 'New template' }).first().click();
    await expect(page).toHaveURL(/\/templates\/new$/);
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
    await page.getByLabel('Subject').fill('Welcome to {{org.name}}, {{first_name}}');
    const body = page.locator('.ProseMirror');
    await body.click();
    await body.pressSequentially('Your plan is {{attributes.plan}}. Enjoy!');
    await page.getByRole('button', { name: 'Save draft' }).click();
    const varErrors = page.getByTestId('variable-errors');
    await expect(varErrors).toContainText('attributes.plan');
    await expect(varErrors).toContainText('undeclared');
    await expect(page).toHaveURL(/\/templates\/new$/);
    await shot(page, 'templates-undeclared-error');

    // Declare it, with a sample; save.
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Variable name').fill('attributes.plan');
    await page.getByLabel('Sample value').fill('Pro Plus');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect(page).toHaveURL(/\/templates\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('variable-errors')).toHaveCount(0);
    await expect(page.getByTestId('template-badges')).toContainText('Draft');

    // The preview renders the sample.
    const html = page.frameLocator('[data-testid="preview-html"]').locator('body');
    await expect(html).toContainText('Your plan is Pro Plus');
    await expect(page.getByTestId('preview-subject')).toContainText(`Welcome to ${DEMO.org}`);
    await shot(page, 'templates-editor-draft');

    // Submit, approve, make default.
    await page.getByRole('button', { name: 'Submit for approval' }).click();
    await expect(page.getByTestId('template-badges')).toContainText('Pending approval');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect(page.getByTestId('template-badges')).toContainText('Approved');
    await page.getByRole('button', { name: 'Make default' }).click();
    await expect(page.getByTestId('template-badges')).toContainText('Default');
    await expect(page.getByRole('button', { name: 'Make default' })).toHaveCount(0);
    await expect(page.getByTestId('version-1')).toContainText('In use');
    await shot(page, 'templates-approved');

    // Editing the approved template starts version 2; version 1 stays in use.
    await page.getByLabel('Subject').fill('Welcome aboard, {{first_name}}');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect(page.getByTestId('version-2')).toContainText('Draft');
    await expect(page.getByTestId('version-1')).toContainText('In use');
    await expect(page.getByTestId('version-1')).toContainText('Approved');
    await expect(page.getByTestId('template-badges')).toContainText('v1 in use');
    await expect(page.getByTestId('preview-subject')).toContainText('Welcome aboard');
    await shot(page, 'templates-new-version');

    // The list shows it with its badges.
    await page.getByRole('link', { name: 'Templates' }).first().click();
    const row = page.getByTestId(`template-row-${name}`);
    await expect(row).toContainText('Default');
    await expect(row).toContainText('Draft');
    await expect(row).toContainText('v1 in use');
    await expect(row).toContainText('v2');
    await page.getByRole('textbox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'Approved', exact: true }).click();
    await expect(page.getByText('No templates match')).toBeVisible();
    await page.getByRole('textbox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'Draft', exact: true }).click();
    await expect(row).toBeVisible();
    await shot(page, 'templates-list');

    // Small screens.
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'templates-list-mobile');
    await row.getByRole('link', { name }).click();
    await expect(page.getByTestId('version-2')).toBeVisible();
    await shot(page, 'templates-editor-mobile');
  });
});
