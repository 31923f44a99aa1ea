// The organization admin's pages: users (add with a one-time password, edit rights, disable,
// enable, reset the password, the last-admin guard), the audit log (filters, CSV export, chain
// verification) and the policy (password rules, allowlist errors by line, the self-lockout
// refusal and its confirmation). One server and one admin for the whole file; the tests run in
// order and build on each other. Screenshots: admin-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Instance, launchBrowser, newPerson, expectNoProblems, screenshot } from './harness.mjs';

const ADMIN_PASSWORD = 'Kite-Harbor-7492-Lantern';
const BOB = { login: 'bob@e2e.test', name: 'Bob Example', password: 'Quiet-Meadow-3185-Copper' };
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

let instance;
let browser;
let admin; // the admin's browser person, signed in for the whole file
let bob; // Bob's browser person
let bobOneTimePassword;

// Signs `person` in through the API (the UI asks for its CSRF token itself when it has none).
async function apiSignIn(person, login, password) {
  const res = await person.page.request.post('/api/v1/auth/login', { data: { org: instance.org, login, password } });
  assert.equal(res.status(), 200, await res.text());
  return res.json();
}

async function apiGet(person, path) {
  const res = await person.page.request.get('/api/v1' + path);
  assert.equal(res.status(), 200, `${path}: ${await res.text()}`);
  return res.json();
}

async function bobRecord() {
  const { users } = await apiGet(admin, '/admin/users?limit=500');
  const found = users.find((u) => u.login === BOB.login);
  assert.ok(found, 'Bob is listed');
  return found;
}

function userRow(page, login) {
  return page.getByTestId('users-table').getByRole('row').filter({ hasText: login });
}

before(async () => {
  instance = await Instance.start();
  browser = await launchBrowser();
  admin = await newPerson(browser, instance);
  // The admin's first sign-in: one-time password, then the forced change, through the API.
  const login = await apiSignIn(admin, instance.admin.login, instance.admin.password);
  assert.equal(login.password_change_required, true);
  const changed = await admin.page.request.post('/api/v1/me/password', {
    data: { current: instance.admin.password, new: ADMIN_PASSWORD },
    headers: { 'X-CSRF-Token': login.csrf_token },
  });
  assert.equal(changed.status(), 204, await changed.text());
});

after(async () => {
  await browser?.close();
  await instance?.stop();
});

test('the admin adds a user and sees the one-time password once', async () => {
  const { page } = admin;
  await page.goto('/admin/users');
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  await userRow(page, instance.admin.login).waitFor();
  await screenshot(page, 'admin-users');

  await page.getByRole('button', { name: 'Add user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add user' });
  await dialog.waitFor();
  await screenshot(page, 'admin-users-add-dialog');

  await dialog.getByLabel('E-mail address').fill(BOB.login);
  await dialog.getByLabel('Display name').fill(BOB.name);
  await dialog.getByLabel('Role').selectOption('member');
  await dialog.getByLabel('May send files outside the organization').check();
  await dialog.getByLabel('Maximum file size (MB)').fill('250');
  await screenshot(page, 'admin-users-add-filled');
  await dialog.getByRole('button', { name: 'Create user' }).click();

  const secret = dialog.getByTestId('one-time-password');
  await secret.waitFor();
  bobOneTimePassword = (await secret.textContent()).trim();
  assert.ok(bobOneTimePassword.length >= 12, 'a one-time password is shown');
  await dialog.getByText('shown only this once').waitFor();
  await screenshot(page, 'admin-users-created');
  await dialog.getByRole('button', { name: /close/i }).click();
  await dialog.waitFor({ state: 'hidden' });

  // The new row: a member who must change the password; the rights as chosen.
  const row = userRow(page, BOB.login);
  await row.getByText('Must change').waitFor();
  await row.getByText('Member').waitFor();
  const record = await bobRecord();
  assert.equal(record.display_name, BOB.name);
  assert.equal(record.rights.can_send_external, true);
  assert.equal(record.rights.max_file_bytes, 250 * MiB);
  // Opening the dialog again starts with an empty form: the password is not shown twice.
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.getByRole('dialog', { name: 'Add user' }).getByLabel('E-mail address').waitFor();
  assert.equal(await page.getByTestId('one-time-password').count(), 0);
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  expectNoProblems(admin);
});

test('Bob signs in with the one-time password and must choose his own', async () => {
  bob = await newPerson(browser, instance);
  const { page } = bob;
  await page.goto('/login');
  await page.getByLabel('Organization code').fill(instance.org);
  await page.getByLabel('E-mail address').fill(BOB.login);
  await page.getByLabel('Password', { exact: true }).fill(bobOneTimePassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/password');
  await page.getByLabel('Current password').fill(bobOneTimePassword);
  await page.getByLabel('New password', { exact: true }).fill(BOB.password);
  await page.getByLabel('Repeat new password').fill(BOB.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  // A member's home is "My files".
  await page.waitForURL((url) => url.pathname === '/files');
  await page.getByRole('heading', { name: 'My files', level: 1 }).waitFor();
  await screenshot(page, 'admin-bob-home');
  // The admin's list now shows that Bob has set his password.
  await admin.page.reload();
  await userRow(admin.page, BOB.login).getByText('Set', { exact: true }).waitFor();
  expectNoProblems(bob);
  expectNoProblems(admin);
});

test('the admin edits Bob’s rights', async () => {
  const { page } = admin;
  await page.goto('/admin/users');
  await page.getByRole('button', { name: `Manage ${BOB.login}` }).click();
  const dialog = page.getByRole('dialog', { name: `Manage ${BOB.name}` });
  await dialog.waitFor();
  await screenshot(page, 'admin-users-manage');
  await dialog.getByLabel('May request files from outside').check();
  await dialog.getByLabel('Sending needs approval').check();
  await dialog.getByLabel('Storage quota (GB)').fill('5');
  await dialog.getByLabel('Maximum retention (days)').fill('30');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.getByText('Changes saved.').waitFor();
  await screenshot(page, 'admin-users-manage-saved');
  const record = await bobRecord();
  assert.equal(record.rights.can_request_files, true);
  assert.equal(record.rights.requires_approval, true);
  assert.equal(record.rights.quota_bytes, 5 * GiB);
  assert.equal(record.rights.max_retention_days, 30);
  assert.equal(record.rights.max_file_bytes, 250 * MiB, 'an untouched number keeps its value');
  assert.equal(record.rights.can_send_external, true);
  // Bob sees his new rights.
  const me = await apiGet(bob, '/me');
  assert.equal(me.rights.quota_bytes, 5 * GiB);
  await dialog.getByRole('button', { name: 'Close' }).click();
  expectNoProblems(admin);
});

test('the admin disables Bob after confirming; Bob is refused; enabling and a password reset', async () => {
  const { page } = admin;
  await page.getByRole('button', { name: `Manage ${BOB.login}` }).click();
  const dialog = page.getByRole('dialog', { name: `Manage ${BOB.name}` });
  await dialog.getByRole('button', { name: 'Disable account' }).click();
  // Nothing happens before the confirmation.
  await dialog.getByTestId('confirm-action').waitFor();
  assert.equal((await bobRecord()).disabled, false);
  await screenshot(page, 'admin-users-confirm-disable');
  await dialog.getByRole('button', { name: 'Disable account' }).click();
  await dialog.getByText('The account is disabled.').waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await userRow(page, BOB.login).getByText('Disabled').waitFor();
  await screenshot(page, 'admin-users-disabled');

  // Bob's session has ended: his next request is refused and the UI sends him to sign in.
  assert.equal((await bob.page.request.get('/api/v1/me')).status(), 401);
  await bob.page.reload();
  await bob.page.waitForURL('**/login**');
  const refused = await bob.page.request.post('/api/v1/auth/login', {
    data: { org: instance.org, login: BOB.login, password: BOB.password },
  });
  assert.equal(refused.status(), 403);
  assert.equal((await refused.json()).error.code, 'account_disabled');

  // Enable (no confirmation needed), then reset the password: a new one-time password, once.
  await page.getByRole('button', { name: `Manage ${BOB.login}` }).click();
  await dialog.getByRole('button', { name: 'Enable account' }).click();
  await dialog.getByText('The account is enabled.').waitFor();
  await dialog.getByRole('button', { name: 'Back' }).click();
  await dialog.getByRole('button', { name: 'Reset password' }).click();
  await dialog.getByText(/Reset the password of Bob Example/).waitFor();
  await dialog.getByRole('button', { name: 'Reset password' }).click();
  const secret = dialog.getByTestId('one-time-password');
  await secret.waitFor();
  const newOneTime = (await secret.textContent()).trim();
  assert.notEqual(newOneTime, bobOneTimePassword);
  await screenshot(page, 'admin-users-reset-password');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await userRow(page, BOB.login).getByText('Must change').waitFor();
  await userRow(page, BOB.login).getByText('Active').waitFor();
  const again = await bob.page.request.post('/api/v1/auth/login', {
    data: { org: instance.org, login: BOB.login, password: newOneTime },
  });
  assert.equal(again.status(), 200);
  assert.equal((await again.json()).password_change_required, true);
  expectNoProblems(admin);
  expectNoProblems(bob);
});

test('the last admin cannot demote themself: the refusal is explained', async () => {
  const { page } = admin;
  await page.getByRole('button', { name: `Manage ${instance.admin.login}` }).click();
  const dialog = page.getByRole('dialog', { name: /^Manage / });
  await dialog.getByLabel('Role').selectOption('member');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.getByRole('alert').getByText('at least one active organization admin').waitFor();
  await screenshot(page, 'admin-users-last-admin');
  const { users } = await apiGet(admin, '/admin/users');
  assert.equal(users.find((u) => u.login === instance.admin.login).role, 'org_admin');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  expectNoProblems(admin);
});

test('the log shows the user creation, filters, exports CSV and verifies the chain', async () => {
  const { page } = admin;
  await page.goto('/admin/log');
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  const created = page.locator('tr[data-action="user.create"]');
  await created.first().waitFor();
  await screenshot(page, 'admin-log');

  // Filter: only user creations.
  await page.getByLabel('Action').selectOption('user.create');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="log-table"] tbody tr')];
    return rows.length > 0 && rows.every((r) => r.getAttribute('data-action') === 'user.create');
  });
  const rows = await page.locator('[data-testid="log-table"] tbody tr').count();
  assert.ok(rows >= 1);
  await screenshot(page, 'admin-log-filtered');

  // CSV of the same filters: a header row and one line per creation.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  assert.match(download.url(), /format=csv/);
  assert.match(download.url(), /action=user\.create/);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  assert.match(lines[0], /^id,seq,at,.*action,target,outcome/);
  assert.equal(lines.length - 1, rows);
  assert.ok(lines.slice(1).every((l) => l.includes('user.create')));

  await page.getByRole('button', { name: 'Verify integrity' }).click();
  const result = page.getByTestId('verify-result');
  await result.waitFor();
  assert.match(await result.textContent(), /^Intact: \d+ events$/);
  assert.match(await result.getAttribute('class'), /\bok\b/);
  await screenshot(page, 'admin-log-verified');
  expectNoProblems(admin);
});

test('the admin pages in Japanese', async () => {
  const person = await newPerson(browser, instance, { locale: 'ja-JP' });
  const { page } = person;
  await apiSignIn(person, instance.admin.login, ADMIN_PASSWORD);
  await page.goto('/admin/users');
  await page.getByRole('heading', { name: 'ユーザー', level: 1 }).waitFor();
  await userRow(page, BOB.login).getByText('変更待ち').waitFor();
  await screenshot(page, 'admin-users-ja');
  await page.getByRole('button', { name: 'ユーザーを追加' }).click();
  await page.getByRole('dialog', { name: 'ユーザーを追加' }).getByLabel('メールアドレス').waitFor();
  await screenshot(page, 'admin-users-add-dialog-ja');
  await page.keyboard.press('Escape');
  await page.goto('/admin/policy');
  await page.getByRole('heading', { name: 'ポリシー', level: 1 }).waitFor();
  await screenshot(page, 'admin-policy-ja');
  await page.goto('/admin/log');
  await page.getByRole('heading', { name: '監査ログ' }).waitFor();
  await page.locator('tr[data-action="user.create"]').first().waitFor();
  await screenshot(page, 'admin-log-ja');
  expectNoProblems(person);
  await person.context.close();
});

test('the admin ends Bob’s sessions, resets his two-step sign-in and deletes him', async () => {
  const { page } = admin;
  await page.goto('/admin/users');
  // Bob is signed in (with the one-time password of the reset) in his own context.
  assert.equal((await bob.page.request.get('/api/v1/me')).status(), 200, 'Bob is signed in');
  const dialog = page.getByRole('dialog', { name: `Manage ${BOB.name}` });
  const act = async (button, confirmText, doneText) => {
    await dialog.getByRole('button', { name: button }).click();
    await dialog.getByTestId('confirm-action').getByText(confirmText).waitFor();
    await dialog.getByRole('button', { name: button }).click();
    if (doneText) await dialog.getByText(doneText).waitFor();
  };
  await page.getByRole('button', { name: `Manage ${BOB.login}` }).click();
  await act('End all sessions', /Sign Bob Example \(bob@e2e\.test\) out on every device/, 'All sessions of this user have ended.');
  assert.equal((await bob.page.request.get('/api/v1/me')).status(), 401);
  await dialog.getByRole('button', { name: 'Back' }).click();
  await act('Reset two-step sign-in', /Reset two-step sign-in of Bob Example/, 'Two-step sign-in has been reset.');
  await dialog.getByRole('button', { name: 'Back' }).click();
  const { id } = await bobRecord();
  await dialog.getByRole('button', { name: 'Delete user' }).click();
  await dialog.getByText(/permanently\? This cannot be undone/).waitFor();
  await screenshot(page, 'admin-users-confirm-delete');
  await dialog.getByRole('button', { name: 'Delete user' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('status').getByText(`${BOB.login} has been deleted.`).waitFor();
  assert.equal(await userRow(page, BOB.login).count(), 0);
  assert.equal((await admin.page.request.get('/api/v1/admin/users/' + id)).status(), 404);
  await screenshot(page, 'admin-users-deleted');
  expectNoProblems(admin);
  expectNoProblems(bob);
});

test('the policy saves password rules; a bad allowlist line is named; a self-lockout needs confirming', async () => {
  const { page } = admin;
  await page.goto('/admin/policy');
  await page.getByRole('heading', { name: 'Policy', level: 1 }).waitFor();
  const before = await apiGet(admin, '/admin/policy');
  await screenshot(page, 'admin-policy');

  await page.getByLabel('Minimum length (characters)').fill('14');
  await page.getByLabel('Require a digit (0–9)').check();
  // (Requiring two-step sign-in would send this admin, who has none, to enrolment: only shown.)
  assert.equal(await page.getByLabel('Optional for everyone').isChecked(), true);
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByText('The policy has been saved.').waitFor();
  await screenshot(page, 'admin-policy-saved');
  let policy = await apiGet(admin, '/admin/policy');
  assert.equal(policy.password.min_length, 14);
  assert.equal(policy.password.require_digit, true);
  assert.equal(policy.require_2fa, 'none');
  assert.equal(policy.password.history_count, before.password.history_count, 'other rules are kept');

  // An out-of-range value: the server's refusal names the field.
  await page.getByLabel('Minimum length (characters)').fill('4');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByRole('alert').getByText(/min_length/).waitFor();
  assert.equal(await page.getByLabel('Minimum length (characters)').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Minimum length (characters)').fill('14');

  // The second line has host bits: the page names that line.
  const allowlist = page.getByLabel('Allowed networks');
  await allowlist.fill('127.0.0.0/8\n10.0.0.1/8\n2001:db8::/32');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByRole('alert').getByText('Line 2 (10.0.0.1/8)').waitFor();
  assert.equal(await allowlist.getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'admin-policy-bad-line');
  policy = await apiGet(admin, '/admin/policy');
  assert.deepEqual(policy.ip_allowlist, before.ip_allowlist, 'nothing was saved');

  // A valid allowlist that includes the admin's own address (127.0.0.1), IPv4 and IPv6.
  await allowlist.fill('127.0.0.0/8\n2001:db8::/32');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByText('The policy has been saved.').waitFor();
  policy = await apiGet(admin, '/admin/policy');
  assert.deepEqual(policy.ip_allowlist, ['127.0.0.0/8', '2001:db8::/32']);

  assert.ok('sessions' in before, 'the policy has session timeouts');

  // Session timeouts.
  await page.getByLabel('Inactivity timeout (minutes)').fill('20');
  await page.getByLabel('Maximum session length (hours)').fill('8');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByText('The policy has been saved.').waitFor();
  policy = await apiGet(admin, '/admin/policy');
  assert.deepEqual(policy.sessions, { idle_timeout_minutes: 20, absolute_timeout_hours: 8 });

  // An allowlist without the admin's own address is refused until confirmed.
  await allowlist.fill('192.0.2.0/24');
  await page.getByRole('button', { name: 'Save policy' }).click();
  const warning = page.getByTestId('lockout-warning');
  await warning.waitFor();
  await warning.getByText(/lock you out/).first().waitFor();
  await screenshot(page, 'admin-policy-lockout');
  policy = await apiGet(admin, '/admin/policy');
  assert.deepEqual(policy.ip_allowlist, ['127.0.0.0/8', '2001:db8::/32'], 'the refused allowlist was not saved');
  await warning.getByRole('button', { name: 'Keep editing' }).click();
  await warning.waitFor({ state: 'hidden' });

  // Confirmed: saved, and the admin's next request comes from an address no longer allowed.
  await page.getByRole('button', { name: 'Save policy' }).click();
  await warning.getByRole('button', { name: 'Save anyway' }).click();
  await page.getByText('The policy has been saved.').waitFor();
  assert.equal(await allowlist.inputValue(), '192.0.2.0/24');
  const locked = await page.request.get('/api/v1/me');
  assert.equal(locked.status(), 403);
  assert.equal((await locked.json()).error.code, 'ip_not_allowed');
  expectNoProblems(admin);
});
