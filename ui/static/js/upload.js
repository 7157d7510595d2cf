// upload.js: the list of images to resize. Files come from the picker, a
// drop or a paste; each shows its thumbnail at once, uploads with its own
// progress bar, and ends stored or refused with the reason. Images from
// "My images" join the list already stored.

import { el, byId, announce } from './dom.js';
import { uploadFile, thumbURL } from './api.js';
import { bytes, dims, formatName, plural } from './format.js';

/** MAX_BYTES is the server's default limit per file (--max-upload). */
const MAX_BYTES = 50 * 1024 * 1024;
const PARALLEL = 3;

const list = [];
let nextKey = 1;
let running = 0;
let ready = Promise.resolve();
let changed = () => {};

/**
 * initUpload wires the picker, drops and pastes. Uploads wait for
 * identityReady, so that the first API call alone gets the device cookie.
 */
export function initUpload({ identityReady, onChange }) {
  ready = identityReady;
  changed = onChange;
  const input = byId('file-input');
  byId('pick').addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    addFiles(input.files);
    input.value = '';
  });
  wireDrop(byId('dropzone'));
  document.addEventListener('paste', (e) => {
    const files = e.clipboardData ? e.clipboardData.files : [];
    if (files.length) {
      e.preventDefault();
      addFiles(files);
    }
  });
  byId('clear').addEventListener('click', clear);
}

// wireDrop accepts files dropped anywhere on the page, so that a drop just
// outside the zone does not make the browser open the file instead.
function wireDrop(zone) {
  let depth = 0;
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
  document.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    depth++;
    zone.classList.add('over');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('over');
  });
  document.addEventListener('dragover', (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  document.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    zone.classList.remove('over');
    addFiles(e.dataTransfer.files);
  });
}

/** entries returns the list as it is now. */
export function entries() {
  return list;
}

/** addFiles puts files on the list and starts their uploads. */
export function addFiles(files) {
  const added = [...files].map(newEntry);
  for (const e of added) {
    const refusal = precheck(e.file);
    if (refusal) refuse(e, refusal);
  }
  announce(`${plural(added.length, 'file')} added.`);
  pump();
  changed();
}

/** addStored puts an image of the library on the list. */
export function addStored(info) {
  if (list.some((e) => e.info && e.info.id === info.id)) return;
  const e = { key: nextKey++, name: info.filename, size: info.bytes, status: 'ready', info, progress: 1 };
  e.thumb = thumbURL(info.id);
  list.push(e);
  render(e);
  changed();
}

/** forget takes an image off the list, when it was deleted. */
export function forget(imageID) {
  for (const e of list.filter((x) => x.info && x.info.id === imageID)) remove(e);
}

function newEntry(file) {
  const e = { key: nextKey++, name: file.name || 'pasted image', size: file.size, file, status: 'waiting', progress: 0 };
  e.thumb = URL.createObjectURL(file);
  list.push(e);
  render(e);
  return e;
}

// precheck refuses what the server would refuse anyway, before sending it.
function precheck(file) {
  const name = (file.name || '').toLowerCase();
  if (file.type === 'image/svg+xml' || name.endsWith('.svg')) {
    return 'SVG drawings are not accepted (they can carry scripts). Export it as PNG first.';
  }
  if (file.type === 'application/pdf' || name.endsWith('.pdf')) {
    return 'PDF files are not accepted. Export the page as an image first.';
  }
  if (file.size > MAX_BYTES) {
    return `This file is ${bytes(file.size)}; the limit is ${bytes(MAX_BYTES)} per image.`;
  }
  if (file.size === 0) return 'This file is empty.';
  return '';
}

// pump starts waiting uploads while fewer than PARALLEL run.
function pump() {
  for (const e of list) {
    if (running >= PARALLEL) return;
    if (e.status === 'waiting') start(e);
  }
}

async function start(e) {
  running++;
  e.status = 'uploading';
  render(e);
  changed();
  try {
    await ready;
    e.info = await uploadFile(e.file, (p) => progress(e, p));
    e.status = 'ready';
    e.progress = 1;
    announce(`${e.name} uploaded.`);
  } catch (err) {
    refuse(e, err.message);
  } finally {
    running--;
    if (list.includes(e)) render(e);
    pump();
    changed();
  }
}

function progress(e, p) {
  e.progress = p;
  if (e.node) {
    e.node.querySelector('progress').value = p;
    e.node.querySelector('.meta').textContent = meta(e);
  }
}

function refuse(e, message) {
  e.status = 'refused';
  e.error = message;
  render(e);
  announce(`${e.name} was refused: ${message}`);
}

function remove(e) {
  list.splice(list.indexOf(e), 1);
  if (e.file) URL.revokeObjectURL(e.thumb);
  if (e.node) e.node.remove();
  changed();
}

function clear() {
  for (const e of [...list]) {
    if (e.status !== 'uploading') remove(e);
  }
  byId('pick').focus();
}

function meta(e) {
  switch (e.status) {
    case 'waiting': return `${bytes(e.size)} · waiting`;
    case 'uploading': return `${bytes(e.size)} · uploading ${Math.round(e.progress * 100)}%`;
    case 'ready': return `${dims(e.info.width, e.info.height)} · ${bytes(e.info.bytes)} · ${formatName(e.info.format)}`;
    default: return `${bytes(e.size)} · refused`;
  }
}

// render draws an entry, replacing its previous drawing.
function render(e) {
  const node = el('li', { className: `entry ${e.status}`, 'data-key': e.key },
    thumbnail(e),
    el('div', { className: 'entry-main' },
      el('span', { className: 'name' }, e.name),
      el('span', { className: 'meta' }, meta(e)),
      e.status === 'uploading' || e.status === 'waiting'
        ? el('progress', { max: 1, value: e.progress, 'aria-label': `Upload of ${e.name}` }) : null,
      e.status === 'refused' ? el('span', { className: 'error' }, e.error) : null),
    el('button', {
      type: 'button', className: 'remove', 'aria-label': `Remove ${e.name} from the list`,
      disabled: e.status === 'uploading', onclick: () => remove(e),
    }, '×'));
  if (e.node) e.node.replaceWith(node);
  else byId('queue').append(node);
  e.node = node;
}

// thumbnail shows the file itself; a format the browser cannot draw (HEIC,
// TIFF) shows its name instead.
function thumbnail(e) {
  const img = el('img', { className: 'thumb', src: e.thumb, alt: e.name, width: 56, height: 56 });
  img.addEventListener('error', () => {
    const ext = (e.name.split('.').pop() || '?').slice(0, 4).toUpperCase();
    img.replaceWith(el('span', { className: 'thumb missing', role: 'img', 'aria-label': e.name }, ext));
  }, { once: true });
  return img;
}
