// The reveal page (`/s/{id}#{key}`).
//
// Order matters here:
// 1. read the key from the fragment and at once remove it from the address bar
//    (so it is not left in history, screenshots of the URL bar, or a reload);
// 2. fetch the metadata, which never consumes a view, and say what is waiting;
// 3. only when the person presses "Reveal": POST …/reveal (consumes one view),
//    decrypt locally, and show the plaintext with textContent (never as HTML).
// The key and the passphrase are never sent; only the passphrase proof is.

import { decodeText, deriveKeys, encodeBase64Url, openBytes, parseLinkKey } from './envelope.js';
import { api, announce, bindCopyButton, describeError, describeTime, isValidId, showView } from './ui.js';

const $ = (id) => document.getElementById(id);
const views = {
  loading: $('loading-view'),
  ready: $('ready-view'),
  secret: $('secret-view'),
  gone: $('gone-view'),
  badlink: $('badlink-view'),
  error: $('error-view'),
};
const allViews = Object.values(views);

// The last path segment, so a path prefix in front of /s/ does not matter.
const secretId = location.pathname.split('/').filter(Boolean).pop() || '';
let linkKey = null;
let passphraseRequired = false;
let revealed = false;

function start() {
  const fragment = location.hash;
  if (fragment) history.replaceState(null, '', location.pathname + location.search);
  try {
    linkKey = parseLinkKey(fragment);
  } catch {
    return showView(allViews, views.badlink, { focus: false });
  }
  if (!isValidId(secretId)) {
    $('badlink-text').textContent = 'This link is broken: the secret id in it is not valid. Ask the sender for the full link.';
    return showView(allViews, views.badlink, { focus: false });
  }
  $('reveal-form').addEventListener('submit', (event) => {
    event.preventDefault();
    reveal();
  });
  $('retry-button').addEventListener('click', () => loadMeta({ focus: true }));
  bindCopyButton($('secret-copy'), $('secret-text'), () => $('secret-text').textContent);
  // Leaving the page forgets the plaintext, so the back/forward cache cannot bring it back.
  window.addEventListener('pagehide', forgetSecret);
  return loadMeta({ focus: false });
}

async function loadMeta({ focus }) {
  showView(allViews, views.loading, { focus });
  let meta;
  try {
    meta = await api(`api/secrets/${secretId}/meta`);
  } catch (err) {
    return showFailure(err, focus);
  }
  passphraseRequired = Boolean(meta.passphraseRequired);
  const left = meta.viewsLeft;
  $('ready-meta').textContent = left === 1
    ? `It can be opened once, and expires ${describeTime(meta.expiresAt)}.`
    : `It can be opened ${left} more times, and expires ${describeTime(meta.expiresAt)}.`;
  $('ready-warning').textContent = left === 1
    ? 'Reveal it only when you are ready to copy it: once revealed, it is destroyed.'
    : 'Revealing it uses one of the remaining views.';
  $('proof-field').hidden = !passphraseRequired;
  showView(allViews, views.ready, { focus });
  return undefined;
}

async function reveal() {
  const field = $('passphrase');
  const passphrase = passphraseRequired ? field.value : '';
  setPassphraseError('');
  if (passphraseRequired && !passphrase) {
    setPassphraseError('Enter the passphrase the sender gave you.');
    field.focus();
    return;
  }
  const button = $('reveal-button');
  button.disabled = true;
  button.textContent = passphraseRequired ? 'Checking the passphrase…' : 'Revealing…';
  announce(button.textContent);
  try {
    const { aesKey, verifier } = await deriveKeys(linkKey, passphrase);
    const body = verifier ? { passphraseProof: encodeBase64Url(verifier) } : {};
    let sealed;
    try {
      sealed = await api(`api/secrets/${secretId}/reveal`, body);
    } catch (err) {
      return onRevealRefused(err);
    }
    let bytes;
    try {
      bytes = await openBytes(sealed, aesKey);
    } catch {
      return showUndecryptable(sealed.viewsLeft);
    }
    field.value = '';
    showSecret(bytes, sealed.viewsLeft);
  } finally {
    button.disabled = false;
    button.textContent = 'Reveal secret';
  }
  return undefined;
}

function onRevealRefused(err) {
  const field = $('passphrase');
  if (err.code === 'PASSPHRASE_INVALID') {
    setPassphraseError('That passphrase is not right. Check it and try again. After 5 wrong tries the secret is destroyed.');
    field.focus();
    field.select();
    return;
  }
  if (err.code === 'PASSPHRASE_REQUIRED') {
    passphraseRequired = true;
    $('proof-field').hidden = false;
    setPassphraseError('This secret needs a passphrase.');
    field.focus();
    return;
  }
  showFailure(err, true);
}

function setPassphraseError(message) {
  const el = $('passphrase-error');
  el.textContent = message;
  el.hidden = !message;
  $('passphrase').setAttribute('aria-invalid', String(Boolean(message)));
}

function showSecret(bytes, viewsLeft) {
  const { text, isText } = decodeText(bytes);
  revealed = true;
  // textContent, never innerHTML: the secret is shown as text, whatever it contains.
  $('secret-text').textContent = text;
  $('secret-notice').textContent = viewsLeft > 0
    ? `This link can be opened ${viewsLeft === 1 ? 'once more' : `${viewsLeft} more times`}, then the secret is destroyed.`
    : 'This secret is now destroyed on the server: this link will not work again. Copy it before you leave.';
  $('secret-binary').hidden = isText;
  const download = $('secret-download');
  download.hidden = isText;
  if (!isText) download.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  showView(allViews, views.secret);
  announce('The secret is shown below.');
}

function showUndecryptable(viewsLeft) {
  $('error-title').textContent = 'The secret could not be decrypted';
  $('error-text').textContent = 'The key in the link does not fit this secret: the link was probably changed or cut short. '
    + (viewsLeft > 0 ? 'Ask the sender for the full link.' : 'The secret was used up; ask the sender to share it again.');
  $('retry-button').hidden = true;
  showView(allViews, views.error);
}

function showFailure(err, focus) {
  if (err && err.code === 'NOT_FOUND') return showView(allViews, views.gone, { focus });
  $('error-title').textContent = 'Something went wrong';
  // A refusal from the server consumed nothing; a lost connection might have.
  const consumedNothing = err && err.status >= 400;
  $('error-text').textContent = describeError(err) + (consumedNothing ? ' Nothing has been opened yet.' : '');
  $('retry-button').hidden = false;
  return showView(allViews, views.error, { focus });
}

function forgetSecret() {
  if (!revealed) return;
  $('secret-text').textContent = '';
  const download = $('secret-download');
  if (!download.hidden) URL.revokeObjectURL(download.href);
  download.hidden = true;
  showView(allViews, views.gone, { focus: false });
}

start();
