// Who may create, in the browser (docs/api.md and docs/web-ui.md, "Who may create"): each
// mode of `vanish serve` (CREATE_ACCESS) started for real, and the create page saying
// what it allows before anyone types a secret. Token mode (no token, a wrong one, the
// right one kept for the tab, one revoked mid-session), proxy mode (the trusted proxy's
// identity from an allowed and a refused domain, none, and one from an untrusted peer),
// a read-only instance revealing what an open one stored, the refusals explained on
// submit, and the form following the server's limits. The reveal page never asks.
//
// Accessibility and languages of these states are checked with the others in
// pages.test.mjs. Run: web/test/run.sh.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes } from '../i18n.js';
import { maxFileBytes } from '../payload.js';
import {
  assertCleanConsole, browserSuite, freePort, makeToken, metaOf, openPage, screenshot, startServer,
} from './support.mjs';

const english = JSON.parse(readFileSync(fileURLToPath(new URL('../i18n/en.json', import.meta.url)), 'utf8'));
const apiCalls = (log) => log.requests.filter((r) => r.url.includes('/api/')).map((r) => `${r.method} ${new URL(r.url).pathname}`);

/** Writes `secret` in the enabled form, creates, and returns the share link. */
async function createHere(page, secret) {
  await page.fill('#secret', secret);
  await page.click('#create-button');
  await page.locator('#result-view').waitFor({ timeout: 20_000 });
  return page.inputValue('#share-link');
}

/** Opens `link` in a fresh context with no token or identity, reveals it, returns the text. */
async function revealElsewhere(browser, link) {
  const { context, page, log } = await openPage(browser);
  await page.goto(link);
  await page.click('#reveal-button');
  await page.locator('#secret-view').waitFor({ timeout: 20_000 });
  const text = await page.textContent('#secret-text');
  assert.ok(!apiCalls(log).includes('GET /api/config'), 'the reveal page never asks who may create');
  assertCleanConsole(log);
  await context.close();
  return text;
}

async function formIsDisabled(page) {
  return page.evaluate(() => ['secret', 'file', 'ttl', 'views', 'passphrase', 'create-button']
    .map((id) => document.getElementById(id).matches(':disabled')));
}

browserSuite('who may create', ({ server, browser }) => {
  describe('token mode', () => {
    test('without a token the form is disabled and says why; the right token unlocks it for this tab', async () => {
      const { token, hash } = makeToken();
      const other = makeToken();
      const tokenServer = await startServer({ CREATE_ACCESS: 'token', CREATE_TOKENS: hash });
      try {
        const { context, page, log } = await openPage(browser);
        await page.goto(`${tokenServer.base}/`);
        await page.locator('#token-form').waitFor();
        assert.equal(await page.textContent('#token-title'), english['access.token.title']);
        await screenshot(page, 'desktop-create-token');
        assert.deepEqual(await formIsDisabled(page), [true, true, true, true, true, true], 'nothing can be typed yet');
        assert.equal(await page.getAttribute('#token', 'type'), 'password');
        assert.equal(await page.getAttribute('#token', 'autocomplete'), 'off');

        await page.click('#token-button');
        assert.equal(await page.textContent('#token-error'), english['access.token.empty']);
        await page.fill('#token', other.token);
        await page.click('#token-button');
        await page.waitForFunction(() => document.getElementById('token-error').textContent.startsWith('This token'));
        assert.equal(await page.textContent('#token-error'), english['access.token.refused']);
        assert.equal(await page.getAttribute('#token', 'aria-invalid'), 'true');
        assert.deepEqual(await formIsDisabled(page), [true, true, true, true, true, true], 'a wrong token unlocks nothing');

        await page.fill('#token', token);
        await page.click('#token-button');
        await page.locator('#token-ready').waitFor();
        assert.equal(await page.isVisible('#token-form'), false);
        assert.deepEqual(await formIsDisabled(page), [false, false, false, false, false, false]);
        assert.equal(await page.evaluate(() => document.activeElement.id), 'secret', 'on to the secret');
        await screenshot(page, 'desktop-create-token-accepted');
        const link = await createHere(page, 'made with a token');
        const creates = log.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/secrets'));
        assert.equal(creates.length, 1);
        assert.equal(creates[0].headers.authorization, `Bearer ${token}`);
        for (const request of log.requests) {
          assert.ok(!request.url.includes(token) && !request.body.includes(token), `${request.url} carries the token outside its header`);
          const path = new URL(request.url).pathname;
          if (request.headers.authorization) assert.ok(['/api/config', '/api/secrets'].includes(path), `token sent to ${path}`);
        }
        assert.equal(await revealElsewhere(browser, link), 'made with a token', 'reading needs no token');

        // Kept for this tab: a reload needs no new paste; Forget drops it.
        await page.goto(`${tokenServer.base}/`);
        await page.locator('#token-ready').waitFor();
        assert.equal(await page.evaluate(() => sessionStorage.getItem('vanish.apiToken')), token);
        assert.equal(await page.evaluate(() => localStorage.getItem('vanish.apiToken')), null, 'never in localStorage');
        await page.click('#token-forget');
        await page.locator('#token-form').waitFor();
        assert.equal(await page.evaluate(() => sessionStorage.getItem('vanish.apiToken')), null);
        assert.deepEqual(await formIsDisabled(page), [true, true, true, true, true, true]);
        assert.equal(await page.evaluate(() => document.activeElement.id), 'token');
        assertCleanConsole(log);
        await context.close();

        // Another tab (a new session) asks again.
        const fresh = await openPage(browser);
        await fresh.page.goto(`${tokenServer.base}/`);
        await fresh.page.locator('#token-form').waitFor();
        assertCleanConsole(fresh.log);
        await fresh.context.close();
      } finally {
        await tokenServer.stop();
      }
    });

    test('a token refused on submit (revoked meanwhile) is dropped and asked again, keeping the text', async () => {
      const { token, hash } = makeToken();
      const tokenServer = await startServer({ CREATE_ACCESS: 'token', CREATE_TOKENS: hash });
      try {
        const { context, page, log } = await openPage(browser);
        await page.goto(`${tokenServer.base}/`);
        await page.fill('#token', token);
        await page.click('#token-button');
        await page.locator('#token-ready').waitFor();
        // The real server judges a token it no longer knows.
        await page.route('**/api/secrets', (route) => route.continue({
          headers: { ...route.request().headers(), authorization: 'Bearer vns_revoked' },
        }));
        await page.fill('#secret', 'still here');
        await page.click('#create-button');
        await page.locator('#create-error').waitFor();
        assert.equal(await page.textContent('#create-error'), english['error.authRequired']);
        await page.locator('#token-form').waitFor();
        assert.equal(await page.evaluate(() => sessionStorage.getItem('vanish.apiToken')), null);
        assert.equal(await page.inputValue('#secret'), 'still here', 'the text is kept');
        assertCleanConsole(log, { allowStatuses: [401] });
        await context.close();
      } finally {
        await tokenServer.stop();
      }
    });
  });

  describe('proxy mode', () => {
    test('the trusted proxy\'s identity decides: an allowed domain creates, a refused one or none is asked to sign in', async () => {
      const proxyServer = await startServer({
        CREATE_ACCESS: 'proxy', TRUSTED_PROXIES: '127.0.0.1/32', ALLOWED_EMAIL_DOMAINS: 'corp.example',
      });
      try {
        const staff = await openPage(browser, { extraHTTPHeaders: { 'x-forwarded-email': 'ann@corp.example' } });
        await staff.page.goto(`${proxyServer.base}/`);
        await staff.page.locator('#create-view').waitFor();
        assert.equal(await staff.page.isVisible('#token-form'), false);
        assert.deepEqual(await formIsDisabled(staff.page), [false, false, false, false, false, false]);
        const link = await createHere(staff.page, 'from a colleague');
        assert.equal(await revealElsewhere(browser, link), 'from a colleague', 'reading needs no identity');
        assertCleanConsole(staff.log);
        await staff.context.close();

        for (const headers of [{ 'x-forwarded-email': 'eve@evil.example' }, {}]) {
          const { context, page, log } = await openPage(browser, { extraHTTPHeaders: headers });
          await page.goto(`${proxyServer.base}/`);
          await page.locator('#signin-view').waitFor();
          assert.equal(await page.textContent('#signin-title'), english['access.signin.title']);
          await screenshot(page, 'desktop-create-signin');
          assert.equal(await page.isVisible('#create-view'), false, 'no form to type a secret into');
          assert.equal(await page.isVisible('#secret'), false);
          assert.equal(await page.evaluate(() => document.getElementById('signin-reload').href), `${proxyServer.base}/`);
          assert.deepEqual(apiCalls(log), ['GET /api/config']);
          assertCleanConsole(log);
          await context.close();
        }
      } finally {
        await proxyServer.stop();
      }
    });

    test('an identity header from a peer that is not a trusted proxy is not believed', async () => {
      const proxyServer = await startServer({ CREATE_ACCESS: 'proxy', TRUSTED_PROXIES: '10.0.0.0/8' });
      try {
        const { context, page, log } = await openPage(browser, { extraHTTPHeaders: { 'x-forwarded-email': 'ann@corp.example' } });
        await page.goto(`${proxyServer.base}/`);
        await page.locator('#signin-view').waitFor();
        assertCleanConsole(log);
        await context.close();
      } finally {
        await proxyServer.stop();
      }
    });
  });

  describe('read-only mode (a split deployment)', () => {
    test('links made on the internal instance point at the public one, which offers no form and reveals them', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'vanish-web-split-'));
      const publicPort = await freePort();
      const publicBase = `http://127.0.0.1:${publicPort}`;
      let running = null;
      try {
        // The internal instance, open, on the shared store.
        running = await startServer({ SHARE_BASE_URL: publicBase }, { dataDir });
        const internalBase = running.base;
        const sender = await openPage(browser);
        await sender.page.goto(`${internalBase}/`);
        await sender.page.locator('#create-view').waitFor();
        const link = await createHere(sender.page, 'for the outside world');
        assert.match(link, new RegExp(`^${publicBase}/s/[A-Za-z0-9]{22}#[A-Za-z0-9_-]{43}$`), 'the share link is on the public instance');
        assert.ok((await sender.page.inputValue('#manage-link')).startsWith(`${internalBase}/?manage=`), 'the receipt stays internal');
        await sender.page.click('#qr-toggle');
        await sender.page.locator('#qr-code svg').waitFor();
        assertCleanConsole(sender.log);
        await sender.context.close();
        await running.stop();

        // The public instance, closed, on the same store: the secret was stored by the other.
        running = await startServer({ CREATE_ACCESS: 'closed' }, { dataDir, port: publicPort });
        const { context, page, log } = await openPage(browser);
        await page.goto(`${publicBase}/`);
        await page.locator('#closed-view').waitFor();
        assert.equal(await page.textContent('#closed-title'), english['access.closed.title']);
        await screenshot(page, 'desktop-create-closed');
        assert.equal(await page.isVisible('#create-view'), false, 'no create form');
        assert.equal(await page.isVisible('#secret'), false);
        assert.deepEqual(apiCalls(log), ['GET /api/config']);
        const created = await fetch(`${publicBase}/api/secrets`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ encrypted: 'eA', iv: 'AAAAAAAAAAAAAAAA' }),
        });
        assert.equal(created.status, 403);
        assert.equal((await created.json()).error, 'READ_ONLY');
        assertCleanConsole(log);
        await context.close();

        const id = /\/s\/([A-Za-z0-9]+)#/.exec(link)[1];
        assert.equal((await metaOf(publicBase, id)).status, 200);
        assert.equal(await revealElsewhere(browser, link), 'for the outside world');
        assert.equal((await metaOf(publicBase, id)).status, 404, 'and it is gone');
      } finally {
        await running?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('refusals on submit', () => {
    for (const [status, code, key] of [
      [401, 'AUTH_REQUIRED', 'error.authRequired'],
      [403, 'CREATOR_NOT_ALLOWED', 'error.creatorNotAllowed'],
      [403, 'READ_ONLY', 'error.readOnly'],
    ]) {
      test(`${code} says what happened and keeps the text`, async () => {
        const { context, page, log } = await openPage(browser);
        // The server's rule changed after the page asked (say, a restart): it refuses on submit.
        await page.route('**/api/secrets', (route) => route.fulfill({
          status, headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ error: code, message: 'simulated', requestId: 'test' }),
        }));
        await page.goto(`${server.base}/`);
        await page.locator('#create-view').waitFor();
        await page.fill('#secret', 'not stored');
        await page.click('#create-button');
        await page.locator('#create-error').waitFor();
        assert.equal(await page.textContent('#create-error'), english[key]);
        assert.equal(await page.inputValue('#secret'), 'not stored');
        assert.equal(await page.isEnabled('#create-button'), true, 'and it may be tried again');
        assertCleanConsole(log, { allowStatuses: [status] });
        await context.close();
      });
    }
  });

  describe('limits', () => {
    test('the form offers the server\'s expiry choices, views and file limit', async () => {
      const limited = await startServer({
        TTL_DEFAULT_MS: '3600000', TTL_MAX_MS: '172800000', MAX_VIEWS: '5', ENCRYPTED_MAX_CHARS: '100000',
      });
      try {
        const { context, page, log } = await openPage(browser);
        await page.goto(`${limited.base}/`);
        await page.locator('#create-view').waitFor();
        const options = await page.$$eval('#ttl option', (all) => all.map((o) => [o.value, o.textContent, o.selected]));
        assert.deepEqual(options, [
          ['300000', '5 minutes', false], ['3600000', '1 hour', true], ['86400000', '1 day', false], ['172800000', '2 days', false],
        ]);
        assert.equal(await page.getAttribute('#views', 'max'), '5');
        const fileLimit = formatBytes(maxFileBytes(100_000, { name: 'files.zip', type: 'application/zip' }), 'en');
        assert.ok((await page.textContent('#file-hint')).startsWith(`Up to ${fileLimit}.`), await page.textContent('#file-hint'));
        await page.fill('#secret', 'bounded');
        await page.fill('#views', '6');
        await page.click('#create-button');
        assert.equal(await page.textContent('#views-error'), 'Choose a whole number from 1 to 5.');

        await page.fill('#views', '5');
        await page.selectOption('#ttl', '172800000');
        const before = Date.now();
        const link = await createHere(page, 'bounded');
        const meta = await metaOf(limited.base, /\/s\/([A-Za-z0-9]+)#/.exec(link)[1]);
        assert.equal(meta.body.viewsLeft, 5);
        assert.ok(Math.abs(meta.body.expiresAt - (before + 172_800_000)) < 60_000, 'two days');
        await page.click('#create-another');
        assert.equal(await page.inputValue('#ttl'), '3600000', 'back to the server\'s default');
        assertCleanConsole(log);
        await context.close();
      } finally {
        await limited.stop();
      }
    });
  });
});
