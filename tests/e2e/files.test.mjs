// The "My files" page of a member: the list (a file stored through the simple PUT upload shows
// with its size, type and scan label; delete asks first), uploads through the page with tus
// (a clean file is stored and listed, the EICAR test file is refused with its signature), the
// download of the stored file byte for byte, pause and resume of a bigger upload, resuming after
// a reload, and the page in Japanese. One server and one member for the whole file; the tests
// run in order. Screenshots: files-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Instance, launchBrowser, newPerson, expectNoProblems, screenshot } from './harness.mjs';

const ADMIN_PASSWORD = 'Kite-Harbor-7492-Lantern';
const MEMBER = { login: 'fumi@e2e.test', name: 'Fumi Member', password: 'Paper-Crane-5821-Willow' };
// The EICAR test file, put together here so that the repository does not carry it in one piece.
const EICAR = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-', 'TEST-FILE!$H+H*'].join('');

let instance;
let browser;
let member; // the member's browser person, signed in for the whole file
let scratch; // files handed to the file picker

async function signIn(person, login, password) {
  const res = await person.page.request.post('/api/v1/auth/login', { data: { org: instance.org, login, password } });
  assert.equal(res.status(), 200, await res.text());
  return res.json();
}

async function csrf(person) {
  const res = await person.page.request.get('/api/v1/auth/csrf');
  assert.equal(res.status(), 200, await res.text());
  return (await res.json()).csrf_token;
}

// Signs in with a one-time password and replaces it, through the API.
async function firstSignIn(person, login, oneTime, password) {
  const answer = await signIn(person, login, oneTime);
  assert.equal(answer.password_change_required, true);
  const changed = await person.page.request.post('/api/v1/me/password', {
    data: { current: oneTime, new: password },
    headers: { 'X-CSRF-Token': answer.csrf_token },
  });
  assert.equal(changed.status(), 204, await changed.text());
}

async function listFiles(person) {
  const res = await person.page.request.get('/api/v1/files?limit=200');
  assert.equal(res.status(), 200, await res.text());
  return (await res.json()).files;
}

// Stores a file through the simple upload (PUT /api/v1/files?name=), as a script would.
async function seed(person, name, body) {
  const res = await person.page.request.put('/api/v1/files?name=' + encodeURIComponent(name), {
    data: body,
    headers: { 'X-CSRF-Token': await csrf(person), 'Content-Type': 'application/octet-stream' },
  });
  assert.equal(res.status(), 201, await res.text());
  return res.json();
}

function fileRow(page, name) {
  return page.getByTestId('files-table').getByRole('row').filter({ hasText: name });
}

function uploadItem(page, name) {
  return page.getByTestId('upload').filter({ hasText: name });
}

before(async () => {
  instance = await Instance.start();
  browser = await launchBrowser();
  scratch = mkdtempSync(join(tmpdir(), 'furoshiki-e2e-files-'));
  const admin = await newPerson(browser, instance);
  await firstSignIn(admin, instance.admin.login, instance.admin.password, ADMIN_PASSWORD);
  const made = await admin.page.request.post('/api/v1/admin/users', {
    data: { email: MEMBER.login, display_name: MEMBER.name, role: 'member' },
    headers: { 'X-CSRF-Token': await csrf(admin) },
  });
  assert.equal(made.status(), 201, await made.text());
  const { one_time_password: oneTime, user } = await made.json();
  assert.equal(user.rights.can_upload, true, 'a new member may upload');
  await admin.context.close();

  member = await newPerson(browser, instance);
  await firstSignIn(member, MEMBER.login, oneTime, MEMBER.password);
});

after(async () => {
  await browser?.close();
  await instance?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('a member lands on My files; a stored file is listed and deleted after confirmation', async () => {
  const { page } = member;
  const stored = await seed(member, 'quarterly report.txt', Buffer.from('numbers, numbers, numbers\n'.repeat(100)));
  assert.equal(stored.scan.verdict, 'clean');

  await page.goto('/');
  await page.waitForURL((url) => url.pathname === '/files');
  await page.getByRole('heading', { name: 'My files', level: 1 }).waitFor();
  await page.getByRole('navigation').getByRole('link', { name: 'My files' }).waitFor();
  const row = fileRow(page, 'quarterly report.txt');
  await row.waitFor();
  await row.getByText('2.6 KB').waitFor();
  await row.getByText('Scanned: clean').waitFor();
  await row.getByText('Never').or(row.getByText(/\d{4}/)).first().waitFor();
  // The user's usage from GET /me: no quota set, so no meter.
  const usage = page.getByTestId('usage');
  await usage.getByText('2.6 KB stored (files: 1)').waitFor();
  await usage.getByText('Last 30 days: 2.6 KB uploaded, 0 B downloaded').waitFor();
  assert.equal(await usage.locator('progress').count(), 0);
  const link = row.getByRole('link', { name: 'Download quarterly report.txt' });
  assert.equal(await link.getAttribute('href'), `/api/v1/files/${stored.id}/content`);
  assert.equal(await link.getAttribute('download'), 'quarterly report.txt');
  await page.getByLabel('Files to upload').waitFor({ state: 'attached' });
  await screenshot(page, 'files-list');

  // Delete: cancel first, then confirm.
  await row.getByRole('button', { name: 'Delete quarterly report.txt' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete "quarterly report.txt"?' });
  await dialog.waitFor();
  await screenshot(page, 'files-delete-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await listFiles(member)).length, 1, 'cancel keeps the file');
  await row.getByRole('button', { name: 'Delete quarterly report.txt' }).click();
  await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByText('"quarterly report.txt" has been deleted.').waitFor();
  await row.waitFor({ state: 'detached' });
  await page.getByText('You have no stored files.').waitFor();
  await usage.getByText('0 B stored (files: 0)').waitFor();
  assert.equal((await listFiles(member)).length, 0);
  expectNoProblems(member);
});

test('"Load more" pages through the list', async () => {
  const { page } = member;
  for (let i = 0; i < 53; i++) await seed(member, `page-${String(i).padStart(2, '0')}.txt`, Buffer.from(`file ${i}\n`));
  await page.goto('/files');
  const rows = page.getByTestId('file-row');
  await rows.nth(49).waitFor();
  assert.equal(await rows.count(), 50, 'a first page of 50');
  await page.getByRole('button', { name: 'Load more' }).click();
  await rows.nth(52).waitFor();
  assert.equal(await rows.count(), 53);
  assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0, 'no more pages');
  const shown = new Set(await page.getByTestId('file-row').locator('.file-name').allInnerTexts());
  for (let i = 0; i < 53; i++) assert.ok(shown.has(`page-${String(i).padStart(2, '0')}.txt`), `page-${i} is listed`);
  // Clean up through the API for the tests that follow.
  const token = await csrf(member);
  for (const f of await listFiles(member)) {
    const res = await page.request.delete(`/api/v1/files/${f.id}`, { headers: { 'X-CSRF-Token': token } });
    assert.equal(res.status(), 204, await res.text());
  }
  expectNoProblems(member);
});

test('the page in Japanese', async () => {
  const { page } = member;
  await seed(member, '見積書.txt', Buffer.from('見積もり\n'));
  await page.goto('/files');
  await page.getByRole('banner').getByRole('combobox').selectOption('ja');
  await page.getByRole('heading', { name: 'マイファイル', level: 1 }).waitFor();
  await fileRow(page, '見積書.txt').getByText('スキャン済み：問題なし').waitFor();
  await page.getByText('ここにファイルをドロップ').waitFor();
  await screenshot(page, 'files-list-ja');
  // On a phone each file is a card.
  await page.setViewportSize({ width: 390, height: 844 });
  await fileRow(page, '見積書.txt').getByRole('link', { name: '見積書.txt をダウンロード' }).waitFor();
  await screenshot(page, 'files-list-ja-phone');
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.getByRole('banner').getByRole('combobox').selectOption('en');
  await page.getByRole('heading', { name: 'My files', level: 1 }).waitFor();
  expectNoProblems(member);
});

// From here on the tests need the tus endpoint (/api/v1/uploads) and the download route.
test('a clean file and the EICAR file uploaded through the page: one stored, one refused', async () => {
  const { page } = member;
  const options = await page.request.fetch('/api/v1/uploads', { method: 'OPTIONS' });
  assert.equal(options.headers()['tus-version'], '1.0.0', `the server has no tus endpoint (OPTIONS: ${options.status()})`);

  await page.goto('/files');
  const clean = Buffer.from('A harmless plain text file.\n'.repeat(2000));
  await page.getByLabel('Files to upload').setInputFiles([
    { name: 'harmless.txt', mimeType: 'text/plain', buffer: clean },
    { name: 'eicar.com', mimeType: 'application/octet-stream', buffer: Buffer.from(EICAR) },
  ]);
  const good = uploadItem(page, 'harmless.txt');
  const bad = uploadItem(page, 'eicar.com');
  await good.getByText('Stored: no virus found').waitFor({ timeout: 30_000 });
  await bad.getByText('infected: Eicar-Test-Signature').waitFor({ timeout: 30_000 });
  assert.equal(await bad.getAttribute('data-phase'), 'infected');
  await fileRow(page, 'harmless.txt').getByText('Scanned: clean').waitFor();
  assert.equal(await fileRow(page, 'eicar.com').count(), 0, 'the infected file is not listed');
  await screenshot(page, 'files-upload-verdicts');
  const names = (await listFiles(member)).map((f) => f.name);
  assert.ok(names.includes('harmless.txt'));
  assert.ok(!names.includes('eicar.com'), 'nothing stored for the infected file');

  // The stored file comes back byte for byte.
  const downloading = page.waitForEvent('download');
  await fileRow(page, 'harmless.txt').getByRole('link', { name: 'Download harmless.txt' }).click();
  const download = await downloading;
  assert.equal(download.suggestedFilename(), 'harmless.txt');
  assert.deepEqual(readFileSync(await download.path()), clean);

  // And is deleted.
  await fileRow(page, 'harmless.txt').getByRole('button', { name: 'Delete harmless.txt' }).click();
  await page.getByRole('dialog', { name: 'Delete "harmless.txt"?' }).getByRole('button', { name: 'Delete', exact: true }).click();
  await fileRow(page, 'harmless.txt').waitFor({ state: 'detached' });
  assert.ok(!(await listFiles(member)).some((f) => f.name === 'harmless.txt'));
  expectNoProblems(member);
});

test('a 20 MB upload is paused, resumed, continued after a reload and stored', async () => {
  const { page, context } = member;
  const options = await page.request.fetch('/api/v1/uploads', { method: 'OPTIONS' });
  assert.equal(options.headers()['tus-version'], '1.0.0', `the server has no tus endpoint (OPTIONS: ${options.status()})`);
  const big = Buffer.alloc(20 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  const path = join(scratch, 'big.bin'); // a real file: the same name, size and date after a reload
  writeFileSync(path, big);
  // Slow the upload down (4 MB/s) so that there is time to pause it.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 4 * 1024 * 1024,
  });

  await page.goto('/files');
  await page.getByLabel('Files to upload').setInputFiles(path);
  const item = uploadItem(page, 'big.bin');
  await item.getByText(/\/s/).waitFor({ timeout: 30_000 }); // speed and time left are shown
  await item.getByRole('button', { name: 'Pause' }).click();
  await item.getByText('Paused').waitFor();
  assert.equal(await item.getAttribute('data-phase'), 'paused');
  await screenshot(page, 'files-upload-paused');
  await item.getByRole('button', { name: 'Resume' }).click();
  await item.getByRole('button', { name: 'Pause' }).waitFor();

  // Leave in the middle; the page offers to continue, choosing the file again does.
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid=upload] progress')?.getAttribute('value')) > 9 * 1024 * 1024,
    null,
    { timeout: 30_000 },
  );
  await page.reload();
  await page.getByTestId('unfinished').getByText('big.bin').waitFor();
  await screenshot(page, 'files-upload-unfinished');
  await page.getByLabel('Files to upload').setInputFiles(path);
  await item.getByText('continued from an earlier upload').waitFor();
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await item.getByText('Stored: no virus found').waitFor({ timeout: 60_000 });
  await fileRow(page, 'big.bin').getByText('21 MB').waitFor();
  assert.equal(await page.getByTestId('unfinished').count(), 0);

  const downloading = page.waitForEvent('download');
  await fileRow(page, 'big.bin').getByRole('link', { name: 'Download big.bin' }).click();
  assert.deepEqual(readFileSync(await (await downloading).path()), big);
  expectNoProblems(member);
});
