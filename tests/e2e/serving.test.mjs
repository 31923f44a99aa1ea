// How furoshiki serves the UI: strict CSP on the page, hashed assets cached as immutable,
// index.html revalidated, nothing served outside the table of built files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Instance, launchBrowser, newPerson, expectNoProblems, screenshot } from './harness.mjs';

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

test('the page loads under a strict Content-Security-Policy without violations', async () => {
  const person = await newPerson(browser, instance);
  const { page } = person;
  const response = await page.goto('/');
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(response.headers()['cache-control'], 'no-cache');
  assert.ok(response.headers()['etag']);
  // Signed out: the app sends the visitor to the sign-in page.
  await page.waitForURL('**/login');
  await screenshot(page, 'serving-login-redirect');
  expectNoProblems(person);
  await person.context.close();
});

test('the sign-in page fits a phone screen in both languages', async () => {
  for (const locale of ['en-US', 'ja-JP']) {
    const person = await newPerson(browser, instance, { locale });
    const { page } = person;
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto('/login');
    await page.locator('form').first().waitFor();
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen (${locale})`);
    await screenshot(page, `serving-login-phone-${locale}`);
    expectNoProblems(person);
    await person.context.close();
  }
});

test('assets are immutable for a year; unknown files and traversal get 404', async () => {
  const person = await newPerson(browser, instance);
  const { page } = person;
  const html = await (await page.request.get('/login')).text();
  const script = html.match(/src="(\/assets\/[^"]+\.js)"/)[1];
  const asset = await page.request.get(script);
  assert.equal(asset.status(), 200);
  assert.equal(asset.headers()['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(asset.headers()['content-type'], /^text\/javascript/);
  const etag = asset.headers()['etag'];
  const again = await page.request.get(script, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status(), 304);
  for (const path of ['/assets/nope.js', '/assets/..%2f..%2fetc%2fpasswd', '/assets/%2e%2e/index.html', '/index.html']) {
    const res = await page.request.get(path);
    assert.equal(res.status(), 404, path);
  }
  await person.context.close();
});
