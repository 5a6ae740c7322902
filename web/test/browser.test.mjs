// Real-browser tests of the web UI: headless Chromium (via playwright-core, no
// downloaded browser) against the real `vanish serve` binary on a free port with a
// temporary data dir (fixtures in support.mjs). Files, QR codes, languages and
// accessibility have their own files beside this one.
//
// Run: web/test/run.sh, or `node --test web/test/browser.test.mjs` after `npm ci` in web/test.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBase64Url } from '../envelope.js';
import {
  DESKTOP, PHONE, assertCleanConsole, assertNothingLeaked, binary, browserSuite, cliHasSend, createInUi, createViaApi,
  metaOf, openPage, screenshot,
} from './support.mjs';

browserSuite('web UI browser tests', (ctx) => {
  const { server, browser } = ctx;

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

    test('the full link opened in the tab of an incomplete one loads, though only the fragment differs', async () => {
      const created = await createViaApi(server.base, 'second try');
      const { context, page, log } = await openPage(browser);
      await page.goto(`${server.base}/s/${created.id}#${created.key.slice(0, 20)}`);
      await page.locator('#badlink-view').waitFor();
      // The page removed the fragment, so this URL differs from the current one only by it.
      await page.goto(created.link);
      await page.locator('#ready-view').waitFor();
      await page.click('#reveal-button');
      await page.locator('#secret-view').waitFor();
      assert.equal(await page.textContent('#secret-text'), 'second try');
      assertCleanConsole(log);
      await context.close();
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
      for (let i = 0; i < 10; i += 1) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.className));
      }
      assert.deepEqual(order, [
        'skip-link', 'brand', 'language', 'secret', 'file', 'ttl', 'views', 'passphrase', 'passphrase-toggle', 'create-button',
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
      assert.equal(log.requests.filter((r) => r.url.includes('/api/secrets')).length, 0);
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

    cliTest('bytes that are not text, sent without a name, are offered as a download, byte for byte', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vanish-bin-'));
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const file = join(dir, 'blob.bin');
      writeFileSync(file, bytes);
      try {
        const sent = spawnSync(binary, ['send', '--server', server.base, '--no-name', file], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(sent.status, 0, sent.stderr);
        const link = sent.stdout.trim().split('\n').pop().trim();
        const { context, page, log } = await openPage(browser);
        await page.goto(link);
        await page.click('#reveal-button');
        await page.locator('#secret-view').waitFor();
        assert.equal(await page.isVisible('#secret-binary'), true, 'says it is not text');
        assert.equal(await page.isVisible('#file-card'), false, 'not a file: no name to show');
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#secret-download')]);
        assert.equal(download.suggestedFilename(), 'secret.bin');
        assert.deepEqual(readFileSync(await download.path()), bytes);
        assertCleanConsole(log);
        await context.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
