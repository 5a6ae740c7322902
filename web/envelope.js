// The vanish envelope: how a secret is sealed in the browser before upload and
// opened after download. It must match crates/core's envelope bit for bit
// (docs/envelope.md, test vectors in docs/envelope-vectors.json).
//
// - link key: 32 random bytes; the link fragment is its base64url (no padding)
// - iv: 12 random bytes
// - encrypted: AES-256-GCM(aesKey, iv, UTF-8 plaintext, no AAD) = ciphertext || 16-byte tag
// - no passphrase: aesKey = link key
// - passphrase: d = PBKDF2-HMAC-SHA256(passphrase as typed, salt = link key, 600000, 512 bits);
//   aesKey = d[0..32], verifier = d[32..64] (sent as passphraseVerifier / passphraseProof)
//
// WebCrypto only (globalThis.crypto), so the same module runs in browsers and in
// Node 20 for the unit tests. No DOM, no network: callers own those.

export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const PBKDF2_ITERATIONS = 600000;

/** Thrown for input that cannot be a vanish envelope (bad encoding, wrong length, failed tag). */
export class EnvelopeError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'EnvelopeError';
    this.code = code;
  }
}

const subtle = () => globalThis.crypto.subtle;
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

/** base64url without padding (RFC 4648 §5). */
export function encodeBase64Url(bytes) {
  let binary = '';
  // Chunked so a ~1 MB secret does not blow the argument limit of fromCharCode.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * base64url decoding: only the URL-safe alphabet, no whitespace. Trailing '='
 * padding is accepted (docs/envelope.md: readers accept it) but never produced.
 */
export function decodeBase64Url(text) {
  const body = typeof text === 'string' ? text.replace(/={1,2}$/, '') : null;
  const padded = body !== null && body.length !== text.length;
  if (body === null || !BASE64URL_RE.test(body) || body.length % 4 === 1 || (padded && text.length % 4 !== 0)) {
    throw new EnvelopeError('INVALID_ENCODING', 'not base64url');
  }
  const b64 = body.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (body.length % 4)) % 4);
  let binary;
  try {
    binary = atob(b64);
  } catch {
    throw new EnvelopeError('INVALID_ENCODING', 'not base64url');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A fresh random link key (32 bytes from the CSPRNG). */
export function generateLinkKey() {
  return globalThis.crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

/**
 * Reads the link key from a URL fragment (with or without the leading '#').
 * Throws EnvelopeError('INVALID_KEY') unless it is exactly 32 bytes of base64url.
 */
export function parseLinkKey(fragment) {
  const text = String(fragment || '').replace(/^#/, '');
  let key;
  try {
    key = decodeBase64Url(text);
  } catch {
    throw new EnvelopeError('INVALID_KEY', 'the link key is not base64url');
  }
  if (key.length !== KEY_BYTES) {
    throw new EnvelopeError('INVALID_KEY', `the link key must be ${KEY_BYTES} bytes`);
  }
  return key;
}

/** The share link: `{origin}/s/{id}#{key}`. */
export function shareLink(origin, id, linkKey) {
  return `${origin.replace(/\/+$/, '')}/s/${encodeURIComponent(id)}#${encodeBase64Url(linkKey)}`;
}

/**
 * The AES key and, with a passphrase, the verifier. An empty or missing
 * passphrase means "no passphrase": the link key is the AES key.
 * @returns {Promise<{aesKey: Uint8Array, verifier: Uint8Array|null}>}
 */
export async function deriveKeys(linkKey, passphrase) {
  if (!passphrase) return { aesKey: linkKey, verifier: null };
  const material = await subtle().importKey(
    'raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, ['deriveBits'],
  );
  const bits = new Uint8Array(await subtle().deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: linkKey, iterations: PBKDF2_ITERATIONS },
    material,
    512,
  ));
  return { aesKey: bits.slice(0, 32), verifier: bits.slice(32, 64) };
}

async function importAesKey(aesKey, usage) {
  return subtle().importKey('raw', aesKey, { name: 'AES-GCM' }, false, [usage]);
}

/**
 * Encrypts `plaintext` (a string, encoded as UTF-8, or bytes).
 * `linkKey` and `iv` are for test vectors only; normal callers let them be random.
 * @returns {Promise<{key: string, encrypted: string, iv: string, passphraseVerifier?: string}>}
 *   `key` is the link fragment; the rest is the create request body.
 */
export async function seal(plaintext, { passphrase = '', linkKey = generateLinkKey(), iv } = {}) {
  const nonce = iv || globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const data = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext;
  const { aesKey, verifier } = await deriveKeys(linkKey, passphrase);
  const key = await importAesKey(aesKey, 'encrypt');
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: nonce }, key, data));
  const out = { key: encodeBase64Url(linkKey), encrypted: encodeBase64Url(sealed), iv: encodeBase64Url(nonce) };
  if (verifier) out.passphraseVerifier = encodeBase64Url(verifier);
  return out;
}

/**
 * Decrypts `{encrypted, iv}` with the link key (bytes) and the AES key derived
 * from it. Returns the plaintext bytes; throws EnvelopeError('DECRYPT_FAILED')
 * when the tag does not verify (wrong key, wrong passphrase, tampered data).
 */
export async function openBytes({ encrypted, iv }, aesKey) {
  const nonce = decodeBase64Url(iv);
  const sealed = decodeBase64Url(encrypted);
  if (nonce.length !== IV_BYTES) throw new EnvelopeError('INVALID_IV_LENGTH', 'iv must be 12 bytes');
  if (sealed.length < TAG_BYTES) throw new EnvelopeError('DECRYPT_FAILED', 'ciphertext too short');
  const key = await importAesKey(aesKey, 'decrypt');
  try {
    return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: nonce }, key, sealed));
  } catch {
    throw new EnvelopeError('DECRYPT_FAILED', 'the secret could not be decrypted');
  }
}

/**
 * Decodes plaintext bytes as UTF-8. `isText` is false when the bytes are not
 * valid UTF-8 (e.g. a binary file sent with the CLI); `text` is then lossy.
 */
export function decodeText(bytes) {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), isText: true };
  } catch {
    return { text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), isText: false };
  }
}

/** Convenience for tests and simple callers: decrypt to a string. */
export async function open(envelope, linkKey, passphrase = '') {
  const { aesKey } = await deriveKeys(linkKey, passphrase);
  return decodeText(await openBytes(envelope, aesKey)).text;
}
