// Shared fixtures of the real-browser tests: `vanish serve` on a free port with a temp
// data dir, headless Chromium (playwright-core driving the system browser), pages that
// record every request, console message and CSP violation, and the checks on them.
//
// Env: VANISH_BIN (default target/debug/vanish), CHROMIUM_PATH (default /usr/bin/chromium),
// VANISH_REQUIRE_ALL=1 turns a missing binary or browser into a failure instead of a skip,
// VANISH_SCREENSHOT_DIR=/tmp/x saves phone and desktop screenshots of every page.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { seal } from '../envelope.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
// Absolute, since some tests run the CLI in another directory.
export const binary = resolve(process.env.VANISH_BIN || join(repoRoot, 'target/debug/vanish'));
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const requireAll = process.env.VANISH_REQUIRE_ALL === '1';
const screenshotDir = process.env.VANISH_SCREENSHOT_DIR || '';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };
// Chromium logs every non-2xx fetch as a console error; tests that expect one allow it.
const HTTP_ERROR_LOG = /^Failed to load resource: the server responded with a status of (\d+)/;

export function missingDependency() {
  if (!existsSync(chromiumPath)) return `Chromium not found at ${chromiumPath} (apt-get install -y chromium)`;
  if (!existsSync(binary)) return `vanish binary not found at ${binary} (cargo build -p vanish)`;
  let playwright;
  try {
    playwright = createRequire(import.meta.url)('playwright-core');
  } catch {
    return 'playwright-core is not installed (cd web/test && npm ci)';
  }
  return playwright ? '' : 'playwright-core did not load';
}


// ---- Fixtures ------------------------------------------------------------------

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `vanish serve` and resolves once /healthz answers. The server sees only the
 * variables set here (a developer's REDIS_URL or RATE_LIMIT_* must not change what the
 * tests run against), plus PATH. `port` and `dataDir` may be given (two servers in turn
 * on one store); a data dir given is the caller's to remove, one made here is removed
 * by `stop`.
 */
export async function startServer(extraEnv = {}, { port: givenPort, dataDir: givenDir } = {}) {
  const port = givenPort || await freePort();
  const dataDir = givenDir || mkdtempSync(join(tmpdir(), 'vanish-web-test-'));
  const output = [];
  const child = spawn(binary, ['serve'], {
    env: {
      PATH: process.env.PATH,
      VANISH_ADDR: `127.0.0.1:${port}`,
      VANISH_DATA_DIR: dataDir,
      // The suite creates a few dozen secrets from one address.
      RATE_LIMIT_CREATE_PER_WINDOW: '1000',
      RATE_LIMIT_READ_PER_WINDOW: '10000',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`vanish serve exited with ${child.exitCode}:\n${Buffer.concat(output).toString()}`);
    }
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`vanish serve did not get healthy:\n${Buffer.concat(output).toString()}`);
    await new Promise((r) => { setTimeout(r, 100); });
  }
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => { child.once('exit', r); });
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (!givenDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, stop, output };
}

/**
 * A fresh browser context and page that records every request (URL, headers,
 * body), console error/warning, page error and CSP violation.
 */
export async function openPage(browser, { viewport = DESKTOP, locale, colorScheme, extraHTTPHeaders } = {}) {
  const context = await browser.newContext({ viewport, locale, colorScheme, extraHTTPHeaders });
  const page = await context.newPage();
  const log = { requests: [], console: [], pageErrors: [], csp: [] };
  page.on('request', (request) => {
    log.requests.push({ url: request.url(), method: request.method(), body: request.postData() || '', headers: request.headers() });
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') log.console.push(message.text());
  });
  page.on('pageerror', (error) => log.pageErrors.push(error.message));
  // CDP-injected, so the page's CSP does not apply to this listener itself.
  await context.exposeBinding('__vanishCspViolation', (_source, text) => log.csp.push(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__vanishCspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return { context, page, log };
}

/** No CSP violation, no page error, no console error except the HTTP statuses in `allowStatuses`. */
export function assertCleanConsole(log, { allowStatuses = [] } = {}) {
  assert.deepEqual(log.csp, [], 'CSP violations');
  assert.deepEqual(log.pageErrors, [], 'uncaught page errors');
  const unexpected = log.console.filter((text) => {
    const match = HTTP_ERROR_LOG.exec(text);
    return !(match && allowStatuses.includes(Number(match[1])));
  });
  assert.deepEqual(unexpected, [], 'console errors and warnings');
}

/** None of `needles` (key, passphrase, plaintext) appears in any request URL, header or body. */
export function assertNothingLeaked(log, needles) {
  assert.ok(log.requests.length > 0, 'requests were recorded');
  for (const needle of needles.filter(Boolean)) {
    for (const request of log.requests) {
      const wire = `${request.method} ${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`;
      assert.ok(!wire.includes(needle), `request ${request.method} ${request.url} carries ${JSON.stringify(needle.slice(0, 12))}…`);
    }
  }
}

export async function metaOf(base, id) {
  const response = await fetch(`${base}/api/secrets/${id}/meta`);
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Creates a secret straight through the API with the same envelope code as the UI. */
export async function createViaApi(base, plaintext, { maxViews = 1, passphrase = '' } = {}) {
  const sealed = await seal(plaintext, { passphrase });
  const body = { encrypted: sealed.encrypted, iv: sealed.iv, ttl: 3_600_000, maxViews };
  if (sealed.passphraseVerifier) body.passphraseVerifier = sealed.passphraseVerifier;
  const response = await fetch(`${base}/api/secrets`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(response.status, 201);
  const created = await response.json();
  return { ...created, key: sealed.key, link: `${base}/s/${created.id}#${sealed.key}` };
}

/** Fills the create form and returns `{link, id, key, manageLink}` from the result view. */
export async function createInUi(page, base, { secret, ttl = '3600000', views = '1', passphrase = '' }) {
  await page.goto(`${base}/`);
  await page.locator('#create-view').waitFor();
  await page.fill('#secret', secret);
  await page.selectOption('#ttl', ttl);
  await page.fill('#views', views);
  if (passphrase) await page.fill('#passphrase', passphrase);
  await page.click('#create-button');
  await page.locator('#result-view').waitFor({ timeout: 20_000 });
  const link = await page.inputValue('#share-link');
  const match = /^(.+)\/s\/([A-Za-z0-9]{8,64})#([A-Za-z0-9_-]{43})$/.exec(link);
  assert.ok(match, `share link has the form {base}/s/{id}#{key}: ${link}`);
  assert.equal(match[1], base);
  return { link, id: match[2], key: match[3], manageLink: await page.inputValue('#manage-link') };
}

export async function screenshot(page, name) {
  if (!screenshotDir) return;
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** A new API token and its SHA-256, from `vanish token --json` (docs/operations.md). */
export function makeToken() {
  const result = spawnSync(binary, ['token', '--json'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(result.status, 0, result.stderr);
  const { token, hash } = JSON.parse(result.stdout);
  assert.match(hash, /^[0-9a-f]{64}$/);
  return { token, hash };
}

export function cliHasSend() {
  const result = spawnSync(binary, ['send', '--help'], { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0;
}

/**
 * Defines a browser suite: `define({server, browser})` declares tests that use
 * `server.base` and `browser.newContext`, started once for the file. Without Chromium, the
 * binary or playwright-core it skips loudly, or fails under VANISH_REQUIRE_ALL=1.
 */
export function browserSuite(name, define, { serverEnv = {} } = {}) {
  const missing = missingDependency();
  if (missing && requireAll) {
    test(`${name}: browser test dependencies are present (VANISH_REQUIRE_ALL=1)`, () => assert.fail(missing));
    return;
  }
  if (missing) {
    console.log(`\n*** SKIPPED: ${name}: ${missing} ***\n`);
    test(name, { skip: missing }, () => {});
    return;
  }
  const { chromium } = createRequire(import.meta.url)('playwright-core');
  let server = null;
  let browser = null;
  before(async () => {
    server = await startServer(serverEnv);
    // launch() gives Chromium a fresh temporary --user-data-dir of its own and
    // removes it on close; each test then opens isolated contexts in it.
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
  // Stand-ins that reach the real server and browser once `before` has started them.
  define({
    server: { get base() { return server.base; }, get output() { return server.output; } },
    browser: { newContext: (options) => browser.newContext(options) },
  });
}
