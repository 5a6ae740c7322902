// The sender's receipt on the create page: the receipt link, "Check status" and
// "Destroy now" (with an inline confirmation). Shown under a new share link, and alone
// at `/?manage={id}#{manageToken}`. The manage token is sent only in JSON bodies.

import { describeTime, relativeTime, setText, t } from './i18n.js';
import { announce, api, appUrl, bindCopyButton, errorMessage } from './ui.js';

const $ = (id) => document.getElementById(id);

/** The secret whose receipt is on screen: `{id, token}`. */
let receipt = null;

/** `/?manage={id}#{token}`. */
export function receiptLink(id, token) {
  return `${appUrl(`?manage=${id}`)}#${token}`;
}

/** Wires the receipt's buttons; once per page. */
export function wireReceipt() {
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

/**
 * Puts the receipt of `id` on screen. `standalone`: opened from a receipt link (its
 * heading is then the page's main one); `created`: the create answer, shown at once
 * as a pending status.
 */
export function showReceipt(id, token, { standalone = false, created = null } = {}) {
  receipt = { id, token };
  setText($('manage-title'), standalone ? 'manage.titleStandalone' : 'manage.title');
  if (standalone) $('manage-title').setAttribute('aria-level', '1');
  $('manage-link').value = receiptLink(id, token);
  $('burn-confirm').hidden = true;
  $('burn-button').disabled = false;
  $('status-button').disabled = false;
  if (created) {
    renderStatus({
      state: 'pending', maxViews: created.maxViews, viewsLeft: created.maxViews, viewedAt: [], expiresAt: created.expiresAt,
    });
  }
}

/** Asks the server for the receipt and renders it. */
export async function refreshStatus() {
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
    announce($('manage-status').textContent);
    $('status-button').focus();
  } catch (err) {
    $('burn-confirm').hidden = true;
    renderStatusError(err);
  } finally {
    $('burn-yes').disabled = false;
  }
}

const STATE_KEYS = {
  pending: 'status.pending',
  viewed: 'status.viewed',
  burned: 'status.burned',
  expired: 'status.expired',
};

/** The receipt as `[key, params]` lines under its state. */
function statusLines(status) {
  const lines = [];
  const opened = Array.isArray(status.viewedAt) ? status.viewedAt : [];
  for (const at of opened) lines.push(['status.openedAt', { when: (lang) => describeTime(at, lang) }]);
  // A plural of its own, nested in another text ("1 view" in "1 view left of 2").
  const views = (count) => () => t('common.views', { count });
  if (status.state === 'pending' || (status.state === 'viewed' && status.viewsLeft > 0)) {
    lines.push(['status.left', { count: status.viewsLeft, views: views(status.viewsLeft), max: status.maxViews }]);
    lines.push(['status.expires', { when: (lang) => describeTime(status.expiresAt, lang) }]);
  } else if (status.state === 'viewed') {
    lines.push(['status.allUsed', {}]);
  } else if (status.state === 'burned') {
    lines.push(['status.linkDead', {}]);
  } else if (status.state === 'expired' && status.expiresAt) {
    lines.push(['status.expiredAt', { when: (lang) => relativeTime(status.expiresAt, lang) }]);
  }
  return lines;
}

/** Renders the receipt as a small list, built with textContent only. */
function renderStatus(status) {
  const box = $('manage-status');
  box.replaceChildren();
  const title = document.createElement('p');
  title.className = `state state-${status.state}`;
  setText(title, STATE_KEYS[status.state] || 'status.unknown');
  box.append(title);
  const lines = statusLines(status);
  if (lines.length) {
    const list = document.createElement('ul');
    for (const [key, params] of lines) {
      const item = document.createElement('li');
      setText(item, key, params);
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
  if (err && err.code === 'NOT_FOUND') {
    setText(p, 'status.notFound');
  } else {
    const { key, params } = errorMessage(err);
    setText(p, key, params);
  }
  box.append(p);
}
