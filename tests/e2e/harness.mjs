// Browser-test harness: a temporary furoshiki instance made by the real `furoshiki init`, the real
// `furoshiki serve` on 127.0.0.1 (port chosen by the kernel), and Debian's Chromium driven by
// playwright-core. Every wait has a deadline; a server that never starts fails the test with its
// log. Screenshots go to FUROSHIKI_E2E_ARTIFACTS (scripts/dev test keeps them as artifacts).
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');

export const binary = process.env.FUROSHIKI_BINARY ?? join(repo, 'build/release/furoshiki');
export const webRoot = process.env.FUROSHIKI_WEB_ROOT ?? join(repo, 'web/dist');
export const artifacts = process.env.FUROSHIKI_E2E_ARTIFACTS ?? join(repo, 'build/e2e-artifacts');
const chromiumPath = process.env.FUROSHIKI_CHROMIUM ?? '/usr/bin/chromium';

function furoshiki(args) {
  return execFileSync(binary, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

// A running server with one organization ("e2e") whose first admin is admin@e2e.test.
export class Instance {
  static async start() {
    const instance = new Instance();
    await instance.#start();
    return instance;
  }

  #proc = null;
  #log = [];

  async #start() {
    this.dir = mkdtempSync(join(tmpdir(), 'furoshiki-e2e-'));
    furoshiki(['init', '--dir', this.dir, '--hostname', 'localhost', '--port', '8443', '--no-definition-updates']);
    this.config = join(this.dir, 'furoshiki.toml');
    let toml = readFileSync(this.config, 'utf8');
    toml = toml.replace(/^listen = .*$/m, 'listen = ["127.0.0.1:0"]');
    toml += `\n[web]\nroot = ${JSON.stringify(webRoot)}\n`;
    writeFileSync(this.config, toml);
    const created = this.createOrg('e2e', 'E2E Corporation', 'admin@e2e.test', 'Erika Admin');
    this.org = 'e2e';
    this.admin = { login: 'admin@e2e.test', password: created.password };

    this.#proc = spawn(binary, ['serve', '--config', this.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await new Promise((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error('server did not start in 20 s:\n' + this.log())), 20_000);
      let https = null;
      const onLine = (line) => {
        this.#log.push(line);
        if (this.#log.length > 5000) this.#log.shift();
        let event;
        try {
          event = JSON.parse(line);
        } catch {
          return;
        }
        if (event.event === 'listening' && event.scheme === 'https') https = Number(String(event.address).split(':').pop());
        if (event.event === 'server_started' && https) {
          clearTimeout(timer);
          resolvePort(https);
        }
      };
      for (const stream of [this.#proc.stdout, this.#proc.stderr]) {
        let rest = '';
        stream.on('data', (chunk) => {
          rest += chunk.toString('utf8');
          let nl;
          while ((nl = rest.indexOf('\n')) >= 0) {
            onLine(rest.slice(0, nl));
            rest = rest.slice(nl + 1);
          }
        });
      }
      this.#proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n` + this.log()));
      });
    });
    this.baseURL = `https://127.0.0.1:${port}`;
  }

  // Creates an organization through the operator CLI; returns its first admin's one-time password.
  createOrg(code, name, email, displayName) {
    const out = furoshiki([
      'org', 'create', '--config', this.config, '--code', code, '--name', name,
      '--admin-email', email, '--admin-name', displayName,
    ]);
    const match = out.match(/one-time password:\s+(\S+)/);
    if (!match) throw new Error('no one-time password in: ' + out);
    return { password: match[1] };
  }

  log() {
    return this.#log.join('\n');
  }

  // Log lines that are JSON objects with the given event.
  events(name) {
    return this.#log.flatMap((line) => {
      try {
        const e = JSON.parse(line);
        return e.event === name ? [e] : [];
      } catch {
        return [];
      }
    });
  }

  async stop() {
    const proc = this.#proc;
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function launchBrowser() {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing (Debian package chromium)`);
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
}

// A browser context for one person: its own cookies, a fixed language and time zone. Console
// errors, page errors and Content-Security-Policy violations are collected in `problems`; tests
// end with expectNoProblems() so that a page which works but breaks the CSP still fails.
export async function newPerson(browser, instance, { locale = 'en-US' } = {}) {
  const context = await browser.newContext({
    baseURL: instance.baseURL,
    ignoreHTTPSErrors: true, // the instance's certificate is self-signed
    locale,
    timezoneId: 'UTC',
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return { context, page, problems };
}

export function expectNoProblems(person) {
  if (person.problems.length) throw new Error('browser reported:\n' + person.problems.join('\n'));
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret, at `time` (ms since the epoch).
export function totp(secretBase32, time = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/[=\s]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error('not base32: ' + c);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}
