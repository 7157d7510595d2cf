// library.js: "My images", everything this browser uploaded, newest first,
// page by page, with a way to use an image again or to delete it.

import { el, byId, announce } from './dom.js';
import { listImages, deleteImage, thumbURL } from './api.js';
import { bytes, dims } from './format.js';

let cursor = '';
let onUse = () => {};
let onDeleted = () => {};
const shown = new Set();

/**
 * initLibrary loads the first page. It is the page's first call to the
 * API, so it is the one that gets this browser its device cookie; the
 * returned promise settles when it has.
 */
export function initLibrary(handlers) {
  ({ onUse, onDeleted } = handlers);
  byId('library-more').addEventListener('click', more);
  return more();
}

async function more() {
  try {
    const page = await listImages(cursor);
    for (const info of page.images) append(info);
    cursor = page.next_cursor || '';
    byId('library-more').hidden = cursor === '';
  } catch (err) {
    byId('library-empty').textContent = `Your images could not be loaded: ${err.message}`;
  }
  empty();
}

/** addToLibrary puts a new upload first, unless it is there already. */
export function addToLibrary(info) {
  if (shown.has(info.id)) return;
  byId('library-list').prepend(card(info));
  shown.add(info.id);
  empty();
}

function append(info) {
  if (shown.has(info.id)) return;
  byId('library-list').append(card(info));
  shown.add(info.id);
}

function empty() {
  byId('library-empty').hidden = shown.size > 0;
}

function card(info) {
  const when = new Date(info.created_at);
  return el('li', { className: 'card', 'data-id': info.id },
    el('img', { src: thumbURL(info.id), alt: info.filename, loading: 'lazy', width: 240, height: 240 }),
    el('span', { className: 'name', title: info.filename }, info.filename),
    el('span', { className: 'meta' }, dims(info.width, info.height)),
    el('span', { className: 'meta' }, `${bytes(info.bytes)} · `,
      el('time', { datetime: info.created_at }, when.toLocaleDateString())),
    el('div', { className: 'card-actions' },
      el('button', { type: 'button', className: 'small', 'aria-label': `Resize ${info.filename}`, onclick: () => onUse(info) }, 'Resize'),
      el('button', { type: 'button', className: 'small danger', 'aria-label': `Delete ${info.filename}`, onclick: (e) => remove(info, e.currentTarget) }, 'Delete')));
}

// remove deletes the image, then moves the focus to a neighbour so that a
// keyboard user does not fall back to the top of the page.
async function remove(info, button) {
  const item = button.closest('li');
  button.disabled = true;
  try {
    await deleteImage(info.id);
  } catch (err) {
    button.disabled = false;
    announce(`${info.filename} could not be deleted: ${err.message}`);
    return;
  }
  const next = item.nextElementSibling || item.previousElementSibling;
  item.remove();
  shown.delete(info.id);
  empty();
  announce(`${info.filename} deleted.`);
  (next ? next.querySelector('.danger') : byId('library-title')).focus();
  onDeleted(info.id);
}
