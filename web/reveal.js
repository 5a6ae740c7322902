// The reveal page (`/s/{id}#{key}`).
//
// Order matters here:
// 1. read the key from the fragment and at once remove it from the address bar
//    (so it is not left in history, screenshots of the URL bar, or a reload);
// 2. fetch the metadata, which never consumes a view, and say what is waiting;
// 3. only when the person presses "Reveal": POST …/reveal (consumes one view),
//    decrypt locally, and show the plaintext with textContent (never as HTML), or,
//    for a file (payload format 2), its name and size with a download.
// The key and the passphrase are never sent; only the passphrase proof is.

import { decodeText, deriveKeys, encodeBase64Url, openBytes, parseLinkKey } from './envelope.js';
import { describeTime, formatBytes, setText, startI18n, t } from './i18n.js';
import { decodePayload } from './payload.js';
import { announce, api, bindCopyButton, errorMessage, isValidId, showView } from './ui.js';

/** Text files up to this size are also shown on the page, to read or copy. */
const PREVIEW_MAX_BYTES = 256 * 1024;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

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

async function start() {
  // The key leaves the address bar before anything else, even the language files.
  const fragment = location.hash;
  if (fragment) history.replaceState(null, '', location.pathname + location.search);
  // The link opened again in this tab, now that the key is gone from the address bar, is
  // only a change of fragment, which loads nothing: load it as the new page it is.
  window.addEventListener('hashchange', () => { if (location.hash) location.reload(); });
  await startI18n();
  try {
    linkKey = parseLinkKey(fragment);
  } catch {
    return showView(allViews, views.badlink, { focus: false });
  }
  if (!isValidId(secretId)) {
    setText($('badlink-text'), 'badlink.id');
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
  const count = meta.viewsLeft;
  // The last view is its own sentence, not a plural form: it is about what happens, not
  // about grammar (Japanese has no plural forms, yet says "once" differently).
  const isLast = count === 1;
  setText($('ready-meta'), isLast ? 'reveal.ready.metaOnce' : 'reveal.ready.meta', {
    count, when: (lang) => describeTime(meta.expiresAt, lang),
  });
  setText($('ready-warning'), isLast ? 'reveal.ready.warningLast' : 'reveal.ready.warning');
  $('proof-field').hidden = !passphraseRequired;
  showView(allViews, views.ready, { focus });
  return undefined;
}

async function reveal() {
  const field = $('passphrase');
  const passphrase = passphraseRequired ? field.value : '';
  setPassphraseError('');
  if (passphraseRequired && !passphrase) {
    setPassphraseError('reveal.passphrase.empty');
    field.focus();
    return;
  }
  const button = $('reveal-button');
  button.disabled = true;
  setText(button, passphraseRequired ? 'reveal.checking' : 'reveal.revealing');
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
    setText(button, 'reveal.button');
  }
  return undefined;
}

function onRevealRefused(err) {
  const field = $('passphrase');
  if (err.code === 'PASSPHRASE_INVALID') {
    setPassphraseError('reveal.passphrase.wrong');
    field.focus();
    field.select();
    return;
  }
  if (err.code === 'PASSPHRASE_REQUIRED') {
    passphraseRequired = true;
    $('proof-field').hidden = false;
    setPassphraseError('reveal.passphrase.required');
    field.focus();
    return;
  }
  showFailure(err, true);
}

function setPassphraseError(key) {
  const el = $('passphrase-error');
  if (key) setText(el, key);
  else el.textContent = '';
  el.hidden = !key;
  $('passphrase').setAttribute('aria-invalid', String(Boolean(key)));
}

function showSecret(plaintext, viewsLeft) {
  const { file, content } = decodePayload(plaintext);
  const { text, isText } = decodeText(content);
  // A file is also shown as text only if it reads as text: UTF-8 without control
  // characters other than tabs and line breaks (a file of NUL bytes is valid UTF-8).
  const showText = isText && (!file || (content.length <= PREVIEW_MAX_BYTES && !CONTROL.test(text)));
  revealed = true;
  setText($('secret-title'), file ? 'secret.fileTitle' : 'secret.title');
  const notice = { 0: 'secret.destroyed', 1: 'secret.leftOnce' }[viewsLeft] || 'secret.left';
  setText($('secret-notice'), notice, { count: viewsLeft });
  // textContent, never innerHTML: the secret is shown as text, whatever it contains.
  $('secret-text').textContent = showText ? text : '';
  $('secret-text').hidden = !showText;
  $('secret-copy').hidden = !showText;
  $('secret-binary').hidden = Boolean(file) || isText;
  $('file-card').hidden = !file;
  if (file) showFileCard(file, content.length);
  offerDownload(file, content, isText);
  showView(allViews, views.secret);
  announce(t(file ? 'secret.fileAnnounce' : 'secret.announce'));
}

function showFileCard(file, size) {
  if (file.name) $('file-name').textContent = file.name;
  else setText($('file-name'), 'secret.fileUnnamed');
  const formatted = (lang) => formatBytes(size, lang);
  if (file.type) setText($('file-meta'), 'secret.fileMetaTyped', { size: formatted, type: file.type });
  else setText($('file-meta'), 'secret.fileMeta', { size: formatted });
}

/**
 * A file's bytes (or a text that is not UTF-8) as a download. Always
 * application/octet-stream, whatever type the sender claimed: a blob: URL has this
 * page's origin, and must never be rendered as HTML in it.
 */
function offerDownload(file, content, isText) {
  const download = $('secret-download');
  download.hidden = !file && isText;
  if (download.hidden) return;
  download.href = URL.createObjectURL(new Blob([content], { type: 'application/octet-stream' }));
  download.download = (file && file.name) || (isText ? 'secret.txt' : 'secret.bin');
  download.classList.toggle('primary', Boolean(file));
  download.classList.toggle('secondary', !file);
  if (file && file.name) {
    setText(download, 'secret.downloadNamed', { name: file.name });
  } else {
    setText(download, 'secret.download');
  }
}

function showUndecryptable(viewsLeft) {
  setText($('error-title'), 'error.undecryptable.title');
  setText($('error-text'), viewsLeft > 0 ? 'error.undecryptable.ask' : 'error.undecryptable.spent');
  $('retry-button').hidden = true;
  showView(allViews, views.error);
}

function showFailure(err, focus) {
  if (err && err.code === 'NOT_FOUND') return showView(allViews, views.gone, { focus });
  setText($('error-title'), 'error.title');
  // A refusal from the server consumed nothing; a lost connection might have.
  const consumedNothing = err && err.status >= 400;
  const { key, params } = errorMessage(err);
  setText($('error-text'), consumedNothing ? 'error.withNothingOpened' : key, {
    ...params,
    message: () => t(key, params),
  });
  $('retry-button').hidden = false;
  return showView(allViews, views.error, { focus });
}

function forgetSecret() {
  if (!revealed) return;
  $('secret-text').textContent = '';
  $('file-name').textContent = '';
  const download = $('secret-download');
  if (!download.hidden) URL.revokeObjectURL(download.href);
  download.hidden = true;
  showView(allViews, views.gone, { focus: false });
}

start();
