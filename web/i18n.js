// The UI's languages: every string on the pages comes from web/i18n/{lang}.json.
//
// - The language is the one saved by the switcher (localStorage), else the first of the
//   browser's languages we have, else English.
// - Elements carry their key: `data-i18n="key"` (text), `data-i18n-placeholder`,
//   `data-i18n-aria-label`, `data-i18n-content` (attributes). Text set by scripts goes
//   through `setText`, which records key and parameters on the element, so switching the
//   language re-renders everything on screen, including times and sizes.
// - A value is a string with `{name}` placeholders, or for counts an object of plural
//   forms (`{"one": …, "other": …}`, chosen by Intl.PluralRules).
// - Parameters are strings, numbers (formatted by Intl.NumberFormat) or functions of the
//   language (for dates, durations and nested plurals), evaluated at each render.

export const LANGUAGES = {
  en: 'English',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  pt: 'Português',
  ja: '日本語',
};
export const DEFAULT_LANGUAGE = 'en';
const STORAGE_KEY = 'vanish.language';
const ATTRIBUTES = ['placeholder', 'aria-label', 'content'];

let language = DEFAULT_LANGUAGE;
let strings = {};
let fallback = {};
const paramsOf = new WeakMap();
const listeners = [];

/** The language in use, e.g. 'de'. */
export function currentLanguage() {
  return language;
}

/**
 * The language to use: `saved` if we have it, else the first of `preferred` (BCP 47
 * tags, as navigator.languages) whose primary subtag we have, else English.
 */
export function pickLanguage(saved, preferred) {
  if (Object.hasOwn(LANGUAGES, saved)) return saved;
  for (const tag of preferred || []) {
    const primary = String(tag).toLowerCase().split('-')[0];
    if (Object.hasOwn(LANGUAGES, primary)) return primary;
  }
  return DEFAULT_LANGUAGE;
}

function savedLanguage() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // Storage disabled: the browser's languages decide.
  }
}

async function fetchStrings(lang) {
  const response = await fetch(new URL(`./i18n/${lang}.json`, import.meta.url), { credentials: 'omit' });
  if (!response.ok) throw new Error(`i18n/${lang}.json: HTTP ${response.status}`);
  return response.json();
}

/** Loads `lang` (and English, for a missing key) and renders the page in it. */
export async function useLanguage(lang) {
  const chosen = Object.hasOwn(LANGUAGES, lang) ? lang : DEFAULT_LANGUAGE;
  const [loaded, english] = await Promise.all([
    fetchStrings(chosen),
    chosen === DEFAULT_LANGUAGE || Object.keys(fallback).length ? null : fetchStrings(DEFAULT_LANGUAGE),
  ]);
  if (english) fallback = english;
  if (chosen === DEFAULT_LANGUAGE) fallback = loaded;
  language = chosen;
  strings = loaded;
  document.documentElement.lang = chosen;
  translatePage();
  for (const listener of listeners) listener(chosen);
}

/** Calls `listener(lang)` after every language change. */
export function onLanguageChange(listener) {
  listeners.push(listener);
}

/** Starts the page in the right language and wires the switcher (`#language`). */
export async function startI18n() {
  const select = document.getElementById('language');
  if (select) {
    select.replaceChildren(...Object.entries(LANGUAGES).map(([code, name]) => {
      const option = document.createElement('option');
      option.value = code;
      option.lang = code;
      option.textContent = name;
      return option;
    }));
    select.addEventListener('change', () => {
      try {
        localStorage.setItem(STORAGE_KEY, select.value);
      } catch {
        // Not remembered, but still switched for this page.
      }
      useLanguage(select.value);
    });
  }
  try {
    await useLanguage(pickLanguage(savedLanguage(), navigator.languages));
  } catch (err) {
    // Without its strings the page keeps the English written in its HTML.
    console.warn(`vanish: could not load the UI language: ${err.message}`);
  }
  if (select) select.value = language;
}

/** The text of `key` in the current language, with `params` filled in. */
export function t(key, params = {}) {
  let value = strings[key];
  if (value === undefined) {
    console.warn(`vanish: missing translation ${language}:${key}`);
    value = fallback[key];
  }
  if (value === undefined) return key;
  if (typeof value === 'object') value = pluralForm(value, params.count);
  return value.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? formatParam(params[name]) : whole));
}

function pluralForm(forms, count) {
  const category = new Intl.PluralRules(language).select(Number(count) || 0);
  return forms[category] ?? forms.other;
}

function formatParam(value) {
  if (typeof value === 'function') return value(language);
  if (typeof value === 'number') return new Intl.NumberFormat(language).format(value);
  return String(value);
}

/** Sets `element`'s text to `key` (re-rendered on a language change). */
export function setText(element, key, params = {}) {
  element.dataset.i18n = key;
  paramsOf.set(element, params);
  element.textContent = t(key, params);
}

/** Renders every `[data-i18n]` element and translated attribute on the page. */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) {
    element.textContent = t(element.dataset.i18n, paramsOf.get(element));
  }
  for (const attribute of ATTRIBUTES) {
    for (const element of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      element.setAttribute(attribute, t(element.getAttribute(`data-i18n-${attribute}`)));
    }
  }
}

// ---- Formatting with Intl, in the current language ----------------------------------

const DURATION_UNITS = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000], ['second', 1000]];

/** "5 minutes", "1 day", "7 Tage": the largest unit that divides `ms` evenly. */
export function formatDuration(ms, lang = language) {
  const [unit, size] = DURATION_UNITS.find(([, unitMs]) => ms % unitMs === 0) || DURATION_UNITS[3];
  return new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' }).format(Math.round(ms / size));
}

/** "512 bytes", "12.3 kB", "1 MB" (1 kB = 1024 bytes, as file managers count). */
export function formatBytes(bytes, lang = language) {
  if (bytes < 1024) return new Intl.NumberFormat(lang, { style: 'unit', unit: 'byte', unitDisplay: 'long' }).format(bytes);
  const [unit, size] = bytes < 1024 * 1024 ? ['kilobyte', 1024] : ['megabyte', 1024 * 1024];
  return new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 })
    .format(bytes / size);
}

/** "in 23 hours", "5 minutes ago", "in 2 days". */
export function relativeTime(ms, lang = language, now = Date.now()) {
  const seconds = Math.round((ms - now) / 1000);
  const minutes = Math.round(seconds / 60);
  const hours = Math.round(seconds / 3600);
  const auto = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  // Each unit is used while its rounded value stays below the next unit.
  if (Math.abs(seconds) < 60) return auto.format(seconds, 'second');
  if (Math.abs(minutes) < 60) return auto.format(minutes, 'minute');
  if (Math.abs(hours) < 24) return auto.format(hours, 'hour');
  // 'always' for days: "in 1 day" reads better than "tomorrow" next to a date.
  return new Intl.RelativeTimeFormat(lang, { numeric: 'always' }).format(Math.round(seconds / 86400), 'day');
}

/** "in 23 hours (28 Nov 2025, 21:25)", arranged as the language's `time.withDate` says. */
export function describeTime(ms, lang = language, now = Date.now()) {
  const date = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
  return t('time.withDate', { relative: relativeTime(ms, lang, now), date });
}
