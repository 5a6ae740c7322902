// The create page (`/`): encrypt in the browser, upload the ciphertext, show the
// share link and the sender's receipt. The same page also answers two other URLs:
//
// - `/?id={id}#{key}`, the original service's share link: sent on to `/s/{id}#{key}`
//   (location.replace keeps the fragment in the browser and out of history).
// - `/?manage={id}#{manageToken}`, the receipt link: status and early burn.
//
// The plaintext, the link key and the passphrase never leave this page except
// as ciphertext and the passphrase verifier (see envelope.js).

import { seal } from './envelope.js';
import {
  api, ApiError, announce, appUrl, bindCopyButton, describeError, describeTime, isValidId, relativeTime, showView, views,
} from './ui.js';

const ENCRYPTED_MAX_CHARS = 1400000;
const MAX_VIEWS = 100;

const $ = (id) => document.getElementById(id);
const createView = $('create-view');
const resultView = $('result-view');
const manageView = $('manage-view');
const problemView = $('problem-view');
const allViews = [createView, resultView, manageView, problemView];

/** The secret whose receipt is on screen: `{id, token, expiresAt}`. */
let receipt = null;

function start() {
  const params = new URLSearchParams(location.search);
  if (params.has('id')) return openLegacyLink(params.get('id'));
  if (params.has('manage')) return openReceiptLink(params.get('manage'));
  wireCreateForm();
  wireReceipt();
  showView(allViews, createView, { focus: false });
  return undefined;
}

function openLegacyLink(id) {
  if (!isValidId(id)) {
    return showProblem('This link is broken: its secret id is not valid. Ask the sender for the full link.');
  }
  location.replace(appUrl(`s/${id}`) + location.hash);
  return undefined;
}

function openReceiptLink(id) {
  const token = location.hash.slice(1);
  // The token is a bearer credential: keep it out of the address bar and history.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  if (!isValidId(id) || !/^[A-Za-z0-9_-]{16,200}$/.test(token)) {
    return showProblem('The receipt link is missing its token or was cut short. Copy the whole receipt link, including the part after “#”.');
  }
  wireReceipt();
  receipt = { id, token };
  $('manage-title').textContent = 'Secret receipt';
  // Alone on the page, the receipt's heading is the page's main heading.
  $('manage-title').setAttribute('aria-level', '1');
  $('manage-link').value = receiptLink(id, token);
  showView(allViews, manageView, { focus: false });
  return refreshStatus();
}

function showProblem(text) {
  $('problem-text').textContent = text;
  showView(allViews, problemView, { focus: false });
}

function receiptLink(id, token) {
  return `${appUrl(`?manage=${id}`)}#${token}`;
}

// ---- Create -------------------------------------------------------------------

function wireCreateForm() {
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
    toggle.textContent = shown ? 'Hide' : 'Show';
  });
  $('create-another').addEventListener('click', () => {
    receipt = null;
    setError('create-error', '');
    showView(allViews, createView);
    $('secret').focus();
  });
  bindCopyButton($('share-copy'), $('share-link'), () => $('share-link').value);
}

function setError(id, message, field) {
  const el = $(id);
  el.textContent = message;
  el.hidden = !message;
  if (field) field.setAttribute('aria-invalid', String(Boolean(message)));
}

/** Reads and checks the form; returns the request options or null after flagging the field. */
function readForm() {
  const secret = $('secret');
  const viewsField = $('views');
  setError('secret-error', '', secret);
  setError('views-error', '', viewsField);
  setError('create-error', '');
  if (secret.value.length === 0) {
    setError('secret-error', 'Write the secret you want to share.', secret);
    secret.focus();
    return null;
  }
  const maxViews = Number(viewsField.value);
  if (!Number.isInteger(maxViews) || maxViews < 1 || maxViews > MAX_VIEWS) {
    setError('views-error', `Choose a whole number from 1 to ${MAX_VIEWS}.`, viewsField);
    viewsField.focus();
    return null;
  }
  return { plaintext: secret.value, ttl: Number($('ttl').value), maxViews, passphrase: $('passphrase').value };
}

async function createSecret() {
  const form = readForm();
  if (!form) return;
  const button = $('create-button');
  button.disabled = true;
  button.textContent = form.passphrase ? 'Encrypting with your passphrase…' : 'Encrypting…';
  announce(button.textContent);
  try {
    const sealed = await seal(form.plaintext, { passphrase: form.passphrase });
    if (sealed.encrypted.length > ENCRYPTED_MAX_CHARS) throw new ApiError(413, 'SECRET_TOO_LARGE');
    const body = { encrypted: sealed.encrypted, iv: sealed.iv, ttl: form.ttl, maxViews: form.maxViews };
    if (sealed.passphraseVerifier) body.passphraseVerifier = sealed.passphraseVerifier;
    const created = await api('api/secrets', body);
    showResult(created, sealed.key, Boolean(form.passphrase));
  } catch (err) {
    setError('create-error', describeError(err));
  } finally {
    button.disabled = false;
    button.textContent = 'Create secret link';
  }
}

function showResult(created, key, hasPassphrase) {
  // The secret is uploaded: wipe it from the form so it does not linger on screen.
  $('create-form').reset();
  $('share-link').value = `${appUrl(`s/${created.id}`)}#${key}`;
  $('result-summary').textContent =
    `Send this link to the person who needs the secret. It works for ${views(created.maxViews)} and expires ${describeTime(created.expiresAt)}.`;
  $('result-passphrase').hidden = !hasPassphrase;

  receipt = { id: created.id, token: created.manageToken, expiresAt: created.expiresAt };
  $('manage-title').textContent = 'Your receipt';
  $('manage-link').value = receiptLink(created.id, created.manageToken);
  resetBurnControls();
  renderStatus({ state: 'pending', maxViews: created.maxViews, viewsLeft: created.maxViews, viewedAt: [], expiresAt: created.expiresAt });

  for (const view of allViews) view.hidden = view !== resultView && view !== manageView;
  $('result-title').focus();
  announce('Your link is ready.');
}

// ---- Receipt: status and burn ------------------------------------------------------

function wireReceipt() {
  bindCopyButton($('manage-copy'), $('manage-link'), () => $('manage-link').value);
  $('status-button').addEventListener('click', refreshStatus);
  $('burn-button').addEventListener('click', () => {
    $('burn-confirm').hidden = false;
    $('burn-no').focus();
  });
  $('burn-no').addEventListener('click', () => {
    $('burn-confirm').hidden = true;
    $('burn-button').focus();
  });
  $('burn-yes').addEventListener('click', burnSecret);
}

function resetBurnControls() {
  $('burn-confirm').hidden = true;
  $('burn-button').disabled = false;
  $('status-button').disabled = false;
}

async function refreshStatus() {
  if (!receipt) return;
  const button = $('status-button');
  button.disabled = true;
  try {
    renderStatus(await api(`api/secrets/${receipt.id}/status`, { manageToken: receipt.token }));
  } catch (err) {
    renderStatusError(err);
  } finally {
    button.disabled = false;
  }
}

async function burnSecret() {
  if (!receipt) return;
  $('burn-yes').disabled = true;
  try {
    await api(`api/secrets/${receipt.id}/burn`, { manageToken: receipt.token });
    $('burn-confirm').hidden = true;
    renderStatus({ state: 'burned' });
    announce('The secret is destroyed.');
    $('status-button').focus();
  } catch (err) {
    $('burn-confirm').hidden = true;
    renderStatusError(err);
  } finally {
    $('burn-yes').disabled = false;
  }
}

const STATE_TEXT = {
  pending: 'Not opened yet',
  viewed: 'Opened',
  burned: 'Destroyed',
  expired: 'Expired',
};

/** Renders the receipt as a small list, built with textContent only. */
function renderStatus(status) {
  const box = $('manage-status');
  box.replaceChildren();
  const title = document.createElement('p');
  title.className = `state state-${status.state}`;
  title.textContent = STATE_TEXT[status.state] || status.state;
  box.append(title);

  const lines = [];
  const opened = Array.isArray(status.viewedAt) ? status.viewedAt : [];
  for (const at of opened) lines.push(`Opened ${describeTime(at)}`);
  if (status.state === 'pending' || (status.state === 'viewed' && status.viewsLeft > 0)) {
    lines.push(`${views(status.viewsLeft)} left of ${status.maxViews}`);
    lines.push(`Expires ${describeTime(status.expiresAt)}`);
  } else if (status.state === 'viewed') {
    lines.push('All views used: the secret is destroyed.');
  } else if (status.state === 'burned') {
    lines.push('The link no longer works.');
  } else if (status.state === 'expired' && status.expiresAt) {
    lines.push(`Expired ${relativeTime(status.expiresAt)}`);
  }
  if (lines.length) {
    const list = document.createElement('ul');
    for (const line of lines) {
      const item = document.createElement('li');
      item.textContent = line;
      list.append(item);
    }
    box.append(list);
  }
  const done = status.state !== 'pending' && !(status.state === 'viewed' && status.viewsLeft > 0);
  $('burn-button').disabled = done;
}

function renderStatusError(err) {
  const box = $('manage-status');
  box.replaceChildren();
  const p = document.createElement('p');
  p.className = 'form-error';
  p.textContent = err && err.code === 'NOT_FOUND'
    ? 'No receipt found: it is kept only until the secret would have expired.'
    : describeError(err);
  box.append(p);
}

start();
