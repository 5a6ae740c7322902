// web/zip.js: archives of several files, checked by an independent reader (Python's
// zipfile, which verifies every CRC) and for the size the UI promises.
// Run: node --test web/test/zip.test.mjs (Node 20+; python3 for the reader test).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, zipOverhead, zipStore } from '../zip.js';

const requireAll = process.env.VANISH_REQUIRE_ALL === '1';
const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasPython && !requireAll) console.log('\n*** SKIPPED: zip reader test: python3 is not installed ***\n');

test('crc32 matches the published check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('the archive is exactly the contents plus the overhead the UI counts', () => {
  const files = [
    { name: 'a.txt', bytes: new Uint8Array(10), lastModified: 0 },
    { name: 'ü.bin', bytes: new Uint8Array(3), lastModified: 0 },
  ];
  assert.equal(zipStore(files).length, 13 + zipOverhead(files));
});

test('python3 reads the archive: names, bytes and CRCs', { skip: !hasPython && !requireAll && 'python3 missing' }, () => {
  assert.ok(hasPython, 'python3 is needed (VANISH_REQUIRE_ALL=1)');
  const files = [
    { name: 'notes.txt', bytes: new TextEncoder().encode('line one\n'), lastModified: Date.UTC(2025, 0, 2, 3, 4, 6) },
    { name: 'Grüße/秘密.bin', bytes: new Uint8Array(Array.from({ length: 300 }, (_, i) => i & 0xff)), lastModified: Date.now() },
    { name: 'notes.txt', bytes: new Uint8Array(0), lastModified: Date.now() },
    { name: '..', bytes: new Uint8Array([1]), lastModified: Date.now() },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'vanish-zip-'));
  try {
    const path = join(dir, 'files.zip');
    writeFileSync(path, zipStore(files));
    const script = [
      'import sys, zipfile, json',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      'print(json.dumps([[i.filename, z.read(i).hex(), i.compress_type] for i in z.infolist()]))',
    ].join('\n');
    const run = spawnSync('python3', ['-c', script, path], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [
      ['notes.txt', Buffer.from('line one\n').toString('hex'), 0],
      ['秘密.bin', Buffer.from(files[1].bytes).toString('hex'), 0],
      ['notes (1).txt', '', 0],
      ['file-4', '01', 0],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
