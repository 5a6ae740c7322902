// Shared page plumbing for create.js and reveal.js: the JSON API client (fetch, and
// XMLHttpRequest where upload progress is wanted) with its error mapping, view
// switching, the live status region, and copy to clipboard. Nothing here touches
// secret material except copyText, which is handed text the user asked to copy.
// Words come from i18n.js; nothing here is written in one language.
//
// CSP note: pages run under `script-src 'self'; style-src 'self'`, so views are
// switched with the `hidden` attribute and classes, never inline styles.

import { formatBytes, t } from './i18n.js';

/**
 * Where the UI lives: `{origin}{prefix}/`, from this module's own URL, so the
 * pages work behind a proxy that mounts vanish under a path prefix.
 */
export const BASE_URL = new URL('./', import.meta.url);

/** An absolute URL under the UI's base, e.g. `appUrl('api/secrets')`. */
export function appUrl(path) {
  return new URL(path, BASE_URL).href;
}

/** An API failure with the server's error code (or NETWORK / BAD_RESPONSE). */
export class ApiError extends Error {
  constructor(status, code, message, retryAfterSeconds) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Calls the vanish API. `body` (an object) makes it a JSON POST; `token` (an API token,
 * docs/api.md "Who may create") is sent as `Authorization: Bearer`.
 * Resolves to the parsed JSON (or null for 204); rejects with ApiError.
 */
export async function api(path, body, { token } = {}) {
  // `path` is relative to the base (no leading slash): 'api/secrets/…'.
  const init = { method: 'GET', headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'omit' };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(appUrl(path), init);
  } catch {
    throw new ApiError(0, 'NETWORK', 'network error');
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    // A proxy's HTML error page, or an empty body: classified by status below.
  }
  return settle(response.status, data, response.headers.get('Retry-After'));
}

/**
 * POSTs `body` as JSON like `api` (with `token` likewise), calling `onProgress(sent,
 * total)` as the request body goes out (fetch cannot report upload progress;
 * XMLHttpRequest can).
 */
export function upload(path, body, onProgress, { token } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', appUrl(path));
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'NETWORK', 'network error')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'NETWORK', 'aborted')));
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        // Classified by status below.
      }
      try {
        resolve(settle(xhr.status, data, xhr.getResponseHeader('Retry-After')));
      } catch (err) {
        reject(err);
      }
    });
    xhr.send(JSON.stringify(body));
  });
}

/** The success body, or the ApiError for any other answer. */
function settle(status, data, retryAfterHeader) {
  if (status >= 200 && status < 300 && data) return data;
  const retryAfter = Number.parseInt(retryAfterHeader || '', 10);
  const code = (data && typeof data.error === 'string') ? data.error : fallbackCode(status);
  throw new ApiError(status, code, data && data.message, Number.isFinite(retryAfter) ? retryAfter : undefined);
}

function fallbackCode(status) {
  if (status === 404) return 'NOT_FOUND';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'STORE_UNAVAILABLE';
  return 'BAD_RESPONSE';
}

/**
 * A sentence a person can act on, for any API or network failure, as
 * `{key, params}` for setText (so it follows a language switch).
 * `limitBytes` is what the size limit allows, for SECRET_TOO_LARGE.
 */
export function errorMessage(err, { limitBytes } = {}) {
  const code = err && err.code;
  const seconds = err && err.retryAfterSeconds;
  const retry = (lang) => (seconds ? t('error.retryIn', { wait: describeWait(seconds, lang) }) : t('error.retryLater'));
  switch (code) {
    case 'NETWORK': return { key: 'error.network', params: {} };
    case 'RATE_LIMITED': return { key: 'error.rateLimited', params: { retry } };
    case 'BANNED': return { key: 'error.banned', params: { retry } };
    case 'STORE_UNAVAILABLE':
    case 'TIMEOUT':
    case 'INTERNAL_ERROR': return { key: 'error.unavailable', params: {} };
    case 'SECRET_TOO_LARGE':
    case 'PAYLOAD_TOO_LARGE':
      return { key: 'error.tooLarge', params: { limit: (lang) => formatBytes(limitBytes || 1024 * 1024, lang) } };
    case 'NOT_FOUND': return { key: 'error.notFound', params: {} };
    case 'FORBIDDEN': return { key: 'error.forbidden', params: {} };
    // Who may create (docs/api.md): only a create can meet these.
    case 'AUTH_REQUIRED': return { key: 'error.authRequired', params: {} };
    case 'CREATOR_NOT_ALLOWED': return { key: 'error.creatorNotAllowed', params: {} };
    case 'READ_ONLY': return { key: 'error.readOnly', params: {} };
    default: return { key: 'error.generic', params: {} };
  }
}

/** "in 2 minutes" for a Retry-After in seconds, in whole seconds, minutes or hours. */
function describeWait(seconds, lang) {
  const format = new Intl.RelativeTimeFormat(lang, { numeric: 'always' });
  if (seconds < 90) return format.format(Math.max(1, Math.round(seconds)), 'second');
  if (seconds < 90 * 60) return format.format(Math.round(seconds / 60), 'minute');
  return format.format(Math.round(seconds / 3600), 'hour');
}

/** Shows exactly one of `views` (elements), hides the rest, and moves focus to its heading. */
export function showView(views, active, { focus = true } = {}) {
  for (const view of views) view.hidden = view !== active;
  if (!focus) return;
  // Headings carry tabindex="-1" so a screen reader announces the new view.
  const heading = active.querySelector('h1, h2');
  if (heading) heading.focus();
}

/** Says `message` through the page's polite live region (#status). */
export function announce(message) {
  const region = document.getElementById('status');
  if (!region) return;
  region.textContent = '';
  // A fresh text node after a tick makes repeated identical messages re-announce.
  setTimeout(() => { region.textContent = message; }, 50);
}

/**
 * Copies `text` to the clipboard. Falls back to selecting `field` (an input or
 * element) and execCommand('copy') where the async clipboard API is missing or denied.
 */
export async function copyText(text, field) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Insecure context (plain http on a LAN address) or permission denied.
  }
  try {
    if (field && typeof field.select === 'function') {
      field.focus();
      field.select();
    } else if (field) {
      const range = document.createRange();
      range.selectNodeContents(field);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/** Wires a Copy button: copies `getText()`, says so, and flashes the button label. */
export function bindCopyButton(button, field, getText) {
  button.addEventListener('click', async () => {
    const ok = await copyText(getText(), field);
    announce(t(ok ? 'copy.done' : 'copy.failed'));
    if (!ok) return;
    // The label's key stays in data-i18n, so a language switch restores the right word.
    button.textContent = t('common.copied');
    button.classList.add('is-done');
    setTimeout(() => { button.textContent = t(button.dataset.i18n); button.classList.remove('is-done'); }, 2000);
  });
}

/** Ids as the server accepts them (8–64 of [A-Za-z0-9]); anything else is a broken link. */
export function isValidId(id) {
  return typeof id === 'string' && /^[A-Za-z0-9]{8,64}$/.test(id);
}
