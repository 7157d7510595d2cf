// options.js: the output the person chooses: a preset or a custom size, a
// fit, a format and a quality. It turns the form into the API's options.

import { el, byId } from './dom.js';
import { getJSON } from './api.js';

const fitWords = {
  cover: (w, h) => `${w} × ${h}, cropped to fill`,
  contain: (w, h) => `${w} × ${h}, padded`,
  fill: (w, h) => `${w} × ${h}, stretched`,
  inside: (w, h) => `up to ${w} × ${h}`,
  outside: (w, h) => `at least ${w} × ${h}`,
};

let presets = [];

/** initOptions loads the presets, draws them, and calls onChange on every change. */
export async function initOptions(onChange) {
  const form = byId('options-form');
  try {
    presets = (await getJSON('/api/v1/presets')).presets || [];
  } catch {
    presets = [];
  }
  drawPresets();
  form.addEventListener('change', (e) => {
    if (e.target.name === 'size') choosePreset(e.target.value);
    showCustom();
    onChange();
  });
  form.addEventListener('input', (e) => {
    if (e.target.type === 'number') onChange();
  });
  showCustom();
}

function drawPresets() {
  const box = byId('presets');
  presets.forEach((p, i) => box.append(choice(p.name, title(p.name), describe(p), i === 0)));
  box.append(choice('custom', 'Custom', 'your own width, height and fit', presets.length === 0));
}

function choice(value, name, detail, checked) {
  return el('label', { className: 'choice' },
    el('input', { type: 'radio', name: 'size', value, checked }),
    el('span', {}, el('strong', {}, name), el('span', { className: 'detail' }, detail)));
}

function title(name) {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function describe(p) {
  if (p.w && p.h) return (fitWords[p.fit] || fitWords.cover)(p.w, p.h);
  return p.w ? `${p.w} pixels wide` : `${p.h} pixels high`;
}

// choosePreset shows a preset's own format and quality, if it has them, in
// the controls, so that what the form shows is what will be made.
function choosePreset(name) {
  const p = presets.find((x) => x.name === name);
  if (!p) return;
  if (p.format) byId('format').value = p.format;
  if (p.q) byId('q').value = String(p.q);
}

function sizeChoice() {
  const checked = document.querySelector('input[name="size"]:checked');
  return checked ? checked.value : 'custom';
}

function showCustom() {
  byId('custom').hidden = sizeChoice() !== 'custom';
}

/**
 * currentTarget returns the chosen options as [name, value] pairs, or null
 * after showing what is wrong with them.
 */
export function currentTarget() {
  const error = byId('options-error');
  const pairs = [];
  const preset = presets.find((p) => p.name === sizeChoice());
  const size = preset ? presetSize(preset) : customSize();
  if (typeof size === 'string') {
    error.textContent = size;
    return null;
  }
  pairs.push(...size);
  const format = byId('format').value;
  if (format) pairs.push(['format', format]);
  const q = byId('q').value.trim();
  if (q) {
    const n = Number(q);
    if (!Number.isInteger(n) || n < 1 || n > 100) {
      error.textContent = 'The quality must be a whole number from 1 to 100.';
      return null;
    }
    pairs.push(['q', String(n)]);
  }
  error.textContent = '';
  return pairs;
}

function presetSize(p) {
  const pairs = [];
  if (p.w) pairs.push(['w', String(p.w)]);
  if (p.h) pairs.push(['h', String(p.h)]);
  if (p.w && p.h) pairs.push(['fit', p.fit || 'cover']);
  return pairs;
}

// customSize returns the custom size as pairs, or a message saying what is wrong.
function customSize() {
  const pairs = [];
  for (const [id, word] of [['w', 'width'], ['h', 'height']]) {
    const v = byId(id).value.trim();
    if (!v) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 8192) return `The ${word} must be a whole number from 1 to 8192.`;
    pairs.push([id, String(n)]);
  }
  if (pairs.length === 0) return 'Give a width, a height, or both.';
  if (pairs.length === 2) {
    const fit = document.querySelector('input[name="fit"]:checked');
    pairs.push(['fit', fit ? fit.value : 'cover']);
  }
  return pairs;
}

/** query makes URL options of target pairs. */
export function query(pairs, extra = []) {
  return new URLSearchParams([...pairs, ...extra]);
}

/**
 * batchFields are the pairs for a batch: one file per item must have one
 * format, so "auto" (which depends on each viewer's browser) becomes WebP,
 * which every current browser shows.
 */
export function batchFields(pairs) {
  return pairs.map(([k, v]) => (k === 'format' && v === 'auto' ? [k, 'webp'] : [k, v]));
}
