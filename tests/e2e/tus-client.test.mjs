// The reference tus client, tus-js-client (npm, unmodified, in Node), against the real server:
// a 50 MB upload with an API token is interrupted part-way (upload.abort() closes the PATCH's
// connection) and started again; it resumes from the offset the server reports (HEAD), which
// counts only durably sealed chunks, and the stored file is byte-identical. No browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'playwright-core';
import { Upload, DefaultHttpStack } from 'tus-js-client';
import { Instance } from './harness.mjs';

const PASSWORD = 'Tide-Lantern-8316-Harbor';
const SIZE = 50 * 1000 * 1000;
const CHUNK = 64 * 1024; // the object format's chunk: the server's offsets are multiples of it

let instance;
let api; // an API request context, signed in as the organization's admin
let token; // an API token of that admin

before(async () => {
  instance = await Instance.start();
  api = await request.newContext({ baseURL: instance.baseURL, ignoreHTTPSErrors: true });
  let res = await api.post('/api/v1/auth/login', {
    data: { org: instance.org, login: instance.admin.login, password: instance.admin.password },
  });
  assert.equal(res.status(), 200, await res.text());
  let csrf = (await res.json()).csrf_token;
  res = await api.post('/api/v1/me/password', {
    headers: { 'X-CSRF-Token': csrf },
    data: { current: instance.admin.password, new: PASSWORD },
  });
  assert.equal(res.status(), 204, await res.text());
  res = await api.get('/api/v1/auth/csrf');
  csrf = (await res.json()).csrf_token;
  res = await api.post('/api/v1/me/tokens', {
    headers: { 'X-CSRF-Token': csrf },
    data: { name: 'tus-js-client', expires_in_days: 1 },
  });
  assert.equal(res.status(), 201, await res.text());
  token = (await res.json()).value;
  assert.ok(token);
});

after(async () => {
  await api?.dispose();
  await instance?.stop();
});

test('tus-js-client uploads 50 MB, is interrupted, resumes from the server offset, and the file is identical', async () => {
  const data = Buffer.alloc(SIZE);
  randomFillSync(data);
  const sha256 = createHash('sha256').update(data).digest('hex');
  // The instance's own self-signed certificate, trusted for this client only.
  const ca = readFileSync(join(instance.dir, 'tls', 'cert.pem'));
  const heads = []; // Upload-Offset of every HEAD the client made
  const patches = []; // [offset sent, status] of every PATCH
  let creations = 0;
  let interrupted = false;
  let uploadUrl = null;

  const upload = await new Promise((resolveUpload, reject) => {
    let resolveDone;
    const done = new Promise((r) => (resolveDone = r));
    const up = new Upload(data, {
      endpoint: `${instance.baseURL}/api/v1/uploads`,
      headers: { Authorization: `Bearer ${token}` },
      metadata: { filename: 'tus-js-client.bin', filetype: 'application/octet-stream' },
      httpStack: new DefaultHttpStack({ ca }),
      retryDelays: [100, 300, 1000, 2000, 3000],
      onAfterResponse(req, res) {
        const method = req.getMethod();
        if (method === 'POST') creations++;
        if (method === 'HEAD') heads.push(Number(res.getHeader('Upload-Offset')));
        if (method === 'PATCH') patches.push([Number(req.getHeader('Upload-Offset')), res.getStatus()]);
      },
      onUploadUrlAvailable() {
        uploadUrl = up.url;
      },
      onProgress(sent) {
        if (!interrupted && sent > 20 * 1000 * 1000) {
          interrupted = true;
          // The connection goes down mid-body; start again a moment later, as a client would
          // after a network drop.
          up.abort().then(() => setTimeout(() => up.start(), 200), reject);
        }
      },
      onSuccess() {
        resolveDone();
      },
      onError: reject,
    });
    up.start();
    done.then(() => resolveUpload(up), reject);
  });

  assert.ok(interrupted, 'the upload was interrupted');
  assert.equal(creations, 1, 'the second start resumed the same upload instead of creating another');
  assert.ok(heads.length >= 1, 'the client asked the server for its offset');
  const resumedAt = heads[0];
  assert.ok(resumedAt > 0 && resumedAt < SIZE, `resumed from ${resumedAt}, not from 0 or the end`);
  assert.equal(resumedAt % CHUNK, 0, 'only whole sealed chunks count as received');
  assert.ok(patches.some(([offset]) => offset === resumedAt), 'a PATCH continued from that offset');

  // The verdict and the stored file.
  const id = new URL(upload.url ?? uploadUrl).pathname.split('/').pop();
  const headers = { Authorization: `Bearer ${token}` };
  const state = await api.get(`/api/v1/uploads/${id}`, { headers });
  assert.equal(state.status(), 200, await state.text());
  const s = await state.json();
  assert.equal(s.state, 'clean', JSON.stringify(s));
  const file = await (await api.get(`/api/v1/files/${s.file_id}`, { headers })).json();
  assert.equal(file.size, SIZE);
  assert.equal(file.sha256, sha256);
  const content = await api.get(`/api/v1/files/${s.file_id}/content`, { headers });
  assert.equal(content.status(), 200);
  const body = await content.body();
  assert.equal(createHash('sha256').update(body).digest('hex'), sha256, 'the downloaded bytes are the uploaded ones');
});
