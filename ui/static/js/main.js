// main.js: wires the page together. Images go on the list (upload.js);
// with one image the result shows at once and follows the options
// (result.js); with several, "Resize" sends a batch (batch.js). Every
// upload also joins "My images" (library.js).

import { byId } from './dom.js';
import { initUpload, entries, addStored, forget } from './upload.js';
import { initOptions, currentTarget, batchFields } from './options.js';
import { initResult, showResult, showing, hideResult } from './result.js';
import { initBatch, startBatch, hideBatch } from './batch.js';
import { initLibrary, addToLibrary } from './library.js';
import { plural } from './format.js';

let autoShown = ''; // the image whose result was shown without asking
let timer = 0;

function stored() {
  return entries().filter((e) => e.status === 'ready');
}

function busy() {
  return entries().some((e) => e.status === 'uploading' || e.status === 'waiting');
}

// listChanged keeps the button, the hint and the library in step with
// the list, and shows the result by itself when one image is ready.
function listChanged() {
  const ready = stored();
  for (const e of ready) addToLibrary(e.info);
  const button = byId('resize');
  button.disabled = ready.length === 0 || busy();
  button.textContent = ready.length > 1 ? `Resize ${plural(ready.length, 'image')}` : 'Resize';
  byId('resize-hint').textContent = hint(ready.length);
  byId('clear').hidden = entries().length === 0;
  if (!busy() && ready.length === 1 && entries().length === 1 && autoShown !== ready[0].info.id) {
    autoShown = ready[0].info.id;
    resize();
  }
}

function hint(n) {
  if (busy()) return 'Uploading…';
  if (n === 0) return 'Add an image first.';
  if (n === 1) return 'You will see the result next to the original.';
  return 'The images are resized together; you can download them all as a ZIP.';
}

// resize shows one image's result, or starts a batch for several.
function resize() {
  const pairs = currentTarget();
  const ready = stored();
  if (!pairs || ready.length === 0) return;
  if (ready.length === 1) {
    hideBatch();
    showResult(ready[0].info, pairs);
    return;
  }
  hideResult();
  const refused = entries().filter((e) => e.status === 'refused').map((e) => ({ name: e.name, error: e.error }));
  startBatch(ready.map((e) => e.info), refused, batchFields(pairs));
}

// optionsChanged redraws a shown result after a short pause in typing.
function optionsChanged() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    const info = showing();
    const pairs = currentTarget();
    if (info && pairs) showResult(info, pairs);
  }, 350);
}

function useFromLibrary(info) {
  addStored(info);
  byId('options').scrollIntoView({ block: 'start', behavior: 'smooth' });
  byId('resize').focus({ preventScroll: true });
}

function deleted(id) {
  forget(id);
  const info = showing();
  if (info && info.id === id) hideResult();
}

async function main() {
  const identityReady = initLibrary({ onUse: useFromLibrary, onDeleted: deleted });
  initUpload({ identityReady, onChange: listChanged });
  initResult();
  initBatch();
  byId('options-form').addEventListener('submit', (e) => {
    e.preventDefault();
    resize();
  });
  await Promise.all([initOptions(optionsChanged), identityReady]);
  document.body.dataset.ready = 'true';
}

main();
