// Who may create on this instance, settled before anyone types a secret. The create
// page asks `GET /api/config` (docs/api.md, "Who may create") once on load: the mode
// (`createAccess`), whether this very request could create (`canCreate`), the bounds of a
// secret, and where share links should point (`shareBaseUrl`, a split deployment).
//
// - open, or allowed (a proxy vouching for a permitted identity): the form as usual;
// - `closed`: a read-only instance; the form is not offered, the page says where
//   secrets come from;
// - `proxy` without an accepted identity: "sign in to create"; the form is not offered;
// - `token`: an API token field above the form, which stays disabled until
//   `/api/config`, asked again with that token as `Authorization: Bearer`, says it may
//   create. The accepted token is kept in sessionStorage (this tab only, gone when it
//   closes; never localStorage), sent only in that header, and "Forget token" drops it.
//
// A server that does not answer `/api/config` is taken as an open one with the default
// limits: a refusal on submit still gets a clear message (errorMessage in ui.js).

import { setText, t } from './i18n.js';
import { announce, api, errorMessage } from './ui.js';

const TOKEN_KEY = 'vanish.apiToken';

/** The server's defaults (docs/operations.md), for a server without `/api/config`. */
const DEFAULT_LIMITS = {
  ttlMinMs: 300_000, ttlDefaultMs: 86_400_000, ttlMaxMs: 604_800_000, maxViews: 100, encryptedMaxChars: 1_400_000,
};

const $ = (id) => document.getElementById(id);

/** What `/api/config` said, checked: `{createAccess, canCreate, shareBaseUrl, limits}`. */
let config = null;
/** The API token the server accepted, sent with creates; null when none is. */
let acceptedToken = null;
/** Called with whether the create form may be used. */
let setEnabled = () => {};

/** The limits a secret must fit, as the server reported them. */
export function limits() {
  return config.limits;
}

/** The base of share links: the public instance of a split deployment, or this one. */
export function shareBaseUrl() {
  return config.shareBaseUrl;
}

/** The API token to send with a create, or undefined. */
export function creatorToken() {
  return acceptedToken || undefined;
}

/**
 * Asks the server who may create, with the token this tab kept (if any), and keeps the
 * answer. Resolves to the view to show: 'create', 'closed' or 'signin'.
 */
export async function loadAccess() {
  const kept = storedToken();
  config = await fetchConfig(kept);
  if (config.createAccess === 'token' && kept && config.canCreate) acceptedToken = kept;
  // A token this server does not take (revoked, or another server's) is not kept.
  else if (kept) forgetStoredToken();
  // Token mode shows the form (disabled until a token is accepted) with the token field.
  if (config.canCreate || config.createAccess === 'token') return 'create';
  return config.createAccess === 'closed' ? 'closed' : 'signin';
}

/**
 * Wires the token field (token mode only) and puts the form in the state the server
 * allows. `enable(allowed)` switches the create form.
 */
export function wireAccess({ enable }) {
  setEnabled = enable;
  // "No accounts" is not true of an instance that asks for a token or a sign-in.
  if (config.createAccess !== 'open') setText($('footer-text'), 'access.footer');
  if (config.createAccess !== 'token') {
    setEnabled(config.canCreate);
    return;
  }
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    useToken();
  });
  $('token-forget').addEventListener('click', () => {
    forgetToken();
    $('token').focus();
  });
  showTokenState();
}

/**
 * A create was refused by the access rule (`AUTH_REQUIRED`, say a token revoked since):
 * in token mode, the token is dropped and asked again.
 */
export function createRefused(code) {
  if (config.createAccess === 'token' && code === 'AUTH_REQUIRED') forgetToken();
}

async function useToken() {
  const field = $('token');
  const token = field.value.trim();
  setTokenError('');
  // A header value is printable ASCII; anything else is not a token of ours.
  if (!token) return setTokenError('access.token.empty');
  if (!/^[\x21-\x7e]{1,512}$/.test(token)) return setTokenError('access.token.refused');
  $('token-button').disabled = true;
  try {
    const answer = await api('api/config', undefined, { token });
    if (!answer || answer.canCreate !== true) return setTokenError('access.token.refused');
    acceptedToken = token;
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // Storage disabled: the token still works until the page is left.
    }
    field.value = '';
    showTokenState();
    announce(t('access.token.accepted'));
    $('secret').focus();
  } catch (err) {
    const { key, params } = errorMessage(err);
    setTokenError(key, params);
  } finally {
    $('token-button').disabled = false;
  }
  return undefined;
}

function forgetToken() {
  acceptedToken = null;
  forgetStoredToken();
  showTokenState();
}

/** The token box (asking, or accepted with "Forget token") and the form to match. */
function showTokenState() {
  $('token-form').hidden = Boolean(acceptedToken);
  $('token-ready').hidden = !acceptedToken;
  setEnabled(Boolean(acceptedToken));
}

function setTokenError(key, params) {
  const el = $('token-error');
  if (key) setText(el, key, params);
  else el.textContent = '';
  el.hidden = !key;
  $('token').setAttribute('aria-invalid', String(Boolean(key)));
  if (key) $('token').focus();
}

async function fetchConfig(token) {
  try {
    return checked(await api('api/config', undefined, { token }));
  } catch {
    return checked({});
  }
}

/** The answer with anything missing or malformed replaced by the open defaults. */
function checked(answer) {
  const given = answer && typeof answer === 'object' ? answer : {};
  const reported = given.limits && typeof given.limits === 'object' ? given.limits : {};
  const limits = {};
  for (const [name, fallback] of Object.entries(DEFAULT_LIMITS)) {
    const value = reported[name];
    limits[name] = Number.isSafeInteger(value) && value > 0 ? value : fallback;
  }
  const share = typeof given.shareBaseUrl === 'string' && /^https?:\/\/[^\s#?]+$/.test(given.shareBaseUrl)
    ? given.shareBaseUrl.replace(/\/+$/, '') : null;
  return {
    createAccess: typeof given.createAccess === 'string' ? given.createAccess : 'open',
    canCreate: typeof given.canCreate === 'boolean' ? given.canCreate : true,
    shareBaseUrl: share,
    limits,
  };
}

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function forgetStoredToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing was stored.
  }
}
