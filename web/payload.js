// The payload: what the envelope's plaintext holds (docs/envelope.md, "Payload
// formats"). It must match crates/core's payload module byte for byte; both are held
// to the `payloads` and `fileNames` vectors of docs/envelope-vectors.json.
//
// - format 1: the plaintext is the secret's bytes (text secrets, and the original's);
// - format 2: MAGIC, version 2, a 2-byte big-endian header length, a UTF-8 JSON header
//   {"name", "type"} (both optional), then the file's bytes.
// Decoding never fails: anything but a well-formed frame of a known version is format 1.
// No DOM, no network: runs in browsers and in Node 20.

export const MAGIC = new Uint8Array([0x00, 0x76, 0x61, 0x6e, 0x69, 0x73, 0x68]); // "\0vanish"
export const FORMAT_FILE = 2;
export const PREFIX_BYTES = MAGIC.length + 3;
export const MAX_HEADER_BYTES = 4096;
export const MAX_NAME_BYTES = 200;
export const MAX_TYPE_BYTES = 255;
const MAX_EXTENSION_BYTES = 16;
/** AES-GCM's tag, added to every ciphertext. */
const TAG_BYTES = 16;

const encoder = new TextEncoder();
const utf8Length = (text) => encoder.encode(text).length;
// Invisible characters that can disguise an extension (bidi overrides, zero widths, BOM).
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF]/gu;
const RESTRICTED_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MEDIA_TYPE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

/**
 * A file name safe to show and to save (the rule of docs/envelope.md): the last path
 * part, no control or invisible characters, `<>:"|?*` as `_`, no dots or white space at
 * either end, Windows device names prefixed with `_`, at most 200 UTF-8 bytes keeping a
 * short extension. Null when nothing is left.
 */
export function safeFileName(raw) {
  if (typeof raw !== 'string') return null;
  const base = raw.split(/[/\\]/).pop();
  const cleaned = base.replace(/\p{Cc}/gu, '').replace(INVISIBLE, '').replace(/[<>:"|?*]/g, '_');
  const trimmed = cleaned.replace(/^[\s.]+|[\s.]+$/gu, '');
  if (!trimmed) return null;
  // Prefixed before shortening, so the prefix counts against the length limit.
  return shorten(isDeviceName(trimmed) ? `_${trimmed}` : trimmed, MAX_NAME_BYTES);
}

function shorten(name, limit) {
  if (utf8Length(name) <= limit) return name;
  const dot = name.lastIndexOf('.');
  let extension = dot > 0 ? name.slice(dot) : '';
  if (utf8Length(extension) > MAX_EXTENSION_BYTES) extension = '';
  const stem = name.slice(0, name.length - extension.length);
  let budget = limit - utf8Length(extension);
  let kept = '';
  for (const char of stem) {
    budget -= utf8Length(char);
    if (budget < 0) break;
    kept += char;
  }
  return kept.replace(/[\s.]+$/u, '') + extension;
}

function isDeviceName(name) {
  // ASCII upper case only, as the Rust side: Unicode case mapping could turn other
  // letters into these.
  const stem = name.split('.')[0].replace(/[a-z]/g, (c) => c.toUpperCase()).trimEnd();
  return /^(CON|PRN|AUX|NUL|(COM|LPT)[1-9])$/.test(stem);
}

/** `type/subtype` of RFC 6838 restricted names, lower-cased; null otherwise. */
export function safeMediaType(raw) {
  if (typeof raw !== 'string' || raw.length > MAX_TYPE_BYTES || !MEDIA_TYPE.test(raw)) return null;
  return raw.toLowerCase();
}

/** `{name, type}` with both made safe (each may be null). */
export function fileInfo(name, type) {
  return { name: safeFileName(name), type: safeMediaType(type) };
}

/**
 * The plaintext to seal. `file` null (or absent) is format 1: the content as it is.
 * @param {{file?: {name?: string|null, type?: string|null}|null, content: Uint8Array}} payload
 */
export function encodePayload({ file = null, content }) {
  if (!file) return content;
  const safe = fileInfo(file.name, file.type);
  // Only the fields present, name before type: the same bytes serde_json writes.
  const header = {};
  if (safe.name) header.name = safe.name;
  if (safe.type) header.type = safe.type;
  const headerBytes = encoder.encode(JSON.stringify(header));
  const out = new Uint8Array(PREFIX_BYTES + headerBytes.length + content.length);
  out.set(MAGIC, 0);
  out[MAGIC.length] = FORMAT_FILE;
  out[MAGIC.length + 1] = headerBytes.length >> 8;
  out[MAGIC.length + 2] = headerBytes.length & 0xff;
  out.set(headerBytes, PREFIX_BYTES);
  out.set(content, PREFIX_BYTES + headerBytes.length);
  return out;
}

/**
 * Reads an opened plaintext: `{file: {name, type}|null, content}`; `content` is a view
 * into `plaintext`. Never throws.
 */
export function decodePayload(plaintext) {
  const asBytes = { file: null, content: plaintext };
  if (plaintext.length < PREFIX_BYTES || plaintext[MAGIC.length] !== FORMAT_FILE) return asBytes;
  if (!MAGIC.every((byte, i) => plaintext[i] === byte)) return asBytes;
  const length = (plaintext[MAGIC.length + 1] << 8) | plaintext[MAGIC.length + 2];
  if (length > MAX_HEADER_BYTES || PREFIX_BYTES + length > plaintext.length) return asBytes;
  let header;
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
      .decode(plaintext.subarray(PREFIX_BYTES, PREFIX_BYTES + length));
    header = JSON.parse(text);
  } catch {
    return asBytes;
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return asBytes;
  // Fields of another type are ignored, like unknown fields: the header may grow.
  const text = (value) => (typeof value === 'string' ? value : null);
  return {
    file: fileInfo(text(header.name), text(header.type)),
    content: plaintext.subarray(PREFIX_BYTES + length),
  };
}

/**
 * The largest file (in bytes) a server with this ciphertext limit accepts, under this
 * name and type: base64url of (payload + tag) must fit `encryptedMaxChars`.
 */
export function maxFileBytes(encryptedMaxChars, file) {
  const maxSealed = Math.floor((encryptedMaxChars * 3) / 4);
  const frame = encodePayload({ file: file || {}, content: new Uint8Array(0) }).length;
  return Math.max(0, maxSealed - TAG_BYTES - frame);
}
