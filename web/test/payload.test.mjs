// web/payload.js against the shared vectors (docs/envelope-vectors.json, made by the
// Rust implementation): payload formats 1 and 2, the file-name rule, and sealed files.
// Run: node --test web/test/payload.test.mjs (Node 20+, no dependencies).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeBase64Url, openBytes, deriveKeys, parseLinkKey, seal } from '../envelope.js';
import {
  MAX_NAME_BYTES, decodePayload, encodePayload, maxFileBytes, safeFileName, safeMediaType,
} from '../payload.js';

const vectorsPath = fileURLToPath(new URL('../../docs/envelope-vectors.json', import.meta.url));
const { vectors, payloads, fileNames } = JSON.parse(readFileSync(vectorsPath, 'utf8'));
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'));

test('the vectors file has payload and file-name sections', () => {
  assert.ok(payloads.length >= 10);
  assert.ok(fileNames.length >= 15);
  assert.ok(vectors.some((v) => v.plaintext.startsWith('0076616e69736802')), 'a sealed format-2 vector');
});

for (const p of payloads) {
  test(`payload vector decodes: ${p.name}`, () => {
    const { file, content } = decodePayload(unhex(p.plaintext));
    assert.deepEqual(file, p.file);
    assert.equal(hex(content), p.content);
    assert.equal(file ? 2 : 1, p.format);
    if (p.canonical) {
      assert.equal(hex(encodePayload({ file: p.file, content: unhex(p.content) })), p.plaintext, 'encodes back');
    }
  });
}

test('every file-name vector is made safe as listed', () => {
  for (const { raw, safe } of fileNames) assert.equal(safeFileName(raw), safe, JSON.stringify(raw));
});

test('sealed file vectors open to a file with its name', async () => {
  for (const v of vectors.filter((x) => x.name.startsWith('file'))) {
    const { aesKey } = await deriveKeys(parseLinkKey(v.key), v.passphrase ?? '');
    const { file } = decodePayload(await openBytes(v, aesKey));
    assert.ok(file && file.name, v.name);
  }
});

test('a file round-trips through seal and open with its name and type', async () => {
  const content = new Uint8Array(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
  const plaintext = encodePayload({ file: { name: 'dir/Übersicht.xlsx', type: 'Application/Vnd.ms-excel' }, content });
  const sealed = await seal(plaintext);
  const opened = await openBytes(sealed, decodeBase64Url(sealed.key));
  const { file, content: back } = decodePayload(opened);
  assert.deepEqual(file, { name: 'Übersicht.xlsx', type: 'application/vnd.ms-excel' });
  assert.equal(hex(back), hex(content));
});

test('format 1 is the bytes themselves, both ways', () => {
  const bytes = new TextEncoder().encode('hunter2');
  assert.equal(encodePayload({ content: bytes }), bytes);
  assert.deepEqual(decodePayload(bytes), { file: null, content: bytes });
});

test('long names are cut to 200 bytes on a character boundary', () => {
  const safe = safeFileName(`${'日本'.repeat(80)}.txt`);
  assert.ok(new TextEncoder().encode(safe).length <= MAX_NAME_BYTES);
  assert.ok(safe.endsWith('.txt'));
  assert.equal(safeFileName('x'.repeat(300)).length, 200);
});

test('media types are plain type/subtype or nothing', () => {
  assert.equal(safeMediaType('image/svg+xml'), 'image/svg+xml');
  for (const bad of ['', 'text', 'text/html; charset=utf-8', 'a b/c', null, 5]) assert.equal(safeMediaType(bad), null);
});

test('the file limit leaves room for the frame and the tag, and no more', async () => {
  const file = { name: 'a.bin', type: 'application/octet-stream' };
  const limit = maxFileBytes(1_400_000, file);
  assert.ok(limit > 1_048_576, `a 1 MiB file fits: ${limit}`);
  const atLimit = await seal(encodePayload({ file, content: new Uint8Array(limit) }));
  assert.ok(atLimit.encrypted.length <= 1_400_000);
  const over = await seal(encodePayload({ file, content: new Uint8Array(limit + 1) }));
  assert.ok(over.encrypted.length > 1_400_000);
  for (const chars of [200, 201, 202, 203, 1000]) {
    const max = maxFileBytes(chars, file);
    const fits = await seal(encodePayload({ file, content: new Uint8Array(max) }));
    assert.ok(fits.encrypted.length <= chars, `${chars}`);
  }
});
