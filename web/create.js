// The create page (`/`): encrypt a text or files in the browser, upload the
// ciphertext with a progress bar, show the share link (and its QR code) and the
// sender's receipt. The same page also answers two other URLs:
//
// - `/?id={id}#{key}`, the original service's share link: sent on to `/s/{id}#{key}`
//   (location.replace keeps the fragment in the browser and out of history).
// - `/?manage={id}#{manageToken}`, the receipt link: status and early burn (receipt.js).
//
// The plaintext, the link key and the passphrase never leave this page except
// as ciphertext and the passphrase verifier (see envelope.js).

import { attachment, clearAttachment, fileLimitBytes, readAttachment, wireAttachment } from './attach.js';
import { seal } from './envelope.js';
import { describeTime, formatDuration, onLanguageChange, setText, startI18n, t } from './i18n.js';
import { drawQr } from './qr.js';
import { refreshStatus, showReceipt, wireReceipt } from './receipt.js';
import { ApiError, announce, appUrl, bindCopyButton, errorMessage, isValidId, showView, upload } from './ui.js';

/** The server's default ENCRYPTED_MAX_CHARS (docs/operations.md); a smaller one answers 413. */
const ENCRYPTED_MAX_CHARS = 1400000;
const MAX_VIEWS = 100;

const $ = (id) => document.getElementById(id);
const createView = $('create-view');
const resultView = $('result-view');
const manageView = $('manage-view');
const problemView = $('problem-view');
const allViews = [createView, resultView, manageView, problemView];

async function start() {
  // A receipt or old-style link opened in this tab after its fragment was removed from
  // the address bar is only a change of fragment: load it as the page it is.
  window.addEventListener('hashchange', () => { if (location.hash && location.search) location.reload(); });
  await startI18n();
  const params = new URLSearchParams(location.search);
  if (params.has('id')) return openLegacyLink(params.get('id'));
  if (params.has('manage')) return openReceiptLink(params.get('manage'));
  wireCreateForm();
  wireReceipt();
  showView(allViews, createView, { focus: false });
  return undefined;
}

function openLegacyLink(id) {
  if (!isValidId(id)) return showProblem('problem.badId');
  location.replace(appUrl(`s/${id}`) + location.hash);
  return undefined;
}

function openReceiptLink(id) {
  const token = location.hash.slice(1);
  // The token is a bearer credential: keep it out of the address bar and history.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  if (!isValidId(id) || !/^[A-Za-z0-9_-]{16,200}$/.test(token)) return showProblem('problem.badReceipt');
  wireReceipt();
  showReceipt(id, token, { standalone: true });
  showView(allViews, manageView, { focus: false });
  return refreshStatus();
}

function showProblem(key) {
  setText($('problem-text'), key);
  showView(allViews, problemView, { focus: false });
}

// ---- Create -------------------------------------------------------------------

function wireCreateForm() {
  renderTtlOptions();
  onLanguageChange(renderTtlOptions);
  wireAttachment({
    limitChars: ENCRYPTED_MAX_CHARS,
    card: createView,
    // A file replaces the text: the text box goes away while one is attached.
    changed: (chosen) => { $('secret').closest('.field').hidden = Boolean(chosen); },
  });
  $('create-form').addEventListener('submit', (event) => {
    event.preventDefault();
    createSecret();
  });
  const toggle = $('passphrase-toggle');
  toggle.addEventListener('click', () => {
    const field = $('passphrase');
    const shown = field.type === 'password';
    field.type = shown ? 'text' : 'password';
    toggle.setAttribute('aria-pressed', String(shown));
    setText(toggle, shown ? 'create.passphrase.hide' : 'create.passphrase.show');
  });
  $('create-another').addEventListener('click', () => {
    setError('create-error', '');
    showView(allViews, createView);
    $('secret').focus();
  });
  $('qr-toggle').addEventListener('click', toggleQr);
  bindCopyButton($('share-copy'), $('share-link'), () => $('share-link').value);
}

/** The expiry choices, worded by Intl in the page's language ("5 minutes", "7 Tage"). */
function renderTtlOptions() {
  for (const option of $('ttl').options) option.textContent = formatDuration(Number(option.value));
}

function setError(id, key, params, field) {
  const el = $(id);
  if (key) setText(el, key, params);
  else el.textContent = '';
  el.hidden = !key;
  if (field) field.setAttribute('aria-invalid', String(Boolean(key)));
}

/** Reads and checks the form; returns the request options or null after flagging the field. */
function readForm() {
  const secret = $('secret');
  const viewsField = $('views');
  setError('secret-error', '', {}, secret);
  setError('views-error', '', {}, viewsField);
  setError('create-error', '');
  if (!attachment() && secret.value.length === 0) {
    setError('secret-error', 'create.error.empty', {}, secret);
    secret.focus();
    return null;
  }
  const maxViews = Number(viewsField.value);
  if (!Number.isInteger(maxViews) || maxViews < 1 || maxViews > MAX_VIEWS) {
    setError('views-error', 'create.error.views', { max: MAX_VIEWS }, viewsField);
    viewsField.focus();
    return null;
  }
  return { ttl: Number($('ttl').value), maxViews, passphrase: $('passphrase').value };
}

async function createSecret() {
  const form = readForm();
  if (!form) return;
  const button = $('create-button');
  button.disabled = true;
  try {
    let plaintext = $('secret').value;
    if (attachment()) {
      showProgress('progress.reading');
      plaintext = await readAttachment();
    }
    showProgress(form.passphrase ? 'progress.encryptingPassphrase' : 'progress.encrypting');
    const sealed = await seal(plaintext, { passphrase: form.passphrase });
    if (sealed.encrypted.length > ENCRYPTED_MAX_CHARS) throw new ApiError(413, 'SECRET_TOO_LARGE');
    const body = { encrypted: sealed.encrypted, iv: sealed.iv, ttl: form.ttl, maxViews: form.maxViews };
    if (sealed.passphraseVerifier) body.passphraseVerifier = sealed.passphraseVerifier;
    showProgress('progress.uploading', 0);
    const created = await upload('api/secrets', body, (sent, total) => showProgress('progress.uploading', sent / total));
    showResult(created, sealed.key, Boolean(form.passphrase));
  } catch (err) {
    const { key, params } = errorMessage(err, { limitBytes: fileLimitBytes() });
    setError('create-error', key, params);
  } finally {
    $('progress').hidden = true;
    button.disabled = false;
  }
}

/**
 * Shows a step of creating: reading, encrypting (no measure: the bar moves without a
 * value) or uploading (`fraction` from 0 to 1). A new step is announced; percentages
 * are not, to keep screen readers quiet.
 */
function showProgress(key, fraction) {
  const label = $('progress-label');
  const bar = $('progress-bar');
  const isNewStep = label.dataset.i18n !== key || $('progress').hidden;
  const percent = (lang) => new Intl.NumberFormat(lang, { style: 'percent' }).format(fraction || 0);
  setText(label, key, { percent });
  if (fraction === undefined) bar.removeAttribute('value');
  else bar.value = Math.round(fraction * 100);
  $('progress').hidden = false;
  if (isNewStep) announce(t(key, { percent }));
}

function showResult(created, key, hasPassphrase) {
  // The secret is uploaded: wipe it from the form so it does not linger on screen.
  $('create-form').reset();
  clearAttachment();
  renderTtlOptions();
  $('share-link').value = `${appUrl(`s/${created.id}`)}#${key}`;
  setText($('result-summary'), 'result.summary', {
    views: () => t('common.views', { count: created.maxViews }),
    when: (lang) => describeTime(created.expiresAt, lang),
  });
  $('result-passphrase').hidden = !hasPassphrase;
  hideQr();
  showReceipt(created.id, created.manageToken, { created });

  for (const view of allViews) view.hidden = view !== resultView && view !== manageView;
  $('result-title').focus();
  announce(t('result.announce'));
}

// ---- QR code of the share link ------------------------------------------------

function toggleQr() {
  if (!$('qr-box').hidden) return hideQr();
  const svg = drawQr($('qr-code'), $('share-link').value);
  setText(svg.querySelector('title'), 'result.qr.title');
  $('qr-box').hidden = false;
  $('qr-toggle').setAttribute('aria-expanded', 'true');
  setText($('qr-toggle'), 'result.qr.hide');
  return undefined;
}

function hideQr() {
  $('qr-box').hidden = true;
  $('qr-code').replaceChildren();
  $('qr-toggle').setAttribute('aria-expanded', 'false');
  setText($('qr-toggle'), 'result.qr.show');
}

start();
