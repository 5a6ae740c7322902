// The UI's languages, checked without a browser: every language file has every key of
// en.json with the same placeholders and the plural forms its language needs; every key
// the pages and scripts use exists and every key is used; the language choice and the
// Intl formatting behave. (The pages themselves, in every language, are checked in
// Chromium by pages.test.mjs.)
// Run: node --test web/test/i18n.test.mjs (Node 20+, no dependencies).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LANGUAGES, formatBytes, formatDuration, pickLanguage, relativeTime } from '../i18n.js';

const web = fileURLToPath(new URL('../', import.meta.url));
const load = (lang) => JSON.parse(readFileSync(`${web}i18n/${lang}.json`, 'utf8'));
const english = load('en');
const placeholders = (text) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
const forms = (value) => (typeof value === 'string' ? [value] : Object.values(value));

test('the switcher offers exactly the languages that have a file', () => {
  const files = readdirSync(`${web}i18n`).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  assert.deepEqual(files, Object.keys(LANGUAGES).sort());
  for (const lang of ['en', 'de', 'fr', 'es', 'pt', 'ja']) assert.ok(lang in LANGUAGES, lang);
});

for (const lang of Object.keys(LANGUAGES)) {
  test(`${lang}: every key of en.json, nothing else, same placeholders, the plural forms of ${lang}`, () => {
    const strings = load(lang);
    assert.deepEqual(Object.keys(strings).sort(), Object.keys(english).sort());
    const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories.sort();
    for (const [key, value] of Object.entries(strings)) {
      const source = english[key];
      assert.equal(typeof value, typeof source, `${key}: a string where English has one, plural forms likewise`);
      if (typeof value === 'object') {
        assert.deepEqual(Object.keys(value).sort(), categories, `${key}: the plural categories of ${lang}`);
      }
      const allowed = placeholders(forms(source).join(' '));
      for (const form of forms(value)) {
        assert.ok(form.trim().length > 0, `${key} is empty`);
        assert.ok(placeholders(form).every((p) => allowed.includes(p)), `${key}: unknown placeholder in ${JSON.stringify(form)}`);
        if (typeof value === 'string') assert.deepEqual(placeholders(form), allowed, `${key}: placeholders differ from English`);
      }
    }
  });
}

test('no language is English in disguise: nine strings in ten differ from en.json', () => {
  for (const lang of Object.keys(LANGUAGES).filter((l) => l !== 'en')) {
    const strings = load(lang);
    // Some are the same by right ("{size}", "Passphrase" in German, "(optional)").
    const same = Object.keys(english).filter((k) => JSON.stringify(strings[k]) === JSON.stringify(english[k]));
    assert.ok(same.length <= Object.keys(english).length / 10, `${lang} keeps English text for ${same.join(', ')}`);
  }
});

test('every key the pages and scripts use exists, and every key is used', () => {
  const sources = ['index.html', 'reveal.html', 'create.js', 'reveal.js', 'receipt.js', 'attach.js', 'access.js', 'ui.js', 'i18n.js']
    .map((file) => readFileSync(`${web}${file}`, 'utf8')).join('\n');
  const keyPattern = /^[a-z]+(\.[A-Za-z]+)+$/;
  const quoted = [...sources.matchAll(/['"`]([a-z]+(?:\.[A-Za-z]+)+)['"`]/g)].map((m) => m[1])
    .filter((k) => keyPattern.test(k) && !/\.(js|json|html|css|svg|zip|bin|txt)$/.test(k));
  const known = new Set(Object.keys(english));
  const used = new Set(quoted.filter((k) => known.has(k)));
  const unknown = quoted.filter((k) => !known.has(k) && /^(common|time|create|access|progress|result|manage|status|problem|reveal|secret|gone|badlink|error|copy)\./.test(k));
  assert.deepEqual([...new Set(unknown)], [], 'keys used but missing from en.json');
  assert.deepEqual(Object.keys(english).filter((k) => !used.has(k)), [], 'keys in en.json that nothing uses');
});

test('the language is the saved one, else the first of the browser\'s we have, else English', () => {
  assert.equal(pickLanguage('ja', ['de-DE']), 'ja');
  assert.equal(pickLanguage(null, ['nl-NL', 'pt-BR', 'en']), 'pt');
  assert.equal(pickLanguage('xx', ['FR-ca']), 'fr');
  assert.equal(pickLanguage(null, ['zh-CN']), 'en');
  assert.equal(pickLanguage(undefined, undefined), 'en');
  assert.equal(pickLanguage('__proto__', []), 'en', 'only real languages, not object keys');
});

test('durations, sizes and relative times are worded by Intl in each language', () => {
  // Intl puts no-break spaces where French typography wants them.
  const plain = (text) => text.replace(/[\u00a0\u202f]/g, ' ');
  assert.equal(plain(formatDuration(300_000, 'en')), '5 minutes');
  assert.equal(plain(formatDuration(86_400_000, 'de')), '1 Tag');
  assert.equal(plain(formatDuration(604_800_000, 'fr')), '7 jours');
  assert.equal(plain(formatDuration(3_600_000, 'ja')), '1 時間');
  assert.equal(plain(formatBytes(16, 'en')), '16 bytes');
  assert.equal(plain(formatBytes(70_000, 'en')), '68.4 kB');
  assert.equal(plain(formatBytes(1_048_576, 'de')), '1 MB');
  assert.equal(plain(formatBytes(1_572_864, 'fr')), '1,5 Mo');
  const now = Date.UTC(2025, 0, 1);
  assert.equal(plain(relativeTime(now + 2 * 3_600_000, 'es', now)), 'dentro de 2 horas');
  assert.equal(plain(relativeTime(now - 5 * 60_000, 'pt', now)), 'há 5 minutos');
  assert.equal(plain(relativeTime(now + 3 * 86_400_000, 'ja', now)), '3 日後');
});
