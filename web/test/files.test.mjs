// Files in the browser, end to end: picked or dropped in the create form, sealed with
// their name and type inside (payload format 2, docs/envelope.md), uploaded with a
// progress bar, and received byte for byte by the CLI (`vanish get --save`) and by the
// browser; files from `vanish send FILE` the other way. Nothing of the name or content
// may cross the wire in clear.
//
// Run: web/test/run.sh, or `node --test web/test/files.test.mjs` after `npm ci` in web/test.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxFileBytes } from '../payload.js';
import {
  assertCleanConsole, assertNothingLeaked, binary, browserSuite, createViaApi, metaOf, openPage, requireAll, screenshot,
} from './support.mjs';

const ENCRYPTED_MAX_CHARS = 1_400_000;
const hasPython = spawnSync('python3', ['--version']).status === 0;

/** Runs the CLI in `cwd`; returns `{status, stdout (Buffer), stderr}`. */
function cli(cwd, args) {
  return spawnSync(binary, args, { cwd, timeout: 60_000, env: { ...process.env, NO_PROXY: '*' } });
}

function tempDir() {
  return mkdtempSync(join(tmpdir(), 'vanish-files-'));
}

/** Picks `files` (`{name, mimeType, buffer}`) in the create form and creates the link. */
async function createWithFiles(page, base, files, { views = '1' } = {}) {
  await page.goto(`${base}/`);
  await page.locator('#create-view').waitFor();
  await page.setInputFiles('#file', files);
  await page.locator('#file-chosen').waitFor();
  await page.fill('#views', views);
  await page.click('#create-button');
  await page.locator('#result-view').waitFor({ timeout: 30_000 });
  const link = await page.inputValue('#share-link');
  return { link, id: /\/s\/([A-Za-z0-9]+)#/.exec(link)[1], key: link.split('#')[1] };
}

browserSuite('files in the browser', ({ server, browser }) => {
  describe('browser to CLI', () => {
    test('a file picked in the browser is saved by `vanish get --save` under its name, byte for byte', async () => {
      const bytes = randomBytes(300_000);
      const name = 'Quartalsbericht 2025 – final.pdf';
      const { context, page, log } = await openPage(browser);
      const { link, id, key } = await createWithFiles(page, server.base, [{ name, mimeType: 'application/pdf', buffer: bytes }]);
      assert.equal(await page.inputValue('#file').catch(() => ''), '', 'the picker is cleared');
      assert.equal(await page.isVisible('#file-chosen'), false);

      const dir = tempDir();
      try {
        const got = cli(dir, ['get', '--save', link]);
        assert.equal(got.status, 0, got.stderr.toString());
        const stderr = got.stderr.toString();
        assert.match(stderr, /the sender sent a file: Quartalsbericht 2025 – final\.pdf \(300000 bytes, application\/pdf\)/);
        assert.match(stderr, /saved as Quartalsbericht 2025 – final\.pdf/);
        assert.deepEqual(readdirSync(dir), [name]);
        assert.ok(readFileSync(join(dir, name)).equals(bytes), 'the same bytes');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      assert.equal((await metaOf(server.base, id)).status, 404, 'the view is used');
      // The name travels inside the ciphertext only; the content never in clear.
      assertNothingLeaked(log, [key, 'Quartalsbericht', bytes.subarray(1000, 1030).toString('base64'), 'application/pdf']);
      assertCleanConsole(log);
      await context.close();
    });

    test('several files go as one .zip archive that unzips to the same files', {
      skip: !hasPython && !requireAll && 'python3 is not installed',
    }, async () => {
      assert.ok(hasPython, 'python3 is needed to read the archive (VANISH_REQUIRE_ALL=1)');
      const one = randomBytes(5000);
      const two = Buffer.from('id_ed25519 private key, pretend\n');
      const { context, page, log } = await openPage(browser);
      await page.goto(`${server.base}/`);
      await page.setInputFiles('#file', [
        { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: one },
        { name: 'id_ed25519', mimeType: '', buffer: two },
      ]);
      await page.locator('#file-chosen').waitFor();
      assert.match(await page.textContent('#file-summary'), /^2 files as files\.zip · \d/);
      await page.click('#create-button');
      await page.locator('#result-view').waitFor({ timeout: 30_000 });
      const link = await page.inputValue('#share-link');
      const dir = tempDir();
      try {
        const got = cli(dir, ['get', '--save', link]);
        assert.equal(got.status, 0, got.stderr.toString());
        assert.match(got.stderr.toString(), /a file: files\.zip \(\d+ bytes, application\/zip\)/);
        const listing = spawnSync('python3', ['-c', [
          'import sys, zipfile, json',
          'z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None',
          'print(json.dumps({i.filename: z.read(i).hex() for i in z.infolist()}))',
        ].join('\n'), join(dir, 'files.zip')], { encoding: 'utf8' });
        assert.equal(listing.status, 0, listing.stderr);
        assert.deepEqual(JSON.parse(listing.stdout), { 'photo.jpg': one.toString('hex'), id_ed25519: two.toString('hex') });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      assertNothingLeaked(log, ['photo.jpg', 'id_ed25519']);
      assertCleanConsole(log);
      await context.close();
    });
  });

  describe('CLI to browser', () => {
    test('a file from `vanish send FILE` shows its name and size and downloads under that name, byte for byte', async () => {
      const dir = tempDir();
      const bytes = randomBytes(70_000);
      writeFileSync(join(dir, 'backup-codes.bin'), bytes);
      try {
        const sent = cli(dir, ['send', '--server', server.base, 'backup-codes.bin']);
        assert.equal(sent.status, 0, sent.stderr.toString());
        const link = sent.stdout.toString().trim();
        const { context, page, log } = await openPage(browser);
        await page.goto(link);
        await page.click('#reveal-button');
        await page.locator('#secret-view').waitFor();
        assert.equal(await page.textContent('#secret-title'), 'Here is your file');
        assert.equal(await page.textContent('#file-name'), 'backup-codes.bin');
        assert.equal(await page.textContent('#file-meta'), '68.4 kB');
        assert.equal(await page.isVisible('#secret-text'), false, 'binary content is not shown as text');
        assert.equal(await page.isVisible('#secret-binary'), false);
        assert.equal(await page.textContent('#secret-download'), 'Download backup-codes.bin');
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#secret-download')]);
        assert.equal(download.suggestedFilename(), 'backup-codes.bin');
        assert.ok(readFileSync(await download.path()).equals(bytes), 'the same bytes');
        await screenshot(page, 'desktop-reveal-file');
        assertCleanConsole(log);
        await context.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a text file is shown to read and copy as well as to download', async () => {
      const { context, page, log } = await openPage(browser);
      const created = await createWithFiles(page, server.base, [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('<b>line</b> one\n') }]);
      const recipient = await openPage(browser);
      await recipient.page.goto(created.link);
      await recipient.page.click('#reveal-button');
      await recipient.page.locator('#secret-view').waitFor();
      assert.equal(await recipient.page.textContent('#file-name'), 'notes.txt');
      assert.equal(await recipient.page.textContent('#file-meta'), '16 bytes · text/plain');
      assert.equal(await recipient.page.textContent('#secret-text'), '<b>line</b> one\n');
      assert.equal(await recipient.page.locator('#secret-text b').count(), 0, 'shown as text, not HTML');
      assert.equal(await recipient.page.isVisible('#secret-copy'), true);

      // NUL bytes are valid UTF-8 but not text: download only.
      const zeros = await createWithFiles(page, server.base, [{ name: 'zeros.bin', mimeType: '', buffer: Buffer.alloc(500) }]);
      await recipient.page.goto(zeros.link);
      await recipient.page.click('#reveal-button');
      await recipient.page.locator('#file-card').waitFor();
      assert.equal(await recipient.page.isVisible('#secret-text'), false);
      assert.equal(await recipient.page.isVisible('#secret-copy'), false);
      assert.match(await recipient.page.textContent('#file-meta'), /^500 bytes/);
      assertCleanConsole(log);
      assertCleanConsole(recipient.log);
      await context.close();
      await recipient.context.close();
    });

    test('a hostile name and type from another client are made safe, and the download is never rendered', async () => {
      // A frame as a careless or hostile client could write it (the CLI and the page
      // clean names before sealing; readers must not count on it).
      const header = Buffer.from(JSON.stringify({ name: '../../evil\u202Etxt.html', type: 'text/html' }));
      const content = Buffer.from('<script>document.title = "owned"</script>');
      const plaintext = Buffer.concat([Buffer.from('\0vanish\x02'), Buffer.from([0, header.length]), header, content]);
      const created = await createViaApi(server.base, new Uint8Array(plaintext));
      const { context, page, log } = await openPage(browser);
      // Records the type of every blob the page makes a URL for (fetching a blob: URL
      // back is against the page CSP).
      await page.addInitScript(() => {
        const original = URL.createObjectURL;
        window.blobTypes = [];
        URL.createObjectURL = (blob) => { window.blobTypes.push(blob.type); return original(blob); };
      });
      await page.goto(created.link);
      await page.click('#reveal-button');
      await page.locator('#secret-view').waitFor();
      assert.equal(await page.textContent('#file-name'), 'eviltxt.html');
      assert.deepEqual(await page.evaluate(() => window.blobTypes), ['application/octet-stream'], 'never the claimed text/html');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#secret-download')]);
      assert.equal(download.suggestedFilename(), 'eviltxt.html');
      assert.ok(readFileSync(await download.path()).equals(content));
      assert.notEqual(await page.title(), 'owned');
      assertCleanConsole(log);
      await context.close();
    });
  });

  describe('choosing files', () => {
    test('files dropped on the form are taken like picked ones, and Remove brings the text box back', async () => {
      const { context, page, log } = await openPage(browser);
      await page.goto(`${server.base}/`);
      await page.locator('#create-view').waitFor();
      const dataTransfer = await page.evaluateHandle(() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(['dropped secret'], 'dropped.txt', { type: 'text/plain' }));
        return transfer;
      });
      await page.dispatchEvent('#secret', 'dragover', { dataTransfer });
      assert.equal(await page.getAttribute('#file-zone', 'class'), 'field file-zone is-dragging');
      await page.dispatchEvent('#secret', 'drop', { dataTransfer });
      await page.locator('#file-chosen').waitFor();
      assert.equal(await page.textContent('#file-summary'), 'dropped.txt · 14 bytes');
      assert.equal(await page.isVisible('#secret'), false, 'the text box gives way to the file');
      await page.click('#file-remove');
      assert.equal(await page.isVisible('#secret'), true);
      assert.equal(await page.isVisible('#file-chosen'), false);
      assert.equal(await page.evaluate(() => document.activeElement.id), 'file');
      await page.dispatchEvent('#secret', 'drop', { dataTransfer });
      await page.click('#create-button');
      await page.locator('#result-view').waitFor();
      const got = cli(tmpdir(), ['get', await page.inputValue('#share-link')]);
      assert.equal(got.stdout.toString(), 'dropped secret');
      assertCleanConsole(log);
      await context.close();
    });

    test('the limit is shown before upload, and a larger file is refused at once with its size', async () => {
      const { context, page, log } = await openPage(browser);
      await page.goto(`${server.base}/`);
      await page.locator('#create-view').waitFor();
      assert.match(await page.textContent('#file-hint'), /^Up to 1 MB\./);
      const limit = maxFileBytes(ENCRYPTED_MAX_CHARS, { name: 'big.bin', type: 'application/octet-stream' });
      await page.setInputFiles('#file', [{ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(limit + 1) }]);
      await page.locator('#file-error').waitFor();
      assert.equal(await page.textContent('#file-error'), 'big.bin is 1 MB, more than the 1 MB a secret can hold.');
      assert.equal(await page.getAttribute('#file', 'aria-invalid'), 'true');
      assert.equal(await page.isVisible('#file-chosen'), false);
      await page.setInputFiles('#file', [{ name: 'huge.iso', mimeType: '', buffer: Buffer.alloc(3 * 1024 * 1024) }]);
      assert.equal(await page.textContent('#file-error'), 'huge.iso is 3 MB, more than the 1 MB a secret can hold.');
      await page.setInputFiles('#file', [{ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) }]);
      assert.equal(await page.textContent('#file-error'), 'empty.txt is empty: there is nothing to send.');
      assert.equal(log.requests.filter((r) => r.url.includes('/api/secrets')).length, 0, 'nothing was sent');
      assertCleanConsole(log);
      await context.close();
    });

    test('a file exactly at the limit is accepted by the server, with upload progress on the way', async () => {
      const { context, page, log } = await openPage(browser);
      const limit = maxFileBytes(ENCRYPTED_MAX_CHARS, { name: 'exact.bin', type: 'application/octet-stream' });
      const bytes = randomBytes(limit);
      await page.goto(`${server.base}/`);
      await page.setInputFiles('#file', [{ name: 'exact.bin', mimeType: 'application/octet-stream', buffer: bytes }]);
      await page.locator('#file-chosen').waitFor();
      // Slow the upload down so the bar can be seen moving (about 3 s for 1.4 MB).
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 500 * 1024,
      });
      await page.click('#create-button');
      await page.waitForFunction(() => {
        const bar = document.getElementById('progress-bar');
        return !document.getElementById('progress').hidden && bar.hasAttribute('value') && bar.value > 5 && bar.value < 95;
      }, null, { timeout: 20_000 });
      assert.match(await page.textContent('#progress-label'), /^Uploading… \d+%$/);
      await page.locator('#result-view').waitFor({ timeout: 30_000 });
      assert.equal(await page.isVisible('#progress'), false, 'the bar goes away when done');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
      });
      const body = JSON.parse(log.requests.find((r) => r.url.endsWith('/api/secrets')).body);
      assert.ok(body.encrypted.length <= ENCRYPTED_MAX_CHARS && body.encrypted.length > ENCRYPTED_MAX_CHARS - 4);
      const dir = tempDir();
      try {
        const got = cli(dir, ['get', '--save', await page.inputValue('#share-link')]);
        assert.equal(got.status, 0, got.stderr.toString());
        assert.ok(readFileSync(join(dir, 'exact.bin')).equals(bytes));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      assertCleanConsole(log);
      await context.close();
    });

    test('a server with a lower limit answers 413, and the page says so and keeps the file', async () => {
      const { context, page, log } = await openPage(browser);
      await page.route('**/api/secrets', (route) => route.fulfill({
        status: 413, headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ error: 'SECRET_TOO_LARGE', message: 'simulated', requestId: 'test' }),
      }));
      await page.goto(`${server.base}/`);
      await page.setInputFiles('#file', [{ name: 'a.bin', mimeType: '', buffer: randomBytes(2000) }]);
      await page.click('#create-button');
      await page.locator('#create-error').waitFor();
      assert.equal(await page.textContent('#create-error'), 'The secret is too large: the limit is 1 MB.');
      assert.equal(await page.isVisible('#file-chosen'), true, 'the file is still attached');
      assertCleanConsole(log, { allowStatuses: [413] });
      await context.close();
    });
  });
});
