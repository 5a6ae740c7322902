// Every page state in every language, in Chromium: the create form (empty, with errors,
// with a file), the link with its QR code and the receipt (pending, opened, burn
// confirmation, destroyed, on its own), the reveal page before and after (text, file,
// wrong passphrase), the error pages (gone, incomplete link, bad receipt link,
// outage, rate limit, undecryptable), and who may create (an API token needed, refused,
// accepted, refused on submit; sign in; a read-only instance). In each state:
//
// - axe-core finds zero accessibility violations (light theme; English also dark);
// - no untranslated key, no `{placeholder}` and, outside English, no English sentence
//   is on screen, and <html lang> is the language.
//
// The language comes from the browser's (Playwright's `locale`); the switcher is tested
// at the end. Run: web/test/run.sh, or `node --test web/test/pages.test.mjs` after
// `npm ci` in web/test.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { LANGUAGES } from '../i18n.js';
import { maxFileBytes } from '../payload.js';
import {
  assertCleanConsole, browserSuite, createViaApi, makeToken, openPage, requireAll, startServer,
} from './support.mjs';

const require = createRequire(import.meta.url);
const i18nDir = fileURLToPath(new URL('../i18n/', import.meta.url));
const stringsOf = (lang) => JSON.parse(readFileSync(`${i18nDir}${lang}.json`, 'utf8'));
const english = stringsOf('en');
const LOCALES = { en: 'en-US', de: 'de-DE', fr: 'fr-FR', es: 'es-ES', pt: 'pt-BR', ja: 'ja-JP' };

let axeSource = null;
try {
  axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch {
  // Reported by the suite below.
}

const forms = (value) => (typeof value === 'string' ? [value] : Object.values(value));

/**
 * What must not be on screen in `lang`: English sentences it translates differently
 * (whole strings, or their longest literal part when they have placeholders).
 */
function englishLeftovers(lang) {
  if (lang === 'en') return [];
  const strings = stringsOf(lang);
  const leftovers = new Set();
  for (const [key, value] of Object.entries(english)) {
    const own = new Set(forms(strings[key]));
    for (const form of forms(value)) {
      if (own.has(form)) continue;
      const longest = form.split(/\{\w+\}/).map((part) => part.trim()).sort((a, b) => b.length - a.length)[0];
      if (longest.length >= 12) leftovers.add(longest);
    }
  }
  return [...leftovers];
}

/** Visible text nodes, and the attributes people meet, of the page (user content left out). */
function visibleTexts() {
  const out = [document.title, document.querySelector('meta[name="description"]')?.content || ''];
  const userContent = '#language, #secret-text, #file-name, #file-summary, noscript, script, style';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.replace(/\s+/g, ' ').trim();
    if (text && element && !element.closest(userContent) && element.checkVisibility()) out.push(text);
  }
  for (const element of document.querySelectorAll('[placeholder], [aria-label], svg title')) {
    if (!element.closest('[hidden]')) out.push(element.getAttribute('placeholder') || element.getAttribute('aria-label') || element.textContent);
  }
  return out.filter(Boolean);
}

/** axe-core's violations on the page, as short readable lines. */
async function axeViolations(page) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations);
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary}`));
}

/** Both checks of one page state. */
async function checkState(page, lang, state) {
  const label = `${lang} / ${state}`;
  assert.equal(await page.evaluate(() => document.documentElement.lang), lang, `${label}: <html lang>`);
  const texts = await page.evaluate(visibleTexts);
  const keys = new Set(Object.keys(english));
  for (const text of texts) {
    assert.ok(!keys.has(text), `${label}: untranslated key on screen: ${text}`);
    assert.ok(!/\{\w+\}/.test(text), `${label}: a placeholder left in ${JSON.stringify(text)}`);
    for (const leftover of englishLeftovers(lang)) {
      assert.ok(!text.includes(leftover), `${label}: English left on screen: ${JSON.stringify(leftover)}`);
    }
  }
  assert.deepEqual(await axeViolations(page), [], `${label}: axe-core violations`);
}

/** A format-2 payload (docs/envelope.md) for the file state. */
function filePayload(name, content) {
  const header = Buffer.from(JSON.stringify({ name, type: 'text/plain' }));
  return new Uint8Array(Buffer.concat([Buffer.from('\0vanish\x02'), Buffer.from([0, header.length]), header, Buffer.from(content)]));
}

browserSuite('every page state in every language', ({ server, browser }) => {
  if (!axeSource) {
    test('axe-core is installed', { skip: !requireAll && 'run npm ci in web/test' }, () => assert.fail('axe-core is missing'));
    return;
  }

  // One server per way of limiting who may create (docs/api.md, "Who may create").
  const modes = {};
  let apiToken = '';
  before(async () => {
    const { token, hash } = makeToken();
    apiToken = token;
    modes.token = await startServer({ CREATE_ACCESS: 'token', CREATE_TOKENS: hash });
    modes.proxy = await startServer({ CREATE_ACCESS: 'proxy', TRUSTED_PROXIES: '127.0.0.1/32' });
    modes.closed = await startServer({ CREATE_ACCESS: 'closed' });
  });
  after(async () => {
    for (const running of Object.values(modes)) await running.stop();
  });

  const walks = [...Object.keys(LANGUAGES).map((lang) => [lang, 'light']), ['en', 'dark']];
  for (const [lang, colorScheme] of walks) {
    describe(`${LANGUAGES[lang]} (${lang}), ${colorScheme} theme`, () => {
      const open = () => openPage(browser, { locale: LOCALES[lang], colorScheme });
      const check = (page, state) => checkState(page, lang, `${state} (${colorScheme})`);

      test('the create page: empty, with errors, with a file, with a file too large', async () => {
        const { context, page, log } = await open();
        await page.goto(`${server.base}/`);
        await page.locator('#create-view').waitFor();
        await check(page, 'create');
        await page.click('#create-button');
        await page.fill('#secret', 'x');
        await page.fill('#views', '0');
        await page.click('#create-button');
        await page.fill('#secret', '');
        await page.click('#create-button');
        await page.locator('#secret-error').waitFor();
        await check(page, 'create with errors');
        await page.setInputFiles('#file', [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') }]);
        await page.locator('#file-chosen').waitFor();
        await check(page, 'create with a file');
        const limit = maxFileBytes(1_400_000, { name: 'big.bin', type: '' });
        await page.setInputFiles('#file', [{ name: 'big.bin', mimeType: '', buffer: Buffer.alloc(limit + 1) }]);
        await page.locator('#file-error').waitFor();
        await check(page, 'create with a file too large');
        assertCleanConsole(log);
        await context.close();
      });

      test('the link with its QR code, and the receipt through its life', async () => {
        const { context, page, log } = await open();
        await page.goto(`${server.base}/`);
        await page.locator('#create-view').waitFor();
        await page.fill('#secret', 'a secret');
        await page.fill('#views', '2');
        await page.click('#create-button');
        await page.locator('#result-view').waitFor();
        await page.click('#qr-toggle');
        await page.locator('#qr-code svg').waitFor();
        await check(page, 'link and receipt');
        const link = await page.inputValue('#share-link');
        const id = /\/s\/([A-Za-z0-9]+)#/.exec(link)[1];
        const reveal = await fetch(`${server.base}/api/secrets/${id}/reveal`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
        });
        assert.equal(reveal.status, 200);
        await page.click('#status-button');
        await page.locator('#manage-status li').nth(2).waitFor();
        await check(page, 'receipt, opened once');
        await page.click('#burn-button');
        await check(page, 'burn confirmation');
        await page.click('#burn-yes');
        await page.locator('#manage-status .state-burned').waitFor();
        await check(page, 'receipt, destroyed');
        await page.goto(await page.inputValue('#manage-link'));
        await page.locator('#manage-status .state-burned').waitFor();
        await check(page, 'receipt link');
        await page.goto(`${server.base}/?manage=${id}#short`);
        await page.locator('#problem-view').waitFor();
        await check(page, 'bad receipt link');
        assertCleanConsole(log);
        await context.close();
      });

      test('the reveal page before and after, with a passphrase and with a file', async () => {
        const secret = await createViaApi(server.base, 'behind a passphrase', { maxViews: 3, passphrase: 'open sesame' });
        const { context, page, log } = await open();
        await page.goto(secret.link);
        await page.locator('#ready-view').waitFor();
        await check(page, 'reveal, before');
        await page.click('#reveal-button');
        await page.locator('#passphrase-error').waitFor();
        await page.fill('#passphrase', 'wrong');
        await page.click('#reveal-button');
        await page.waitForFunction(() => document.getElementById('passphrase').getAttribute('aria-invalid') === 'true'
          && !document.getElementById('reveal-button').disabled);
        await check(page, 'reveal, wrong passphrase');
        await page.fill('#passphrase', 'open sesame');
        await page.click('#reveal-button');
        await page.locator('#secret-view').waitFor({ timeout: 20_000 });
        await check(page, 'reveal, after (text, views left)');

        const file = await createViaApi(server.base, filePayload('notes.txt', 'line one\n'));
        await page.goto(file.link);
        await page.click('#reveal-button');
        await page.locator('#file-card').waitFor();
        await check(page, 'reveal, after (file, last view)');
        assertCleanConsole(log, { allowStatuses: [401] });
        await context.close();
      });

      test('the error pages', async () => {
        const { context, page, log } = await open();
        const spent = await createViaApi(server.base, 'gone soon');
        await fetch(`${server.base}/api/secrets/${spent.id}`);
        await page.goto(spent.link);
        await page.locator('#gone-view').waitFor();
        await check(page, 'not available');
        await page.goto(`${server.base}/s/${spent.id}`);
        await page.locator('#badlink-view').waitFor();
        await check(page, 'incomplete link');
        await page.goto(`${server.base}/s/bad!#${spent.key}`);
        await page.locator('#badlink-view').waitFor();
        await check(page, 'broken id');

        const later = await createViaApi(server.base, 'after the outage');
        await page.route('**/api/secrets/*/meta', (route) => route.fulfill({
          status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '120' },
          body: JSON.stringify({ error: 'RATE_LIMITED', message: 'simulated', requestId: 'test' }),
        }));
        await page.goto(later.link);
        await page.locator('#error-view').waitFor();
        await check(page, 'rate limited');
        await page.unroute('**/api/secrets/*/meta');
        await page.route('**/api/secrets/*/meta', (route) => route.fulfill({ status: 503, body: 'proxy error page' }));
        await page.click('#retry-button');
        await page.locator('#error-text').getByText(stringsOf(lang)['error.unavailable'].slice(0, 10)).waitFor();
        await check(page, 'outage');
        await page.unroute('**/api/secrets/*/meta');

        const wrongKey = `${server.base}/s/${later.id}#${'A'.repeat(43)}`;
        await page.goto(wrongKey);
        await page.click('#reveal-button');
        await page.locator('#error-view').waitFor();
        await check(page, 'undecryptable');
        assertCleanConsole(log, { allowStatuses: [404, 429, 503] });
        await context.close();
      });

      test('who may create: an API token asked, refused, accepted, refused on submit; sign in; read-only', async () => {
        const { context, page, log } = await open();
        await page.goto(`${modes.token.base}/`);
        await page.locator('#token-form').waitFor();
        await check(page, 'token needed');
        await page.fill('#token', 'vns_not_a_token_of_this_server');
        await page.click('#token-button');
        await page.locator('#token-error').waitFor();
        await check(page, 'token refused');
        await page.fill('#token', apiToken);
        await page.click('#token-button');
        await page.locator('#token-ready').waitFor();
        await check(page, 'token accepted');
        await page.route('**/api/secrets', (route) => route.fulfill({
          status: 401, headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' },
          body: JSON.stringify({ error: 'AUTH_REQUIRED', message: 'simulated', requestId: 'test' }),
        }));
        await page.fill('#secret', 'refused');
        await page.click('#create-button');
        await page.locator('#create-error').waitFor();
        await page.locator('#token-form').waitFor();
        await check(page, 'token refused on submit');
        await page.unroute('**/api/secrets');

        await page.goto(`${modes.proxy.base}/`);
        await page.locator('#signin-view').waitFor();
        await check(page, 'sign in to create');
        await page.goto(`${modes.closed.base}/`);
        await page.locator('#closed-view').waitFor();
        await check(page, 'read-only instance');
        assertCleanConsole(log, { allowStatuses: [401] });
        await context.close();
      });
    });
  }

  describe('the language switcher', () => {
    test('follows the browser, switches everything on screen at once, and is remembered', async () => {
      const { context, page, log } = await openPage(browser, { locale: 'de-AT' });
      await page.goto(`${server.base}/`);
      await page.locator('#create-view').waitFor();
      const de = stringsOf('de');
      const ja = stringsOf('ja');
      const fr = stringsOf('fr');
      assert.equal(await page.inputValue('#language'), 'de', 'picked from the browser (de-AT → de)');
      assert.equal(await page.textContent('#create-title'), de['create.title']);
      assert.equal((await page.textContent('#ttl option[value="86400000"]')).trim(), '1 Tag');

      await page.selectOption('#language', 'ja');
      await page.waitForFunction(() => document.documentElement.lang === 'ja');
      assert.equal(await page.title(), ja['create.page.title']);
      assert.equal(await page.textContent('#create-title'), ja['create.title']);
      assert.equal(await page.getAttribute('#secret', 'placeholder'), ja['create.secret.placeholder']);
      assert.equal((await page.textContent('#ttl option[value="86400000"]')).trim(), '1 日');

      await page.fill('#secret', 'multilingual');
      await page.click('#create-button');
      await page.locator('#result-view').waitFor();
      assert.match(await page.textContent('#result-summary'), /^秘密を必要とする相手に.*1 回まで開くことができ/);
      // Text written by the script follows a switch too, dates included.
      await page.selectOption('#language', 'fr');
      await page.waitForFunction(() => document.documentElement.lang === 'fr');
      assert.match(await page.textContent('#result-summary'), /^Envoyez ce lien .* valable pour 1 consultation et expire dans /);
      assert.equal(await page.textContent('#manage-status .state'), fr['status.pending']);

      const link = await page.inputValue('#share-link');
      await page.goto(link);
      await page.locator('#ready-view').waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr', 'remembered on the other page');
      assert.equal(await page.inputValue('#language'), 'fr');
      await page.reload();
      await page.locator('#badlink-view').waitFor();
      assert.equal(await page.textContent('#badlink-title'), fr['badlink.title'], 'and after a reload');
      assertCleanConsole(log);
      await context.close();
    });
  });
});
