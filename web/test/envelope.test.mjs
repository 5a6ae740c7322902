// web/envelope.js against the shared vectors (docs/envelope-vectors.json, made by the
// Rust implementation) in both directions, plus round trips and refusals.
// Run: node --test web/test/envelope.test.mjs (Node 20+, no dependencies).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  EnvelopeError, KEY_BYTES, decodeBase64Url, decodeText, deriveKeys, encodeBase64Url, generateLinkKey, open,
  openBytes, parseLinkKey, seal, shareLink,
} from '../envelope.js';

const vectorsPath = fileURLToPath(new URL('../../docs/envelope-vectors.json', import.meta.url));
const { vectors, pbkdf2 } = JSON.parse(readFileSync(vectorsPath, 'utf8'));
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'));

test('the vectors file is the format this module implements', () => {
  assert.ok(vectors.length >= 6, 'expected at least six vectors');
  assert.equal(pbkdf2.iterations, 600000);
  assert.equal(pbkdf2.hash, 'SHA-256');
  assert.equal(pbkdf2.outputBytes, 64);
});

for (const v of vectors) {
  test(`seal matches vector: ${v.name}`, async () => {
    const sealed = await seal(unhex(v.plaintext), {
      linkKey: decodeBase64Url(v.key), iv: decodeBase64Url(v.iv), passphrase: v.passphrase ?? '',
    });
    assert.equal(sealed.key, v.key);
    assert.equal(sealed.iv, v.iv);
    assert.equal(sealed.encrypted, v.encrypted);
    assert.equal(sealed.passphraseVerifier ?? null, v.verifier);
  });

  test(`open matches vector: ${v.name}`, async () => {
    const { aesKey, verifier } = await deriveKeys(parseLinkKey(`#${v.key}`), v.passphrase ?? '');
    assert.equal(verifier ? encodeBase64Url(verifier) : null, v.verifier);
    const plaintext = await openBytes({ encrypted: v.encrypted, iv: v.iv }, aesKey);
    assert.equal(hex(plaintext), v.plaintext);
  });
}

test('a vector with a passphrase does not open without it, nor with a near miss', async () => {
  const v = vectors.find((x) => x.passphrase);
  const linkKey = parseLinkKey(v.key);
  await assert.rejects(open(v, linkKey), (err) => err instanceof EnvelopeError && err.code === 'DECRYPT_FAILED');
  await assert.rejects(open(v, linkKey, `${v.passphrase} `), { code: 'DECRYPT_FAILED' });
});

test('round trip of text without a passphrase', async () => {
  const text = 'hunter2 ✓ <script>alert(1)</script>\r\n\ttabs and \u0000 nul';
  const sealed = await seal(text);
  assert.equal(sealed.passphraseVerifier, undefined);
  assert.equal(await open(sealed, parseLinkKey(sealed.key)), text);
});

test('round trip of text with a passphrase; the verifier differs from the AES key', async () => {
  const sealed = await seal('the launch code', { passphrase: 'Grüße 🔑' });
  const linkKey = parseLinkKey(sealed.key);
  const { aesKey, verifier } = await deriveKeys(linkKey, 'Grüße 🔑');
  assert.equal(sealed.passphraseVerifier, encodeBase64Url(verifier));
  assert.notEqual(hex(aesKey), hex(verifier));
  assert.notEqual(hex(aesKey), hex(linkKey));
  assert.equal(await open(sealed, linkKey, 'Grüße 🔑'), 'the launch code');
  await assert.rejects(open(sealed, linkKey, 'Grusse 🔑'), { code: 'DECRYPT_FAILED' });
});

test('a leading byte-order mark survives the round trip', async () => {
  const text = '\uFEFFstarts with a BOM';
  const sealed = await seal(text);
  assert.equal(await open(sealed, parseLinkKey(sealed.key)), text);
});

test('a secret near the 1 MB limit round-trips', async () => {
  const text = 'x'.repeat(1_000_000);
  const sealed = await seal(text);
  assert.ok(sealed.encrypted.length <= 1_400_000);
  assert.equal(await open(sealed, parseLinkKey(sealed.key)), text);
});

test('sealed output has the wire shape: unpadded base64url, 43-char key, 16-char iv, tag appended', async () => {
  const sealed = await seal('abc');
  for (const field of ['key', 'iv', 'encrypted']) assert.match(sealed[field], /^[A-Za-z0-9_-]+$/);
  assert.equal(sealed.key.length, 43);
  assert.equal(sealed.iv.length, 16);
  assert.equal(decodeBase64Url(sealed.encrypted).length, 3 + 16);
});

test('every seal uses a fresh key and iv', async () => {
  const a = await seal('same');
  const b = await seal('same');
  assert.notEqual(a.key, b.key);
  assert.notEqual(a.iv, b.iv);
  assert.notEqual(a.encrypted, b.encrypted);
  assert.equal(generateLinkKey().length, KEY_BYTES);
});

test('a tampered ciphertext, a wrong key or a short ciphertext is refused', async () => {
  const sealed = await seal('do not alter');
  const linkKey = parseLinkKey(sealed.key);
  const bytes = decodeBase64Url(sealed.encrypted);
  bytes[0] ^= 1;
  await assert.rejects(open({ ...sealed, encrypted: encodeBase64Url(bytes) }, linkKey), { code: 'DECRYPT_FAILED' });
  await assert.rejects(open(sealed, generateLinkKey()), { code: 'DECRYPT_FAILED' });
  await assert.rejects(open({ ...sealed, encrypted: 'AAAA' }, linkKey), { code: 'DECRYPT_FAILED' });
  await assert.rejects(open({ ...sealed, iv: 'AAAA' }, linkKey), { code: 'INVALID_IV_LENGTH' });
});

test('base64url encoding agrees with Node for every length 0..64', () => {
  for (let n = 0; n <= 64; n += 1) {
    const bytes = new Uint8Array(Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)));
    const expected = Buffer.from(bytes).toString('base64url');
    assert.equal(encodeBase64Url(bytes), expected);
    assert.equal(hex(decodeBase64Url(expected)), hex(bytes));
  }
});

test('base64url decoding accepts padding and refuses other alphabets', () => {
  assert.equal(hex(decodeBase64Url('QQ==')), '41');
  assert.equal(hex(decodeBase64Url('QUI=')), '4142');
  for (const bad of ['Q', 'QQ=', 'a+b/', 'ab cd', 'QUJD=', 'ab\n', '====']) {
    assert.throws(() => decodeBase64Url(bad), { code: 'INVALID_ENCODING' }, JSON.stringify(bad));
  }
});

test('link keys must be exactly 32 bytes of base64url', () => {
  const key = generateLinkKey();
  const text = encodeBase64Url(key);
  assert.equal(hex(parseLinkKey(`#${text}`)), hex(key));
  assert.equal(hex(parseLinkKey(text)), hex(key));
  for (const bad of ['', '#', text.slice(0, 42), `${text}AA`, `${text.slice(0, 42)}+`]) {
    assert.throws(() => parseLinkKey(bad), { code: 'INVALID_KEY' }, JSON.stringify(bad));
  }
});

test('share links are {origin}/s/{id}#{key}', () => {
  const key = decodeBase64Url(vectors[0].key);
  assert.equal(shareLink('https://vanish.example/', 'abcDEF123', key), `https://vanish.example/s/abcDEF123#${vectors[0].key}`);
});

test('decodeText tells text from binary', () => {
  assert.deepEqual(decodeText(new TextEncoder().encode('héllo')), { text: 'héllo', isText: true });
  assert.equal(decodeText(new Uint8Array([0xff, 0xfe, 0x00])).isText, false);
});
