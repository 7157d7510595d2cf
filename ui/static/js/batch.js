// batch.js: many images resized by the server's workers. The page follows
// the batch live through Server-Sent Events, offers every output as one
// ZIP, and retries the failed items as a new batch.

import { el, byId, announce } from './dom.js';
import { createBatch, getJSON, thumbURL } from './api.js';
import { baseName, plural } from './format.js';

const stateWords = { queued: 'Waiting', running: 'Resizing', done: 'Done', failed: 'Failed', refused: 'Refused' };

let current = null; // { status, fields, items: Map(index → item), refused, events }

/** hideBatch stops following the batch and hides its panel. */
export function hideBatch() {
  stop();
  byId('batch').hidden = true;
}

/** initBatch wires the retry button. */
export function initBatch() {
  byId('batch-retry').addEventListener('click', retry);
}

/**
 * startBatch sends a batch of stored images to the target fields. refused
 * are the files the server would not store: they are listed with their
 * reason, since there is nothing to retry.
 */
export async function startBatch(images, refused, fields) {
  stop();
  const panel = byId('batch');
  panel.hidden = false;
  byId('batch-items').replaceChildren();
  byId('batch-zip').hidden = true;
  byId('batch-retry').hidden = true;
  summary(`Sending ${plural(images.length, 'image')}…`);
  try {
    const created = await createBatch(images.map((i) => i.id), fields);
    const status = await getJSON(`/api/v1/batches/${created.id}`);
    current = { status, fields, refused, items: new Map() };
    for (const it of status.items || []) current.items.set(it.index, it);
    draw();
    follow(created.id);
  } catch (err) {
    summary(`The batch could not start: ${err.message}`, true);
  }
  panel.scrollIntoView({ block: 'start', behavior: 'smooth' });
}

// follow listens to the batch's events; EventSource reconnects by itself
// and the server resends only what was missed.
function follow(id) {
  const events = new EventSource(`/api/v1/batches/${id}/events`);
  current.events = events;
  events.addEventListener('item', (e) => {
    const it = JSON.parse(e.data);
    current.items.set(it.index, it);
    drawItem(it);
    progress();
  });
  events.addEventListener('done', (e) => {
    events.close();
    Object.assign(current.status, JSON.parse(e.data));
    progress();
    finish();
  });
}

function stop() {
  if (current && current.events) current.events.close();
  current = null;
}

function counts() {
  let done = 0;
  let failed = 0;
  for (const it of current.items.values()) {
    if (it.state === 'done') done++;
    if (it.state === 'failed') failed++;
  }
  return { done, failed, total: current.items.size };
}

function draw() {
  const list = byId('batch-items');
  list.replaceChildren();
  for (const it of current.items.values()) list.append(itemRow(it));
  for (const r of current.refused) list.append(refusedRow(r));
  progress();
}

function drawItem(it) {
  const old = byId('batch-items').querySelector(`[data-index="${it.index}"]`);
  if (old) old.replaceWith(itemRow(it));
}

function progress() {
  const { done, failed, total } = counts();
  const bar = byId('batch-progress');
  bar.max = total || 1;
  bar.value = done + failed;
  const fails = failed ? `, ${failed} failed` : '';
  summary(`${done + failed} of ${plural(total, 'image')} finished${fails}.`);
}

function finish() {
  const { done, failed, total } = counts();
  const refused = current.refused.length;
  const parts = [`Finished: ${done} of ${plural(total, 'image')} resized`];
  if (failed) parts.push(`${failed} failed`);
  if (refused) parts.push(`${plural(refused, 'file')} refused at upload`);
  summary(`${parts.join(', ')}.`, failed + refused > 0 && done === 0);
  const zip = byId('batch-zip');
  zip.href = `/api/v1/batches/${current.status.id}/zip`;
  zip.hidden = done === 0;
  const retry = byId('batch-retry');
  retry.hidden = failed === 0;
  retry.textContent = `Retry the ${plural(failed, 'failed image')}`;
  announce(`Batch finished: ${done} resized${failed ? `, ${failed} failed` : ''}.`);
}

function summary(text, isError = false) {
  const line = byId('batch-summary');
  line.textContent = text;
  line.classList.toggle('error', isError);
}

function itemRow(it) {
  const ext = it.format === 'jpeg' ? 'jpg' : it.format;
  return el('li', { className: `item ${it.state}`, 'data-index': it.index },
    it.image_id ? el('img', { className: 'thumb', src: thumbURL(it.image_id), alt: it.filename, width: 48, height: 48 }) : null,
    el('div', { className: 'entry-main' },
      el('span', { className: 'name' }, it.filename),
      el('span', { className: 'meta' }, `${it.target} · `, el('span', { className: 'badge' }, stateWords[it.state] || it.state)),
      it.error ? el('span', { className: 'error' }, it.error.message) : null),
    it.state === 'done' && it.url
      ? el('a', { className: 'button small', href: it.url, download: `${baseName(it.filename)}-${it.target}.${ext}`,
        'aria-label': `Download ${it.filename}, ${it.target}` }, 'Download')
      : null);
}

function refusedRow(r) {
  return el('li', { className: 'item refused' },
    el('span', { className: 'thumb missing', 'aria-hidden': 'true' }, '!'),
    el('div', { className: 'entry-main' },
      el('span', { className: 'name' }, r.name),
      el('span', { className: 'meta' }, el('span', { className: 'badge' }, stateWords.refused)),
      el('span', { className: 'error' }, `${r.error} This file cannot be retried: fix it, then add it again.`)));
}

// retry sends the failed items again, to the same target, as a new batch.
function retry() {
  const failed = [...current.items.values()].filter((it) => it.state === 'failed' && it.image_id);
  const ids = [...new Set(failed.map((it) => it.image_id))];
  startBatch(ids.map((id) => ({ id })), [], current.fields);
}
