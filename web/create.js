// The create page (`/`): encrypt a text or files in the browser, upload the
// ciphertext with a progress bar, show the share link (and its QR code) and the
// sender's receipt. The same page also answers two other URLs:
//
// - `/?id={id}#{key}`, the original service's share link: sent on to `/s/{id}#{key}`
//   (location.replace keeps the fragment in the browser and out of history).
// - `/?manage={id}#{manageToken}`, the receipt link: status and early burn (receipt.js).
//
// Whether this visitor may create, and the limits the form offers, come from the server
// before the form is shown (access.js).
//
// The plaintext, the link key and the passphrase never leave this page except
// as ciphertext and the passphrase verifier (see envelope.js).

import { createRefused, creatorToken, limits, loadAccess, shareBaseUrl, wireAccess } from './access.js';
import { attachment, clearAttachment, fileLimitBytes, readAttachment, wireAttachment } from './attach.js';
import { seal } from './envelope.js';
import { describeTime, formatDuration, onLanguageChange, setText, startI18n, t } from './i18n.js';
import { drawQr } from './qr.js';
import { refreshStatus, showReceipt, wireReceipt } from './receipt.js';
import { ApiError, announce, appUrl, bindCopyButton, errorMessage, isValidId, showView, upload } from './ui.js';

/** The expiry choices offered when the server's bounds allow them (and its default). */
const TTL_CHOICES = [300_000, 3_600_000, 86_400_000, 604_800_000];

const $ = (id) => document.getElementById(id);
const createView = $('create-view');
const resultView = $('result-view');
const manageView = $('manage-view');
const problemView = $('problem-view');
const closedView = $('closed-view');
const signinView = $('signin-view');
const allViews = [createView, resultView, manageView, problemView, closedView, signinView];

async function start() {
  // A receipt or old-style link opened in this tab after its fragment was removed from
  // the address bar is only a change of fragment: load it as the page it is.
  window.addEventListener('hashchange', () => { if (location.hash && location.search) location.reload(); });
  await startI18n();
  const params = new URLSearchParams(location.search);
  if (params.has('id')) return openLegacyLink(params.get('id'));
  if (params.has('manage')) return openReceiptLink(params.get('manage'));
  const view = await loadAccess();
  wireCreateForm();
  wireReceipt();
  showView(allViews, { create: createView, closed: closedView, signin: signinView }[view], { focus: false });
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
  fillTtlOptions();
  onLanguageChange(renderTtlOptions);
  $('views').max = String(limits().maxViews);
  wireAccess({ enable: (allowed) => { $('create-fields').disabled = !allowed; } });
  wireAttachment({
    limitChars: limits().encryptedMaxChars,
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

/**
 * The expiry choices within the server's bounds: the usual ones, its default (selected)
 * and its maximum, so a server allowing 30 days offers them and one capped at 2 days
 * offers no 7.
 */
function fillTtlOptions() {
  const { ttlMinMs, ttlDefaultMs, ttlMaxMs } = limits();
  const choices = [...new Set([...TTL_CHOICES, ttlDefaultMs, ttlMaxMs])]
    .filter((ms) => ms >= ttlMinMs && ms <= ttlMaxMs)
    .sort((a, b) => a - b);
  $('ttl').replaceChildren(...choices.map((ms) => {
    const option = document.createElement('option');
    option.value = String(ms);
    // defaultSelected, so the form's reset after creating comes back to it.
    option.defaultSelected = ms === ttlDefaultMs;
    option.selected = option.defaultSelected;
    return option;
  }));
  renderTtlOptions();
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
  const allowed = limits().maxViews;
  if (!Number.isInteger(maxViews) || maxViews < 1 || maxViews > allowed) {
    setError('views-error', 'create.error.views', { max: allowed }, viewsField);
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
    if (sealed.encrypted.length > limits().encryptedMaxChars) throw new ApiError(413, 'SECRET_TOO_LARGE');
    const body = { encrypted: sealed.encrypted, iv: sealed.iv, ttl: form.ttl, maxViews: form.maxViews };
    if (sealed.passphraseVerifier) body.passphraseVerifier = sealed.passphraseVerifier;
    showProgress('progress.uploading', 0);
    const progress = (sent, total) => showProgress('progress.uploading', sent / total);
    const created = await upload('api/secrets', body, progress, { token: creatorToken() });
    showResult(created, sealed.key, Boolean(form.passphrase));
  } catch (err) {
    const { key, params } = errorMessage(err, { limitBytes: fileLimitBytes() });
    setError('create-error', key, params);
    createRefused(err.code);
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
  // A split deployment's links point at its public instance (SHARE_BASE_URL).
  const page = shareBaseUrl() ? `${shareBaseUrl()}/s/${created.id}` : appUrl(`s/${created.id}`);
  $('share-link').value = `${page}#${key}`;
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
