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
    // Its newest version is a draft, so the approved filter leaves it out
    // (other specs' approved templates of the demo org may show).
    await expect(row).toHaveCount(0);
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

  test('the preview follows unsaved edits as they are typed, with variable warnings inline', async ({ page }) => {
    test.setTimeout(120_000);
    await login(page, DEMO.email, DEMO.password);
    await page.goto('/templates/new');
    const preview = page.getByTestId('preview-panel');
    const html = page.frameLocator('[data-testid="preview-html"]').locator('body');
    await expect(preview.getByTestId('preview-state')).toHaveText('Live');

    // Nothing is saved: the preview renders what is typed, with the samples.
    await page.getByLabel('Subject').pressSequentially('Hi {{first_name}} from {{org.name}}');
    await expect(page.getByTestId('preview-subject')).toHaveText(`Hi Ada from ${DEMO.org}`);
    const body = page.locator('.ProseMirror');
    await body.click();
    await body.pressSequentially('Your code is {{coupon}}.');
    await expect(html).toContainText('Your code is .');
    await expect(page.getByTestId('preview-missing')).toContainText('coupon');
    // The undeclared variable is flagged under the body, while typing.
    await expect(page.getByTestId('warnings-body_html')).toContainText('undeclared variable "coupon"');
    await expect(preview.getByTestId('preview-warnings')).toHaveText('1 to fix');
    await shot(page, 'templates-live-undeclared');

    // Declaring it from the warning, with a sample: the preview shows the sample, the warning goes.
    await page.getByRole('button', { name: 'Declare coupon' }).click();
    await expect(page.getByLabel('Variable name')).toHaveValue('coupon');
    await page.getByLabel('Sample value').fill('WELCOME10');
    await expect(html).toContainText('Your code is WELCOME10.');
    await expect(page.getByTestId('warnings-body_html')).toHaveCount(0);
    await expect(page.getByTestId('preview-missing')).toHaveCount(0);
    await expect(preview.getByTestId('preview-warnings')).toHaveCount(0);

    // A declaration no field uses is flagged on its row.
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Variable name').nth(1).fill('ghost');
    await expect(page.getByTestId('variable-warning-1')).toContainText('declares "ghost" but no field uses it');
    await shot(page, 'templates-live-unused');
    await page.getByRole('button', { name: 'Remove variable' }).nth(1).click();
    await expect(page.getByTestId('variable-warning-1')).toHaveCount(0);

    // Typing on keeps the preview in step; the text part follows the HTML.
    await body.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' See you soon!');
    await expect(html).toContainText('Your code is WELCOME10. See you soon!');
    await preview.getByText('Text', { exact: true }).click();
    await expect(page.getByTestId('preview-text')).toContainText('Your code is WELCOME10. See you soon!');
    await expect(page.getByTestId('preview-text')).toContainText('Unsubscribe:');

    // It saves as previewed; the saved template previews the same way.
    const name = unique('Live');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect(page).toHaveURL(/\/templates\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('template-badges')).toContainText('Draft');
    await expect(html).toContainText('Your code is WELCOME10. See you soon!');
    await page.getByLabel('Subject').fill('Last call, {{first_name}}');
    await expect(page.getByTestId('preview-subject')).toHaveText('Last call, Ada');
    await expect(page.getByText('Unsaved changes')).toBeVisible();
    await shot(page, 'templates-live-editing');

    // Chat channels too, in a message bubble.
    await page.goto('/templates/new');
    await page.getByRole('textbox', { name: 'Channel' }).click();
    await page.getByRole('option', { name: 'WhatsApp' }).click();
    await page.getByLabel('Message').pressSequentially('Hi {{first_name}}, your order {{order_id}} is on its way');
    await expect(page.getByTestId('preview-body')).toHaveText('Hi Ada, your order  is on its way');
    await expect(page.getByTestId('warnings-body')).toContainText('undeclared variable "order_id"');
    await shot(page, 'templates-live-whatsapp');
  });
});
