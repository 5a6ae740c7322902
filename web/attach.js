// Files on the create page: picked with the file input or dropped on the form, checked
// against the size limit *before* anything is read or sent, and turned into one
// payload (docs/envelope.md, format 2): one file as it is, several as one stored .zip.
// The name and media type go inside the encrypted payload, never in clear.

import { formatBytes, setText } from './i18n.js';
import { encodePayload, maxFileBytes } from './payload.js';
import { zipOverhead, zipStore } from './zip.js';

export const ARCHIVE_NAME = 'files.zip';
const ARCHIVE_TYPE = 'application/zip';

const $ = (id) => document.getElementById(id);

/** The files the form will send instead of text, or null. */
let chosen = null;
let encryptedMaxChars = 0;
let onChange = () => {};

/** The largest single file the limit allows (with a typical name), for the hint. */
export function fileLimitBytes() {
  return maxFileBytes(encryptedMaxChars, { name: ARCHIVE_NAME, type: ARCHIVE_TYPE });
}

/** The files chosen, as `{files, name, type, size}`, or null. */
export function attachment() {
  return chosen;
}

/**
 * Wires the file input, the drop zone (the whole create card) and the Remove button.
 * `changed(attachment)` is called after every change.
 */
export function wireAttachment({ limitChars, card, changed }) {
  encryptedMaxChars = limitChars;
  onChange = changed;
  const input = $('file');
  setText($('file-hint'), 'create.file.hint', { limit: (lang) => formatBytes(fileLimitBytes(), lang) });
  input.addEventListener('change', () => choose([...input.files]));
  $('file-remove').addEventListener('click', () => {
    clearAttachment();
    input.focus();
  });
  // While the form is disabled (no one may create yet), a drop is caught but taken by nobody.
  card.addEventListener('dragover', (event) => {
    if (!hasFiles(event) || input.matches(':disabled')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    $('file-zone').classList.add('is-dragging');
  });
  card.addEventListener('dragleave', (event) => {
    if (!card.contains(event.relatedTarget)) $('file-zone').classList.remove('is-dragging');
  });
  card.addEventListener('drop', (event) => {
    if (!hasFiles(event) || input.matches(':disabled')) return;
    event.preventDefault();
    $('file-zone').classList.remove('is-dragging');
    choose([...event.dataTransfer.files]);
  });
  // A file dropped beside the card must not make the browser leave the page.
  window.addEventListener('dragover', (event) => { if (hasFiles(event)) event.preventDefault(); });
  window.addEventListener('drop', (event) => { if (hasFiles(event)) event.preventDefault(); });
}

function hasFiles(event) {
  return Boolean(event.dataTransfer) && [...event.dataTransfer.types].includes('Files');
}

/** Forgets the chosen files. */
export function clearAttachment() {
  chosen = null;
  $('file').value = '';
  setError('');
  render();
}

/** Takes `files` if they fit the limit; otherwise says why and keeps nothing. */
function choose(files) {
  setError('');
  if (files.length === 0) return;
  const several = files.length > 1;
  const name = several ? ARCHIVE_NAME : files[0].name;
  const type = several ? ARCHIVE_TYPE : files[0].type;
  const contents = files.reduce((sum, file) => sum + file.size, 0);
  const size = contents + (several ? zipOverhead(files) : 0);
  const limit = maxFileBytes(encryptedMaxChars, { name, type });
  chosen = null;
  $('file').value = '';
  if (!several && size === 0) {
    setError('create.file.empty', { name });
  } else if (size > limit) {
    const sizes = { size: (lang) => formatBytes(size, lang), limit: (lang) => formatBytes(limit, lang) };
    if (several) setError('create.file.tooLargeMany', { count: files.length, ...sizes });
    else setError('create.file.tooLarge', { name, ...sizes });
  } else {
    chosen = { files, name, type, size };
  }
  render();
}

function setError(key, params) {
  const el = $('file-error');
  if (key) setText(el, key, params);
  else el.textContent = '';
  el.hidden = !key;
  $('file').setAttribute('aria-invalid', String(Boolean(key)));
}

function render() {
  $('file-chosen').hidden = !chosen;
  if (chosen) {
    const size = (lang) => formatBytes(chosen.size, lang);
    if (chosen.files.length > 1) {
      setText($('file-summary'), 'create.file.several', { count: chosen.files.length, name: chosen.name, size });
    } else {
      setText($('file-summary'), 'create.file.one', { name: chosen.name, size });
    }
  }
  onChange(chosen);
}

/**
 * Reads the chosen files and returns the plaintext to seal: a format-2 payload with
 * the file's name and type (several files zipped first).
 */
export async function readAttachment() {
  const { files, name, type } = chosen;
  const contents = await Promise.all(files.map(async (file) => new Uint8Array(await file.arrayBuffer())));
  const content = files.length > 1
    ? zipStore(files.map((file, i) => ({ name: file.name, bytes: contents[i], lastModified: file.lastModified })))
    : contents[0];
  return encodePayload({ file: { name, type }, content });
}
