// Several files as one: a plain ZIP archive (PKWARE APPNOTE 6.3.x), "stored" (no
// compression: the point is one attachment, and most things worth keeping secret do
// not compress anyway), names in UTF-8 (flag bit 11). Every unzip tool reads it.
// No DOM, no network: runs in browsers and in Node 20.

import { safeFileName } from './payload.js';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = (c & 1) ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as ZIP and gzip use it). */
export function crc32(bytes) {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i += 1) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** MS-DOS date and time of a ms-since-epoch instant, in local time as ZIP expects. */
function dosDateTime(ms) {
  const d = new Date(Number.isFinite(ms) ? ms : Date.now());
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Safe, distinct names: `a.txt`, `a (1).txt`, … (archives with duplicates confuse people). */
function distinctNames(files) {
  const used = new Set();
  return files.map((file, index) => {
    const safe = safeFileName(file.name) || `file-${index + 1}`;
    const dot = safe.lastIndexOf('.');
    const [stem, extension] = dot > 0 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, ''];
    let name = safe;
    for (let n = 1; used.has(name.toLowerCase()); n += 1) name = `${stem} (${n})${extension}`;
    used.add(name.toLowerCase());
    return name;
  });
}

/** Bytes added by the archive around the files' contents, for the size limit. */
export function zipOverhead(files) {
  const names = distinctNames(files).map((name) => new TextEncoder().encode(name).length);
  return names.reduce((sum, n) => sum + 30 + 46 + 2 * n, 22);
}

/**
 * One stored ZIP of `files` (`{name, bytes, lastModified}`), in the given order.
 * @returns {Uint8Array}
 */
export function zipStore(files) {
  if (files.length > 0xffff) throw new RangeError('too many files for one archive');
  const encoder = new TextEncoder();
  const names = distinctNames(files).map((name) => encoder.encode(name));
  const total = files.reduce((sum, file) => sum + file.bytes.length, 0) + zipOverhead(files);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (value) => { view.setUint16(at, value, true); at += 2; };
  const u32 = (value) => { view.setUint32(at, value, true); at += 4; };
  const bytes = (value) => { out.set(value, at); at += value.length; };

  const central = [];
  files.forEach((file, i) => {
    const { time, date } = dosDateTime(file.lastModified);
    const entry = { offset: at, crc: crc32(file.bytes), size: file.bytes.length, name: names[i], time, date };
    central.push(entry);
    u32(0x04034b50); // local file header
    u16(20); // version needed: 2.0
    u16(0x0800); // flags: UTF-8 names
    u16(0); // method: stored
    u16(time); u16(date);
    u32(entry.crc); u32(entry.size); u32(entry.size);
    u16(entry.name.length); u16(0);
    bytes(entry.name);
    bytes(file.bytes);
  });
  const centralStart = at;
  for (const entry of central) {
    u32(0x02014b50); // central directory header
    u16(0x0314); // made by: Unix, 2.0
    u16(20); u16(0x0800); u16(0);
    u16(entry.time); u16(entry.date);
    u32(entry.crc); u32(entry.size); u32(entry.size);
    u16(entry.name.length); u16(0); u16(0); // name, extra, comment lengths
    u16(0); u16(0); // disk number, internal attributes
    u32(0o100600 * 0x10000); // external attributes: a regular file, mode 0600
    u32(entry.offset);
    bytes(entry.name);
  }
  const centralSize = at - centralStart;
  u32(0x06054b50); // end of central directory
  u16(0); u16(0);
  u16(central.length); u16(central.length);
  u32(centralSize); u32(centralStart);
  u16(0);
  return out;
}
