import { expect, test } from '@playwright/test';
import { DEMO, login, shot, signOut, submitLogin, unique } from './helpers';

test.describe('authentication', () => {
  test('sign up lands on the dashboard; sign out returns to login', async ({ page }) => {
    const email = `${unique('ada')}@example.com`;
    await page.goto('/');
    await expect(page).toHaveURL(/\/login$/);
    await shot(page, 'login');

    await page.getByRole('link', { name: 'Create an account' }).click();
    await expect(page).toHaveURL(/\/signup$/);
    await page.getByLabel('Your name').fill('Ada Lovelace');
    await page.getByLabel('Work email').fill(email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill('correct-horse-battery');
    await page.getByLabel('Organization name').fill('Analytical Engines');
    await shot(page, 'signup');
    await page.getByRole('button', { name: 'Create account' }).click();

    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('heading', { level: 2 })).toContainText('Ada');
    await expect(page.getByTestId('org-switcher')).toContainText('Analytical Engines');
    await expect(page.getByRole('heading', { name: 'Get started' })).toBeVisible();
    await shot(page, 'dashboard');

    // A reload keeps the session: the boot refresh uses the HttpOnly cookie.
    await page.reload();
    await expect(page.getByTestId('org-switcher')).toContainText('Analytical Engines');

    await signOut(page);
    await page.goto('/developers');
    await expect(page).toHaveURL(/\/login\?redirect=%2Fdevelopers$/);
  });

  test('signing up with an existing email suggests signing in', async ({ page }) => {
    await page.goto('/signup');
    await page.getByLabel('Your name').fill('Someone Else');
    await page.getByLabel('Work email').fill(DEMO.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill('not-the-demo-password');
    await page.getByLabel('Organization name').fill('Copycat');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByTestId('signup-existing')).toContainText('This email may already have an account — sign in instead');
    await page.getByRole('link', { name: 'sign in instead' }).click();
    await expect(page).toHaveURL(/\/login$/);
  });

  test('server validation errors land on the form fields', async ({ page }) => {
    await page.goto('/signup');
    // Passes the page's own checks; the API allows at most 200 characters.
    await page.getByLabel('Your name').fill('N'.repeat(201));
    await page.getByLabel('Work email').fill(`${unique('long')}@example.com`);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill('long-enough-pass');
    await page.getByLabel('Organization name').fill('Org');
    await page.getByRole('button', { name: 'Create account' }).click();
    const name = page.getByLabel('Your name');
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    const errorId = await name.getAttribute('aria-describedby');
    expect(errorId).toBeTruthy();
    await expect(page.locator(`[id="${errorId!.split(' ').find((id) => id.endsWith('-error'))}"]`)).toContainText(/200/);
    await shot(page, 'signup-errors');
  });

  test('a deep link survives the login, query string included', async ({ page }) => {
    await page.goto('/contacts/groups?color=red');
    await expect(page).toHaveURL(/\/login\?redirect=%2Fcontacts%2Fgroups%3Fcolor%3Dred$/);
    await submitLogin(page, DEMO.email, DEMO.password);
    await expect(page).toHaveURL(/\/contacts\/groups\?color=red$/);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/contacts/groups?color=red');
    await expect(page.getByRole('heading', { name: 'Groups', exact: true })).toBeVisible();
  });

  test('wrong password shows a message at the form', async ({ page }) => {
    await page.goto('/login');
    await submitLogin(page, DEMO.email, 'definitely-wrong');
    await expect(page.getByRole('alert')).toContainText('Incorrect email or password.');
    await shot(page, 'login-error');
  });

  test('after a reload without a session the deep link is kept', async ({ page, context }) => {
    await login(page, DEMO.email, DEMO.password);
    await page.goto('/settings?tab=members');
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
    // The refresh cookie is gone (expired or revoked elsewhere): a reload can't refresh.
    await context.clearCookies();
    await page.reload();
    await expect(page).toHaveURL(/\/login\?redirect=%2Fsettings%3Ftab%3Dmembers$/);
    await submitLogin(page, DEMO.email, DEMO.password);
    await expect(page).toHaveURL(/\/settings\?tab=members$/);
  });

  test('an expired access token is refreshed once, silently', async ({ page }) => {
    await login(page, DEMO.email, DEMO.password);
    // The API answers 401 once, as it does when the 15-minute token ran out.
    let refused = 0;
    await page.route('**/api/v1/orgs', async (route) => {
      if (refused++ === 0) {
        await route.fulfill({ status: 401, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Unauthorized', status: 401, detail: 'token expired' }) });
      } else {
        await route.continue();
      }
    });
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
    await page.getByRole('link', { name: 'Profile' }).click();
    expect((await refreshed).status()).toBe(200);
    await expect(page.getByTestId('orgs-table')).toContainText(DEMO.org);
    await expect(page).toHaveURL(/\/profile$/);
    expect(refused).toBe(2);
  });

  test('a session that ends mid-use goes to login and back to the same page', async ({ page, context }) => {
    await login(page, DEMO.email, DEMO.password);
    await page.goto('/settings?tab=members');
    await expect(page.getByTestId('members-table')).toBeVisible();
    // Revoked elsewhere: the cookie is gone and the access token is refused.
    await context.clearCookies();
    await page.route('**/api/v1/orgs', (route) =>
      route.fulfill({ status: 401, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Unauthorized', status: 401 }) }),
    );
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Profile' }).click();
    await expect(page).toHaveURL(/\/login\?redirect=%2Fprofile$/);
    await expect(page.getByTestId('session-expired')).toContainText('Your session expired');
    await shot(page, 'login-expired');
    await page.unroute('**/api/v1/orgs');
    await submitLogin(page, DEMO.email, DEMO.password);
    await expect(page).toHaveURL(/\/profile$/);
    await expect(page.getByTestId('orgs-table')).toContainText(DEMO.org);
  });

  test('SSO buttons start the flow or explain why they cannot', async ({ page }) => {
    await page.goto('/login');
    for (const name of ['Google', 'Microsoft']) {
      const link = page.getByRole('link', { name });
      const disabled = page.getByRole('button', { name: `Sign in with ${name} (unavailable)` });
      await expect(link.or(disabled)).toBeVisible();
      if (await link.isVisible()) {
        await expect(link).toHaveAttribute('href', new RegExp(`/api/v1/auth/sso/${name.toLowerCase()}/start\\?redirect=`));
      } else {
        await expect(disabled).toBeDisabled();
      }
    }
  });
});
