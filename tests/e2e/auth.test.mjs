// Sign-in, forced password change, two-step sign-in enrolment, sign-in with a TOTP code, API
// tokens and the account page in both languages, through the real server and Chromium. Every
// page state is kept as an auth-*.png screenshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'playwright-core';
import { Instance, launchBrowser, newPerson, expectNoProblems, screenshot, totp } from './harness.mjs';

let instance;
let browser;

before(async () => {
  instance = await Instance.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await instance?.stop();
});

const NEW_PASSWORD = 'Furoshiki-wraps-42 files';
// An API token of the organization's administrator, made by the main flow below.
let adminToken;

async function fillSignIn(page, password) {
  await page.getByLabel('Organization code', { exact: true }).fill(instance.org);
  await page.getByLabel('E-mail address', { exact: true }).fill(instance.admin.login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

// The 30-second TOTP step of a time in ms.
const stepOf = (ms) => Math.floor(ms / 30_000);

// The server accepts each code once: a sign-in code must come from a later step than the one
// that confirmed the enrolment. Waits for that step to begin (at most one step and a bit).
async function codeAfterStep(secret, usedStep) {
  const waitMs = (usedStep + 1) * 30_000 - Date.now();
  if (waitMs > 0) {
    assert.ok(waitMs <= 31_000, `unexpected wait of ${waitMs} ms`);
    await sleep(waitMs + 250);
  }
  return totp(secret);
}

test('a Japanese browser gets the Japanese sign-in page', async () => {
  const person = await newPerson(browser, instance, { locale: 'ja-JP' });
  const { page } = person;
  await page.goto('/');
  await page.waitForURL('**/login');
  await page.getByRole('heading', { name: 'サインイン' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
  await page.getByLabel('組織コード', { exact: true }).waitFor();
  await page.getByLabel('メールアドレス', { exact: true }).waitFor();
  await page.getByLabel('パスワード', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'サインイン', exact: true }).waitFor();
  await screenshot(page, 'auth-login-ja');
  expectNoProblems(person);
  await person.context.close();
});

test('first sign-in, forced password change, 2FA enrolment, sign-in with a code, API tokens, Japanese', async () => {
  const person = await newPerson(browser, instance);
  const { page } = person;

  // Signed out: the start page sends the visitor to the sign-in page.
  await page.goto('/');
  await page.waitForURL('**/login');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await screenshot(page, 'auth-login');

  // A wrong password: the one message that does not tell which part was wrong.
  await fillSignIn(page, 'not-the-password');
  await page.getByRole('alert').getByText('The organization code, e-mail address or password is wrong.').waitFor();
  await screenshot(page, 'auth-login-wrong-password');

  // The one-time password signs in, and the guard insists on a new password.
  await fillSignIn(page, instance.admin.password);
  await page.waitForURL('**/password');
  await page.getByRole('heading', { name: 'Set a new password' }).waitFor();
  assert.equal(await page.getByRole('navigation').count(), 0, 'no navigation before the password is changed');
  await screenshot(page, 'auth-password-forced');
  // Any other page leads back here.
  await page.goto('/account');
  await page.waitForURL('**/password');

  const current = page.getByLabel('Current password', { exact: true });
  const fresh = page.getByLabel('New password', { exact: true });
  const repeat = page.getByLabel('Repeat new password', { exact: true });
  const change = page.getByRole('button', { name: 'Change password', exact: true });

  // The two new ones must match before anything is sent.
  await current.fill(instance.admin.password);
  await fresh.fill(NEW_PASSWORD);
  await repeat.fill(NEW_PASSWORD + 'x');
  await change.click();
  await page.getByRole('alert').getByText('The two new passwords do not match.').waitFor();

  // The server's policy: too short, and every failed rule listed.
  await fresh.fill('short');
  await repeat.fill('short');
  await change.click();
  const policy = page.getByRole('alert').filter({ hasText: 'The new password does not meet the policy.' });
  await policy.waitFor();
  await policy.getByRole('listitem').filter({ hasText: 'Use at least 12 characters.' }).waitFor();
  await screenshot(page, 'auth-password-policy');

  await fresh.fill(NEW_PASSWORD);
  await repeat.fill(NEW_PASSWORD);
  await change.click();
  // The default policy does not require 2FA: straight to the start page.
  await page.waitForURL((url) => url.pathname === '/');
  await page.getByRole('heading', { name: 'Welcome, Erika Admin' }).waitFor();

  // The account page: profile, and two-step sign-in not yet set up.
  await page.getByRole('navigation').getByRole('link', { name: 'Account' }).click();
  await page.waitForURL('**/account');
  const profile = page.getByTestId('profile');
  await profile.getByText('admin@e2e.test').waitFor();
  await profile.getByText('Organization administrator').waitFor();
  await page.getByTestId('totp-status').getByText('Not set up').waitFor();

  // Enrolment: QR code and key, the first code confirms, ten recovery codes.
  await page.getByRole('link', { name: 'Set up two-step sign-in' }).click();
  await page.waitForURL('**/account/2fa');
  await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
  await screenshot(page, 'auth-totp-intro');
  await page.getByRole('button', { name: 'Set up', exact: true }).click();
  const qr = page.getByRole('img', { name: 'QR code to register furoshiki in an authenticator app' });
  await qr.waitFor();
  assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code image loads');
  const shown = await page.getByTestId('totp-secret').textContent();
  assert.match(shown, /^([A-Z2-7]{4} )*[A-Z2-7]{1,4}$/, 'the key is shown in groups of four');
  const secret = shown.replace(/\s+/g, '');
  await screenshot(page, 'auth-totp-enrol');

  // A wrong code is refused and the enrolment stays open.
  const wrong = totp(secret) === '000000' ? '111111' : '000000';
  await page.getByLabel('Authentication code', { exact: true }).fill(wrong);
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await page.getByRole('alert').getByText('The code is not valid.', { exact: false }).waitFor();

  const enrolledAt = Date.now();
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret, enrolledAt));
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  const codes = page.getByTestId('recovery-codes');
  await codes.waitFor();
  const recovery = await codes.getByRole('listitem').allTextContents();
  assert.equal(recovery.length, 10);
  assert.equal(new Set(recovery).size, 10);
  await page.getByText('They are shown only now', { exact: false }).waitFor();
  await screenshot(page, 'auth-recovery-codes');
  await page.getByRole('button', { name: 'Done', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');

  // Sign out; the organization code is remembered for the next visit.
  await page.getByTestId('sign-out').click();
  await page.waitForURL('**/login');
  assert.equal(await page.getByLabel('Organization code', { exact: true }).inputValue(), instance.org);

  // Sign in again: password, then the TOTP step.
  await fillSignIn(page, NEW_PASSWORD);
  const code = page.getByLabel('Authentication code', { exact: true });
  await code.waitFor();
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  assert.equal(await code.getAttribute('inputmode'), 'numeric');
  assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
  await screenshot(page, 'auth-login-totp');
  await code.fill(wrong === totp(secret) ? '222222' : wrong);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await page.getByRole('alert').getByText('The code is not valid.', { exact: false }).waitFor();
  await screenshot(page, 'auth-login-totp-wrong');
  await code.fill(await codeAfterStep(secret, stepOf(enrolledAt)));
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.getByRole('heading', { name: 'Welcome, Erika Admin' }).waitFor();

  // API tokens: created, shown once, listed, revoked after a confirmation.
  await page.getByRole('navigation').getByRole('link', { name: 'Account' }).click();
  await page.waitForURL('**/account');
  await page.getByTestId('totp-status').getByText('Enabled').waitFor();
  await page.getByText('You have no API tokens.').waitFor();
  await page.getByLabel('Token name', { exact: true }).fill('nightly backup');
  await page.getByLabel('Valid for (days)', { exact: true }).fill('30');
  await page.getByRole('button', { name: 'Create token', exact: true }).click();
  const value = (await page.getByTestId('new-token').textContent()).trim();
  assert.match(value, /^fsk_/);
  await page.getByText('it will not be shown again', { exact: false }).waitFor();
  const row = page.getByTestId('token-row').filter({ hasText: 'nightly backup' });
  await row.getByText('Active').waitFor();
  await row.getByText('Never').waitFor();
  await screenshot(page, 'auth-account');

  // The token works for scripts (a client without the browser's cookie).
  const script = await request.newContext({ baseURL: instance.baseURL, ignoreHTTPSErrors: true });
  const me = await script.get('/api/v1/me', { headers: { Authorization: `Bearer ${value}` } });
  assert.equal(me.status(), 200);
  assert.equal((await me.json()).login, instance.admin.login);

  // Kept for the next test, which needs an administrator's API access.
  const admin = await script.post('/api/v1/me/tokens', {
    headers: { Authorization: `Bearer ${value}` },
    data: { name: 'e2e administration', expires_in_days: 1 },
  });
  assert.equal(admin.status(), 201);
  adminToken = (await admin.json()).value;

  // Shown once: gone after a reload, while the token stays listed.
  await page.reload();
  await row.waitFor();
  assert.equal(await page.getByTestId('new-token').count(), 0);
  assert.equal(await page.getByText(value).count(), 0);

  await row.getByRole('button', { name: 'Revoke: nightly backup' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke the token "nightly backup"?' });
  await dialog.waitFor();
  await screenshot(page, 'auth-token-revoke');
  await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
  await page.getByRole('status').getByText('Token "nightly backup" has been revoked.').waitFor();
  await row.getByText('Revoked').waitFor();
  const refused = await script.get('/api/v1/me', { headers: { Authorization: `Bearer ${value}` } });
  assert.equal(refused.status(), 401);
  await script.dispose();

  // The same page in Japanese.
  await page.getByLabel('Language').selectOption('ja');
  await page.getByRole('heading', { name: 'アカウント', exact: true }).waitFor();
  await page.getByRole('heading', { name: 'API トークン' }).waitFor();
  await page.getByTestId('totp-status').getByText('有効').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
  await screenshot(page, 'auth-account-ja');

  expectNoProblems(person);
  await person.context.close();
});

test('an organization that requires two-step sign-in sends a new member to enrolment first', async () => {
  assert.ok(adminToken, 'the previous test made an administrator token');
  const api = await request.newContext({
    baseURL: instance.baseURL,
    ignoreHTTPSErrors: true,
    extraHTTPHeaders: { Authorization: `Bearer ${adminToken}` },
  });
  const policy = await api.put('/api/v1/admin/policy', { data: { require_2fa: 'all' } });
  assert.equal(policy.status(), 200, await policy.text());
  const made = await api.post('/api/v1/admin/users', {
    data: { email: 'mika@e2e.test', display_name: 'Mika Member', role: 'member' },
  });
  assert.equal(made.status(), 201, await made.text());
  const oneTime = (await made.json()).one_time_password;
  await api.dispose();

  const person = await newPerson(browser, instance, { locale: 'ja-JP' });
  const { page } = person;
  // Straight to a page that needs a session: back there after signing in and the required steps.
  await page.goto('/account');
  await page.waitForURL('**/login?next=%2Faccount');
  await page.getByLabel('組織コード', { exact: true }).fill(instance.org);
  await page.getByLabel('メールアドレス', { exact: true }).fill('mika@e2e.test');
  await page.getByLabel('パスワード', { exact: true }).fill(oneTime);
  await page.getByRole('button', { name: 'サインイン', exact: true }).click();

  await page.waitForURL('**/password');
  await page.getByRole('heading', { name: '新しいパスワードの設定' }).waitFor();
  await screenshot(page, 'auth-password-forced-ja');
  // The failed rules are worded in Japanese too (the server sends each rule's code and number).
  await page.getByLabel('現在のパスワード', { exact: true }).fill(oneTime);
  await page.getByLabel('新しいパスワード', { exact: true }).fill('mika');
  await page.getByLabel('新しいパスワード（確認）', { exact: true }).fill('mika');
  await page.getByRole('button', { name: 'パスワードを変更', exact: true }).click();
  await page.getByRole('listitem').filter({ hasText: '12 文字以上にしてください。' }).waitFor();
  await page.getByRole('listitem').filter({ hasText: 'ログイン名や氏名を含まないパスワードにしてください。' }).waitFor();
  await screenshot(page, 'auth-password-policy-ja');
  await page.getByLabel('現在のパスワード', { exact: true }).fill(oneTime);
  await page.getByLabel('新しいパスワード', { exact: true }).fill('Blue-river-stones 73');
  await page.getByLabel('新しいパスワード（確認）', { exact: true }).fill('Blue-river-stones 73');
  await page.getByRole('button', { name: 'パスワードを変更', exact: true }).click();

  // The organization requires 2FA: enrolment comes next, with no way around it.
  await page.waitForURL('**/account/2fa');
  await page.getByText('ご所属の組織では2段階認証が必須です。', { exact: false }).waitFor();
  assert.equal(await page.getByRole('navigation').count(), 0, 'no navigation before enrolment');
  assert.equal(await page.getByRole('link', { name: 'キャンセル' }).count(), 0, 'no way to skip enrolment');
  await screenshot(page, 'auth-totp-required-ja');
  await page.goto('/');
  await page.waitForURL('**/account/2fa');

  await page.getByRole('button', { name: '設定を開始', exact: true }).click();
  await page.getByTestId('totp-secret').waitFor();
  const secret = (await page.getByTestId('totp-secret').textContent()).replace(/\s+/g, '');
  await screenshot(page, 'auth-totp-enrol-ja');
  await page.getByLabel('認証コード', { exact: true }).fill(totp(secret));
  await page.getByRole('button', { name: '確認', exact: true }).click();
  await page.getByTestId('recovery-codes').waitFor();
  assert.equal(await page.getByTestId('recovery-codes').getByRole('listitem').count(), 10);
  await screenshot(page, 'auth-recovery-codes-ja');
  await page.getByRole('button', { name: '完了', exact: true }).click();
  // A member's home is "My files".
  await page.waitForURL((url) => url.pathname === '/files');
  await page.getByRole('navigation').waitFor();

  // A member: no admin pages in the navigation.
  await page.getByRole('navigation').getByRole('link', { name: 'アカウント' }).click();
  await page.getByTestId('profile').getByText('メンバー').waitFor();
  assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'ユーザー' }).count(), 0);

  expectNoProblems(person);
  await person.context.close();
});
