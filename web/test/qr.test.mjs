// The QR code of the share link: drawn in the page (web/qr.js over the vendored
// web/vendor/uqr.js), photographed by Chromium, and read back by a real decoder
// (zbarimg, Debian's zbar-tools), which must give the exact link. Also: the vendored
// file is byte for byte the npm package's.
//
// Run: web/test/run.sh, or `node --test web/test/qr.test.mjs` after `npm ci` in web/test.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PHONE, assertCleanConsole, assertNothingLeaked, browserSuite, createInUi, openPage, requireAll, screenshot,
} from './support.mjs';

const VENDOR_MARK = '// ---- end of the vendoring note; dist/index.mjs follows ----\n';
const hasZbar = spawnSync('zbarimg', ['--version']).status === 0;
const zbarMissing = 'zbarimg is not installed (apt-get install -y zbar-tools)';

test('web/vendor/uqr.js is the npm package uqr 0.1.3, unchanged, with its licence', () => {
  let original;
  try {
    // Read from node_modules directly: the package's "exports" do not expose this path.
    original = readFileSync(fileURLToPath(new URL('./node_modules/uqr/dist/index.mjs', import.meta.url)), 'utf8');
  } catch {
    if (requireAll) assert.fail('uqr is not installed (cd web/test && npm ci)');
    console.log('\n*** SKIPPED: vendored uqr check: run npm ci in web/test ***\n');
    return;
  }
  const vendored = readFileSync(fileURLToPath(new URL('../vendor/uqr.js', import.meta.url)), 'utf8');
  const [note, code] = vendored.split(VENDOR_MARK);
  assert.equal(code, original);
  assert.match(note, /^\/\/ MIT License$/m);
  assert.match(note, /Copyright \(c\) Project Nayuki/);
});

/** Screenshots `locator` and decodes it with zbarimg; returns the decoded text. */
async function decode(locator) {
  const dir = mkdtempSync(join(tmpdir(), 'vanish-qr-'));
  try {
    const path = join(dir, 'qr.png');
    await locator.screenshot({ path });
    const run = spawnSync('zbarimg', ['--quiet', '--raw', path], { encoding: 'utf8' });
    assert.equal(run.status, 0, `zbarimg found no code: ${run.stderr}`);
    return run.stdout.replace(/\n$/, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

browserSuite('QR code of the share link', ({ server, browser }) => {
  const qrTest = (name, fn) => test(name, { skip: !hasZbar && !requireAll && zbarMissing }, async () => {
    assert.ok(hasZbar, `${zbarMissing} (VANISH_REQUIRE_ALL=1)`);
    await fn();
  });
  if (!hasZbar && !requireAll) console.log(`\n*** SKIPPED: QR decoding tests: ${zbarMissing} ***\n`);

  describe('decoded by zbarimg', () => {
    for (const [device, options] of [['desktop', {}], ['phone, dark theme', { viewport: PHONE, colorScheme: 'dark' }]]) {
      qrTest(`the QR code shown after creating decodes to the share link (${device})`, async () => {
        const { context, page, log } = await openPage(browser, options);
        const { link, key } = await createInUi(page, server.base, { secret: 'scan me' });
        assert.equal(await page.isVisible('#qr-box'), false, 'hidden until asked for');
        await page.click('#qr-toggle');
        await page.locator('#qr-code svg').waitFor();
        assert.equal(await page.getAttribute('#qr-toggle', 'aria-expanded'), 'true');
        assert.equal(await page.textContent('#qr-code svg title'), 'QR code of the share link');
        await screenshot(page, `qr-${device.split(',')[0]}`);
        assert.equal(await decode(page.locator('#qr-code svg')), link);
        await page.click('#qr-toggle');
        assert.equal(await page.isVisible('#qr-box'), false);
        assert.equal(await page.locator('#qr-code svg').count(), 0, 'hiding removes the code');
        assertNothingLeaked(log, [key]);
        assertCleanConsole(log);
        await context.close();
      });
    }

    qrTest('links of every length a server can make, and non-ASCII text, decode exactly', async () => {
      const { context, page, log } = await openPage(browser);
      await page.goto(`${server.base}/`);
      await page.locator('#create-view').waitFor();
      const key = 'A'.repeat(43);
      const texts = [
        `http://h/s/abcdefgh#${key}`,
        `https://vanish.example.com/s/${'x'.repeat(22)}#${key}`,
        `https://a-long-company-domain.example.org/some/path/prefix/for/vanish/s/${'Z9'.repeat(32)}#${key}`,
        'https://例え.jp/s/秘密のリンク#ключ',
      ];
      for (const text of texts) {
        await page.evaluate(async (t) => {
          const { drawQr } = await import('./qr.js');
          document.getElementById('qr-box').hidden = false;
          document.getElementById('result-view').hidden = false;
          drawQr(document.getElementById('qr-code'), t);
        }, text);
        assert.equal(await decode(page.locator('#qr-code svg')), text);
      }
      assertCleanConsole(log);
      await context.close();
    });
  });
});
