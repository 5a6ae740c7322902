// Shared page plumbing for create.js and reveal.js: the JSON API client with
// its error mapping, view switching, the live status region, copy to
// clipboard, and time formatting. Nothing here touches secret material except
// copyText, which is handed text the user asked to copy.
//
// CSP note: pages run under `script-src 'self'; style-src 'self'`, so views are
// switched with the `hidden` attribute and classes, never inline styles.

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
 * Calls the vanish API. `body` (an object) makes it a JSON POST.
 * Resolves to the parsed JSON (or null for 204); rejects with ApiError.
 */
export async function api(path, body) {
  // `path` is relative to the base (no leading slash): 'api/secrets/…'.
  const init = { method: 'GET', headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'omit' };
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
  if (response.ok && data) return data;
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') || '', 10);
  const code = (data && typeof data.error === 'string') ? data.error : fallbackCode(response.status);
  throw new ApiError(response.status, code, data && data.message, Number.isFinite(retryAfter) ? retryAfter : undefined);
}

function fallbackCode(status) {
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'STORE_UNAVAILABLE';
  return 'BAD_RESPONSE';
}

/** A sentence a person can act on, for any API or network failure. */
export function describeError(err) {
  const code = err && err.code;
  const wait = err && err.retryAfterSeconds ? ` Try again ${describeWait(err.retryAfterSeconds)}.` : ' Try again later.';
  switch (code) {
    case 'NETWORK': return 'Could not reach the server. Check your connection and try again.';
    case 'RATE_LIMITED': return `Too many requests from your network.${wait}`;
    case 'BANNED': return `Your network is temporarily blocked after too many requests.${wait}`;
    case 'STORE_UNAVAILABLE':
    case 'TIMEOUT':
    case 'INTERNAL_ERROR': return 'The service is having trouble right now. Please try again in a minute.';
    case 'SECRET_TOO_LARGE':
    case 'PAYLOAD_TOO_LARGE': return 'The secret is too large. The limit is about 1 MB.';
    case 'NOT_FOUND': return 'This secret is not available any more.';
    case 'FORBIDDEN': return 'This receipt does not match the secret.';
    default: return 'Something went wrong. Please try again.';
  }
}

function describeWait(seconds) {
  if (seconds < 90) return `in ${Math.max(1, Math.round(seconds))} seconds`;
  if (seconds < 90 * 60) return `in ${Math.round(seconds / 60)} minutes`;
  return `in ${Math.round(seconds / 3600)} hours`;
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
    announce(ok ? 'Copied to the clipboard.' : 'Could not copy. The text is selected: press Ctrl+C or ⌘C.');
    if (!ok) return;
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = 'Copied';
    button.classList.add('is-done');
    setTimeout(() => { button.textContent = label; button.classList.remove('is-done'); }, 2000);
  });
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const relativeDays = new Intl.RelativeTimeFormat(undefined, { numeric: 'always' });

/** "in 23 hours (28 Nov 2025, 21:25)" for a time in ms since the epoch. */
export function describeTime(ms, now = Date.now()) {
  return `${relativeTime(ms, now)} (${absolute.format(new Date(ms))})`;
}

/** "in 23 hours", "5 minutes ago". */
export function relativeTime(ms, now = Date.now()) {
  const seconds = Math.round((ms - now) / 1000);
  const minutes = Math.round(seconds / 60);
  const hours = Math.round(seconds / 3600);
  // Each unit is used while its rounded value stays below the next unit.
  if (Math.abs(seconds) < 60) return relative.format(seconds, 'second');
  if (Math.abs(minutes) < 60) return relative.format(minutes, 'minute');
  if (Math.abs(hours) < 24) return relative.format(hours, 'hour');
  // 'always' for days: "in 1 day" reads better than "tomorrow" next to a date.
  return relativeDays.format(Math.round(seconds / 86400), 'day');
}

/** "1 view" / "3 views". */
export function views(n) {
  return n === 1 ? '1 view' : `${n} views`;
}

/** Ids as the server accepts them (8–64 of [A-Za-z0-9]); anything else is a broken link. */
export function isValidId(id) {
  return typeof id === 'string' && /^[A-Za-z0-9]{8,64}$/.test(id);
}
