// Real-browser tests of the web UI: headless Chromium (via playwright-core, no
// downloaded browser) against the real `vanish serve` binary on a free port with a
// temporary data dir.
//
// Env: VANISH_BIN (default target/debug/vanish), CHROMIUM_PATH (default /usr/bin/chromium),
// VANISH_REQUIRE_ALL=1 turns a missing binary or browser into a failure instead of a skip,
// VANISH_SCREENSHOT_DIR=/tmp/x saves phone and desktop screenshots of every page.
// Run: web/test/run.sh, or `node --test web/test/browser.test.mjs` after `npm ci` in web/test.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { encodeBase64Url, seal } from '../envelope.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const binary = process.env.VANISH_BIN || join(repoRoot, 'target/debug/vanish');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const requireAll = process.env.VANISH_REQUIRE_ALL === '1';
const screenshotDir = process.env.VANISH_SCREENSHOT_DIR || '';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
// Chromium logs every non-2xx fetch as a console error; tests that expect one allow it.
const HTTP_ERROR_LOG = /^Failed to load resource: the server responded with a status of (\d+)/;

function missingDependency() {
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

const missing = missingDependency();
if (missing && requireAll) {
  test('browser test dependencies are present (VANISH_REQUIRE_ALL=1)', () => assert.fail(missing));
} else if (missing) {
  console.log(`\n*** SKIPPED: web UI browser tests: ${missing} ***\n`);
  test('web UI browser tests', { skip: missing }, () => {});
} else {
  defineSuite();
}

// ---- Fixtures ------------------------------------------------------------------

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts `vanish serve` and resolves once /healthz answers. */
async function startServer() {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'vanish-web-test-'));
  const output = [];
  const child = spawn(binary, ['serve'], {
    env: {
      ...process.env,
      VANISH_ADDR: `127.0.0.1:${port}`,
      VANISH_DATA_DIR: dataDir,
      // The suite creates a few dozen secrets from one address.
      RATE_LIMIT_CREATE_PER_WINDOW: '1000',
      RATE_LIMIT_READ_PER_WINDOW: '10000',
      LOG_LEVEL: 'warn',
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
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, stop, output };
}

/**
 * A fresh browser context and page that records every request (URL, headers,
 * body), console error/warning, page error and CSP violation.
 */
async function openPage(browser, { viewport = DESKTOP } = {}) {
  const context = await browser.newContext({ viewport });
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
function assertCleanConsole(log, { allowStatuses = [] } = {}) {
  assert.deepEqual(log.csp, [], 'CSP violations');
  assert.deepEqual(log.pageErrors, [], 'uncaught page errors');
  const unexpected = log.console.filter((text) => {
    const match = HTTP_ERROR_LOG.exec(text);
    return !(match && allowStatuses.includes(Number(match[1])));
  });
  assert.deepEqual(unexpected, [], 'console errors and warnings');
}

/** None of `needles` (key, passphrase, plaintext) appears in any request URL, header or body. */
function assertNothingLeaked(log, needles) {
  assert.ok(log.requests.length > 0, 'requests were recorded');
  for (const needle of needles.filter(Boolean)) {
    for (const request of log.requests) {
      const wire = `${request.method} ${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`;
      assert.ok(!wire.includes(needle), `request ${request.method} ${request.url} carries ${JSON.stringify(needle.slice(0, 12))}…`);
    }
  }
}

async function metaOf(base, id) {
  const response = await fetch(`${base}/api/secrets/${id}/meta`);
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Creates a secret straight through the API with the same envelope code as the UI. */
async function createViaApi(base, plaintext, { maxViews = 1, passphrase = '' } = {}) {
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
async function createInUi(page, base, { secret, ttl = '3600000', views = '1', passphrase = '' }) {
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

async function screenshot(page, name) {
  if (!screenshotDir) return;
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

function cliHasSend() {
  const result = spawnSync(binary, ['send', '--help'], { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0;
}

// ---- The suite -------------------------------------------------------------------

function defineSuite() {
  const { chromium } = createRequire(import.meta.url)('playwright-core');
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    // launch() gives Chromium a fresh temporary --user-data-dir of its own and
    // removes it on close; each test then opens isolated contexts in it.
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  describe('create and reveal', () => {
    test('a secret created in the UI is revealed once in the UI, and nothing secret goes over the wire', async () => {
      const secret = `correct horse battery staple ${Date.now()}\nsecond line ✓`;
      const sender = await openPage(browser);
      const { link, id, key } = await createInUi(sender.page, server.base, { secret });
      assert.equal(await sender.page.inputValue('#secret'), '', 'the textarea is cleared after creating');
      assert.match(await sender.page.textContent('#result-summary'), /1 view/);

      const recipient = await openPage(browser);
      await recipient.page.goto(link);
      await recipient.page.locator('#ready-view').waitFor();
      assert.equal(await recipient.page.evaluate(() => location.hash), '', 'the key is removed from the address bar');
      assert.equal(recipient.page.url(), `${server.base}/s/${id}`);
      assert.match(await recipient.page.textContent('#ready-meta'), /opened once/);
      assert.equal(await recipient.page.isVisible('#passphrase'), false, 'no passphrase field without a passphrase');
      assert.equal((await metaOf(server.base, id)).body.viewsLeft, 1, 'loading the page consumed nothing');

      await recipient.page.click('#reveal-button');
      await recipient.page.locator('#secret-view').waitFor();
      assert.equal(await recipient.page.textContent('#secret-text'), secret);
      assert.match(await recipient.page.textContent('#secret-notice'), /destroyed/);
      assert.equal((await metaOf(server.base, id)).status, 404, 'the single view is used up');
      
      // A reload has no key any more: the page says so and asks the server nothing.
      const before = recipient.log.requests.length;
      await recipient.page.reload();
      await recipient.page.locator('#badlink-view').waitFor();
      assert.equal(recipient.log.requests.slice(before).filter((r) => r.url.includes('/api/')).length, 0);

      for (const { log } of [sender, recipient]) {
        assertCleanConsole(log);
        assertNothingLeaked(log, [key, secret, 'correct horse battery staple']);
      }
      await sender.context.close();
      await recipient.context.close();
    });

    test('opening the reveal page consumes nothing until Reveal is clicked', async () => {
      const created = await createViaApi(server.base, 'still here', { maxViews: 2 });
      for (let i = 0; i < 3; i += 1) {
        const { context, page, log } = await openPage(browser);
        await page.goto(created.link);
        await page.locator('#ready-view').waitFor();
        assert.match(await page.textContent('#ready-meta'), /2 more times/);
        await page.waitForTimeout(300);
        assertCleanConsole(log);
        assert.deepEqual(
          log.requests.filter((r) => r.url.includes('/api/')).map((r) => `${r.method} ${new URL(r.url).pathname}`),
          [`GET /api/secrets/${created.id}/meta`],
          'the page only asks for metadata',
        );
        await context.close();
      }
      const meta = await metaOf(server.base, created.id);
      assert.equal(meta.status, 200);
      assert.equal(meta.body.viewsLeft, 2);
      const status = await fetch(`${server.base}/api/secrets/${created.id}/status`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ manageToken: created.manageToken }),
      });
      assert.equal((await status.json()).state, 'pending');
    });

    test('a secret with several views says how many are left after revealing', async () => {
      const created = await createViaApi(server.base, 'two views', { maxViews: 2 });
      const { context, page, log } = await openPage(browser);
      await page.goto(created.link);
      await page.click('#reveal-button');
      await page.locator('#secret-view').waitFor();
      assert.equal(await page.textContent('#secret-text'), 'two views');
      assert.match(await page.textContent('#secret-notice'), /once more/);
      assert.equal((await metaOf(server.base, created.id)).body.viewsLeft, 1);
      assertCleanConsole(log);
      await context.close();
    });

    test('HTML and scripts in a secret are shown as text and never run', async () => {
      const secret = '<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script>'
        + '<b>bold?</b> & &amp; "quotes" \'single\' <iframe src="javascript:window.__pwned=1"></iframe>';
      const sender = await openPage(browser);
      const { link } = await createInUi(sender.page, server.base, { secret });
      const { context, page, log } = await openPage(browser);
      await page.goto(link);
      await page.click('#reveal-button');
      await page.locator('#secret-view').waitFor();
      await page.waitForTimeout(300);
      assert.equal(await page.textContent('#secret-text'), secret);
      assert.equal(await page.evaluate(() => document.getElementById('secret-text').childElementCount), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      assert.equal(await page.evaluate(() => document.querySelectorAll('img[src="x"], iframe').length), 0);
      assertCleanConsole(log);
      assertCleanConsole(sender.log);
      await context.close();
      await sender.context.close();
    });

    test('the original link form /?id={id}#key opens the reveal page and reveals', async () => {
      const created = await createViaApi(server.base, 'from an old link');
      const { context, page, log } = await openPage(browser);
      await page.goto(`${server.base}/?id=${created.id}#${created.key}`);
      await page.locator('#ready-view').waitFor();
      assert.equal(page.url(), `${server.base}/s/${created.id}`, 'redirected, key kept in the page only');
      assert.equal((await metaOf(server.base, created.id)).body.viewsLeft, 1);
      await page.click('#reveal-button');
      await page.locator('#secret-view').waitFor();
      assert.equal(await page.textContent('#secret-text'), 'from an old link');
      assertCleanConsole(log);
      assertNothingLeaked(log, [created.key, 'from an old link']);
      await context.close();
    });

    test('a secret of non-ASCII text survives the round trip exactly', async () => {
      const secret = 'Grüße, 你好, 🔑 — tabs\tand\r\nCRLF  trailing spaces  ';
      const sender = await openPage(browser);
      const { link } = await createInUi(sender.page, server.base, { secret });
      const { context, page } = await openPage(browser);
      await page.goto(link);
      await page.click('#reveal-button');
      await page.locator('#secret-view').waitFor();
      // A textarea normalises CRLF to LF on input, as every browser form does.
      assert.equal(await page.textContent('#secret-text'), secret.replace(/\r\n/g, '\n'));
      await context.close();
      await sender.context.close();
    });
  });

  describe('passphrase', () => {
    test('a wrong passphrase is refused and consumes nothing; the right one reveals', async () => {
      const secret = 'behind a passphrase';
      const passphrase = 'tr0ub4dor & 3';
      const sender = await openPage(browser);
      const { link, id, key } = await createInUi(sender.page, server.base, { secret, passphrase });
      assert.equal(await sender.page.isVisible('#result-passphrase'), true);
      assert.equal(await sender.page.inputValue('#passphrase'), '', 'the passphrase field is cleared');

      const { context, page, log } = await openPage(browser);
      await page.goto(link);
      await page.locator('#ready-view').waitFor();
      assert.equal(await page.isVisible('#passphrase'), true, 'the passphrase field is shown');
      assert.equal((await metaOf(server.base, id)).body.passphraseRequired, true);

      await page.click('#reveal-button');
      assert.match(await page.textContent('#passphrase-error'), /Enter the passphrase/);

      await page.fill('#passphrase', 'wrong guess');
      await page.click('#reveal-button');
      await page.locator('#passphrase-error').getByText('not right').waitFor({ timeout: 20_000 });
      assert.equal(await page.getAttribute('#passphrase', 'aria-invalid'), 'true');
      assert.equal(await page.isVisible('#ready-view'), true);
      assert.equal((await metaOf(server.base, id)).body.viewsLeft, 1, 'a wrong passphrase consumed nothing');

      await page.fill('#passphrase', passphrase);
      await page.click('#reveal-button');
      await page.locator('#secret-view').waitFor({ timeout: 20_000 });
      assert.equal(await page.textContent('#secret-text'), secret);

      const reveals = log.requests.filter((r) => r.url.endsWith('/reveal'));
      assert.equal(reveals.length, 2);
      for (const r of reveals) assert.match(JSON.parse(r.body).passphraseProof, /^[A-Za-z0-9_-]{43}$/);
      assertCleanConsole(log, { allowStatuses: [401] });
      for (const l of [log, sender.log]) assertNothingLeaked(l, [key, passphrase, secret, 'wrong guess']);
      await context.close();
      await sender.context.close();
    });
  });

  describe('broken and spent links', () => {
    test('an unknown secret shows the not-available page', async () => {
      const { context, page, log } = await openPage(browser);
      const key = encodeBase64Url(new Uint8Array(32).fill(7));
      await page.goto(`${server.base}/s/AAAAAAAAAAAAAAAAAAAAAA#${key}`);
      await page.locator('#gone-view').waitFor();
      assert.match(await page.textContent('#gone-title'), /not available/);
      await screenshot(page, 'desktop-reveal-gone');
      assertCleanConsole(log, { allowStatuses: [404] });
      await context.close();
    });

    test('a link without its key, or with a damaged key, says so and asks the server nothing', async () => {
      const created = await createViaApi(server.base, 'unreachable');
      for (const suffix of ['', '#', `#${created.key.slice(0, 30)}`, `#${created.key}!!`]) {
        const { context, page, log } = await openPage(browser);
        await page.goto(`${server.base}/s/${created.id}${suffix}`);
        await page.locator('#badlink-view').waitFor();
        assert.equal(log.requests.filter((r) => r.url.includes('/api/')).length, 0, `no API call for ${JSON.stringify(suffix)}`);
        assertCleanConsole(log);
        await context.close();
      }
      assert.equal((await metaOf(server.base, created.id)).body.viewsLeft, 1);
    });

    test('a secret already revealed elsewhere shows the not-available page on Reveal', async () => {
      const created = await createViaApi(server.base, 'race');
      const { context, page, log } = await openPage(browser);
      await page.goto(created.link);
      await page.locator('#ready-view').waitFor();
      const first = await fetch(`${server.base}/api/secrets/${created.id}/reveal`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
      });
      assert.equal(first.status, 200);
      await page.click('#reveal-button');
      await page.locator('#gone-view').waitFor();
      assertCleanConsole(log, { allowStatuses: [404] });
      await context.close();
    });

    test('rate limiting and outages show a clear message, and Try again recovers without revealing', async () => {
      const created = await createViaApi(server.base, 'after the outage');
      const { context, page, log } = await openPage(browser);
      const error = (status, code, headers = {}) => (route) => route.fulfill({
        status, headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ error: code, message: 'simulated', requestId: 'test' }),
      });
      // The server's own limits are tested in Rust; here the answers are injected.
      await page.route('**/api/secrets/*/meta', error(429, 'RATE_LIMITED', { 'Retry-After': '120' }));
      await page.goto(created.link);
      await page.locator('#error-view').waitFor();
      assert.match(await page.textContent('#error-text'), /Too many requests.*in 2 minutes.*Nothing has been opened/);
      await page.unroute('**/api/secrets/*/meta');

      await page.route('**/api/secrets/*/reveal', error(503, 'STORE_UNAVAILABLE', { 'Retry-After': '5' }));
      await page.click('#retry-button');
      await page.locator('#ready-view').waitFor();
      await page.click('#reveal-button');
      await page.locator('#error-view').waitFor();
      assert.match(await page.textContent('#error-text'), /having trouble/);
      assert.equal((await metaOf(server.base, created.id)).body.viewsLeft, 1);
      await page.unroute('**/api/secrets/*/reveal');

      await page.click('#retry-button');
      await page.locator('#ready-view').waitFor();
      await page.click('#reveal-button');
      await page.locator('#secret-view').waitFor();
      assert.equal(await page.textContent('#secret-text'), 'after the outage');
      assertCleanConsole(log, { allowStatuses: [429, 503] });
      await context.close();
    });

    test('a failed create keeps the text so nothing is lost', async () => {
      const { context, page, log } = await openPage(browser);
      await page.route('**/api/secrets', (route) => route.fulfill({
        status: 403, headers: { 'Content-Type': 'application/json', 'Retry-After': '3600' },
        body: JSON.stringify({ error: 'BANNED', message: 'simulated', requestId: 'test' }),
      }));
      await page.goto(`${server.base}/`);
      await page.fill('#secret', 'keep me');
      await page.click('#create-button');
      await page.locator('#create-error').getByText('temporarily blocked').waitFor();
      assert.equal(await page.inputValue('#secret'), 'keep me');
      assert.equal(await page.isVisible('#result-view'), false);
      assertCleanConsole(log, { allowStatuses: [403] });
      await context.close();
    });
  });

  describe('receipt', () => {
    test('the sender sees the secret opened, and can burn another from the receipt link', async () => {
      const sender = await openPage(browser);
      const first = await createInUi(sender.page, server.base, { secret: 'receipt one', views: '2' });
      assert.match(await sender.page.textContent('#manage-status'), /Not opened yet/);
      const reveal = await fetch(`${server.base}/api/secrets/${first.id}/reveal`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
      });
      assert.equal(reveal.status, 200);
      await sender.page.click('#status-button');
      await sender.page.locator('#manage-status').getByText('1 view left of 2').waitFor();
      assert.match(await sender.page.textContent('#manage-status'), /Opened/);

      await sender.page.click('#create-another');
      assert.equal(await sender.page.isVisible('#create-view'), true);
      const second = await createInUi(sender.page, server.base, { secret: 'receipt two' });
      const token = new URL(second.manageLink).hash.slice(1);
      assert.equal(new URL(second.manageLink).searchParams.get('manage'), second.id);

      const { context, page, log } = await openPage(browser);
      await page.goto(second.manageLink);
      await page.locator('#manage-view').waitFor();
      assert.equal(await page.evaluate(() => location.hash), '', 'the manage token is removed from the address bar');
      await page.locator('#manage-status').getByText('Not opened yet').waitFor();
      await page.click('#burn-button');
      await page.click('#burn-yes');
      await page.locator('#manage-status').getByText('Destroyed').waitFor();
      assert.equal(await page.isDisabled('#burn-button'), true);
      assert.equal((await metaOf(server.base, second.id)).status, 404, 'burned');

      const recipient = await openPage(browser);
      await recipient.page.goto(second.link);
      await recipient.page.locator('#gone-view').waitFor();
      assertCleanConsole(log);
      assertCleanConsole(sender.log);
      assertNothingLeaked(log, [second.key, 'receipt two']);
      assert.ok(!log.requests.some((r) => r.url.includes(token)), 'the manage token is sent in bodies only');
      for (const c of [context, sender.context, recipient.context]) await c.close();
    });
  });

  describe('layout and keyboard', () => {
    for (const [device, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
      test(`the pages fit a ${device} screen without sideways scrolling, with large tap targets`, async () => {
        const created = await createViaApi(server.base, `a long line without spaces: ${'x'.repeat(500)}`);
        const { context, page, log } = await openPage(browser, { viewport });
        const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
        await page.goto(`${server.base}/`);
        await page.locator('#create-view').waitFor();
        await screenshot(page, `${device}-create`);
        assert.ok(await fits(), 'create page fits');
        await page.goto(created.link);
        await page.locator('#ready-view').waitFor();
        await screenshot(page, `${device}-reveal-ready`);
        await page.click('#reveal-button');
        await page.locator('#secret-view').waitFor();
        await screenshot(page, `${device}-reveal-secret`);
        assert.ok(await fits(), 'reveal page fits');
        const heights = await page.evaluate(() => [...document.querySelectorAll('button, .button')]
          .filter((b) => b.offsetParent).map((b) => b.getBoundingClientRect().height));
        assert.ok(heights.length > 0 && heights.every((h) => h >= 44), `buttons are at least 44px tall: ${heights}`);
        assertCleanConsole(log);
        await context.close();
      });
    }

    test('a secret can be created with the keyboard alone, in a sensible focus order', async () => {
      const { context, page, log } = await openPage(browser);
      await page.goto(`${server.base}/`);
      await page.locator('#create-view').waitFor();
      const order = [];
      for (let i = 0; i < 8; i += 1) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.className));
      }
      assert.deepEqual(order.slice(0, 8), [
        'skip-link', 'brand', 'secret', 'ttl', 'views', 'passphrase', 'passphrase-toggle', 'create-button',
      ]);
      await page.focus('#secret');
      await page.keyboard.type('typed by keyboard');
      await page.focus('#create-button');
      await page.keyboard.press('Enter');
      await page.locator('#result-view').waitFor();
      assert.equal(await page.evaluate(() => document.activeElement.id), 'result-title', 'focus moves to the result');
      assertCleanConsole(log);
      await screenshot(page, 'desktop-create-result');
      await context.close();
    });

    test('the form explains what is wrong instead of submitting', async () => {
      const { context, page, log } = await openPage(browser);
      await page.goto(`${server.base}/`);
      await page.locator('#create-view').waitFor();
      await page.click('#create-button');
      assert.match(await page.textContent('#secret-error'), /Write the secret/);
      assert.equal(await page.evaluate(() => document.activeElement.id), 'secret');
      await page.fill('#secret', 'something');
      await page.fill('#views', '0');
      await page.click('#create-button');
      assert.match(await page.textContent('#views-error'), /1 to 100/);
      assert.equal(log.requests.filter((r) => r.url.includes('/api/')).length, 0);
      await context.close();
    });
  });

  describe('CLI interop', () => {
    const hasSend = existsSync(binary) && cliHasSend();
    if (!hasSend) console.log(`\n*** SKIPPED: CLI <-> browser interop: ${binary} has no 'send' subcommand yet ***\n`);
    const cliTest = (name, fn) => test(name, { skip: hasSend ? false : 'vanish send/get not available' }, fn);

    cliTest('a secret sent with `vanish send` is revealed in the browser', async () => {
      const secret = `from the CLI ${Date.now()} ✓ <b>`;
      const sent = spawnSync(binary, ['send', '--server', server.base], { input: secret, encoding: 'utf8', timeout: 30_000 });
      assert.equal(sent.status, 0, sent.stderr);
      const link = sent.stdout.trim().split('\n').pop().trim();
      assert.match(link, /\/s\/[A-Za-z0-9]+#[A-Za-z0-9_-]{43}$/);
      const { context, page, log } = await openPage(browser);
      await page.goto(link);
      await page.click('#reveal-button');
      await page.locator('#secret-view').waitFor();
      assert.equal(await page.textContent('#secret-text'), secret);
      assertCleanConsole(log);
      assertNothingLeaked(log, [link.split('#')[1], secret]);
      await context.close();
    });

    cliTest('a secret created in the browser is read with `vanish get`', async () => {
      const secret = `from the browser ${Date.now()} ✓\nline two`;
      const sender = await openPage(browser);
      const { link, id } = await createInUi(sender.page, server.base, { secret });
      const got = spawnSync(binary, ['get', link], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(got.status, 0, got.stderr);
      assert.equal(got.stdout, secret);
      assert.equal((await metaOf(server.base, id)).status, 404);
      await sender.context.close();
    });

    cliTest('passphrase secrets cross over both ways (`--passphrase-file`)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vanish-pass-'));
      const passphrase = 'pässwörd 🔑 with spaces';
      const passFile = join(dir, 'pass');
      writeFileSync(passFile, `${passphrase}\n`);
      try {
        // CLI -> browser
        const sent = spawnSync(binary, ['send', '--server', server.base, '--passphrase-file', passFile],
          { input: 'cli secret behind a passphrase', encoding: 'utf8', timeout: 60_000 });
        assert.equal(sent.status, 0, sent.stderr);
        const cliLink = sent.stdout.trim().split('\n').pop().trim();
        const { context, page, log } = await openPage(browser);
        await page.goto(cliLink);
        await page.locator('#ready-view').waitFor();
        await page.fill('#passphrase', passphrase);
        await page.click('#reveal-button');
        await page.locator('#secret-view').waitFor({ timeout: 20_000 });
        assert.equal(await page.textContent('#secret-text'), 'cli secret behind a passphrase');
        assertCleanConsole(log);
        assertNothingLeaked(log, [cliLink.split('#')[1], passphrase]);
        await context.close();

        // browser -> CLI
        const sender = await openPage(browser);
        const { link } = await createInUi(sender.page, server.base, { secret: 'browser secret behind a passphrase', passphrase });
        const got = spawnSync(binary, ['get', '--passphrase-file', passFile, link], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(got.status, 0, got.stderr);
        assert.equal(got.stdout, 'browser secret behind a passphrase');
        await sender.context.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    cliTest('a binary file sent with the CLI is offered as a download, byte for byte', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vanish-bin-'));
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const file = join(dir, 'blob.bin');
      writeFileSync(file, bytes);
      try {
        const sent = spawnSync(binary, ['send', '--server', server.base, file], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(sent.status, 0, sent.stderr);
        const link = sent.stdout.trim().split('\n').pop().trim();
        const { context, page, log } = await openPage(browser);
        await page.goto(link);
        await page.click('#reveal-button');
        await page.locator('#secret-view').waitFor();
        assert.equal(await page.isVisible('#secret-binary'), true, 'says it is not text');
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#secret-download')]);
        assert.deepEqual(readFileSync(await download.path()), bytes);
        assertCleanConsole(log);
        await context.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
