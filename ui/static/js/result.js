// result.js: one image resized, next to its original: sizes, bytes, the
// saving, a download, the public link and an <img srcset> snippet.

import { byId, announce } from './dom.js';
import { fetchVariant, imageURL, signedLink } from './api.js';
import { query } from './options.js';
import { bytes, dims, saving, formatName, baseName } from './format.js';

/** Formats every current browser draws; others get a preview to look at. */
const drawable = new Set(['jpeg', 'png', 'webp', 'gif', 'avif']);

let shown = null; // { info, pairs }
let generation = 0;
let blobURL = '';

/** showing returns the image the result shows, if any. */
export function showing() {
  return shown && byId('result').hidden === false ? shown.info : null;
}

/** hideResult hides the result panel. */
export function hideResult() {
  byId('result').hidden = true;
  shown = null;
}

/** initResult wires the copy buttons. */
export function initResult() {
  for (const button of document.querySelectorAll('[data-copy]')) {
    button.addEventListener('click', () => copy(button));
  }
}

/** showResult resizes info with the target pairs and shows it. */
export async function showResult(info, pairs) {
  const mine = ++generation;
  shown = { info, pairs };
  const panel = byId('result');
  panel.hidden = false;
  panel.setAttribute('aria-busy', 'true');
  setState(`Resizing ${info.filename}…`);
  showOriginal(info);
  try {
    const out = await fetchVariant(info.id, query(pairs));
    if (mine !== generation) return;
    const size = await showResized(info, out);
    if (mine !== generation) return;
    await showShare(info, pairs, size);
    if (mine !== generation) return;
    setState(`Done: ${info.filename} at ${dims(size.w, size.h)}.`);
    announce(`Resized: ${dims(size.w, size.h)}, ${saving(info.bytes, out.blob.size)}.`);
  } catch (err) {
    if (mine !== generation) return;
    setState(`Could not resize ${info.filename}: ${err.message}`, true);
  } finally {
    if (mine === generation) panel.removeAttribute('aria-busy');
  }
}

function setState(text, isError = false) {
  const line = byId('result-state');
  line.textContent = text;
  line.classList.toggle('error', isError);
}

function showOriginal(info) {
  const img = byId('original-img');
  img.alt = `${info.filename}, original`;
  img.src = drawable.has(info.format)
    ? imageURL(info.id, 'original')
    : imageURL(info.id, 'resize', new URLSearchParams({ w: '1200', h: '1200', fit: 'inside', format: 'jpeg' }));
  byId('original-facts').textContent =
    `${dims(info.width, info.height)} · ${bytes(info.bytes)} · ${formatName(info.format)}`;
}

// showResized draws the fetched bytes and resolves to their pixel size.
async function showResized(info, out) {
  if (blobURL) URL.revokeObjectURL(blobURL);
  blobURL = URL.createObjectURL(out.blob);
  const img = byId('resized-img');
  img.alt = `${info.filename}, resized`;
  img.src = blobURL;
  await img.decode().catch(() => {});
  const size = { w: img.naturalWidth, h: img.naturalHeight };
  byId('resized-facts').textContent =
    `${dims(size.w, size.h)} · ${bytes(out.blob.size)} · ${formatName(out.format)}`;
  const saved = byId('saving');
  saved.textContent = saving(info.bytes, out.blob.size);
  saved.classList.toggle('worse', out.blob.size > info.bytes);
  const download = byId('download');
  download.href = blobURL;
  download.download = `${baseName(info.filename)}-${size.w}x${size.h}.${out.format === 'jpeg' ? 'jpg' : out.format}`;
  return size;
}

async function showShare(info, pairs, size) {
  const [one, two] = await Promise.all([
    signedLink(info.id, query(pairs)),
    signedLink(info.id, query(pairs, [['dpr', '2']])),
  ]);
  byId('link-out').value = one;
  byId('snippet-out').value = snippet(one, two, size, baseName(info.filename));
}

function snippet(one, two, size, alt) {
  const attr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<img src="${attr(one)}"\n     srcset="${attr(one)} 1x, ${attr(two)} 2x"\n` +
    `     width="${size.w}" height="${size.h}" alt="${attr(alt)}">`;
}

// copy puts a field's text on the clipboard: the Clipboard API where the
// page is a secure context, the older selection command elsewhere (plain
// HTTP on a local network).
async function copy(button) {
  const field = byId(button.dataset.copy);
  const label = button.textContent;
  try {
    if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(field.value);
    else legacyCopy(field);
    button.textContent = 'Copied';
    announce('Copied to the clipboard.');
  } catch {
    field.focus();
    field.select();
    button.textContent = 'Press Ctrl+C';
  }
  setTimeout(() => { button.textContent = label; }, 2000);
}

function legacyCopy(field) {
  field.focus();
  field.select();
  if (!document.execCommand('copy')) throw new Error('copy refused');
}
