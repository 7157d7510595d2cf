// format.js: numbers as people read them.

const units = ['bytes', 'KB', 'MB', 'GB'];

/** bytes writes a size: 351 KB, 4.2 MB. */
export function bytes(n) {
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return `${v.toFixed(digits)} ${units[i]}`;
}

/** dims writes width × height. */
export function dims(w, h) {
  return `${w} × ${h}`;
}

/** saving compares two sizes: "96% smaller" or "12% larger". */
export function saving(before, after) {
  if (!before) return '';
  const pct = Math.round((1 - after / before) * 100);
  if (pct > 0) return `${pct}% smaller`;
  if (pct < 0) return `${-pct}% larger`;
  return 'the same size';
}

/** formatName is a format as people write it. */
export function formatName(f) {
  return { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', avif: 'AVIF', gif: 'GIF', heic: 'HEIC', tiff: 'TIFF' }[f] || f || '';
}

/** baseName drops the extension and any folder from a file name. */
export function baseName(name) {
  const file = (name || 'image').split(/[\\/]/).pop();
  const dot = file.lastIndexOf('.');
  return dot > 0 ? file.slice(0, dot) : file;
}

/** plural writes "1 image", "2 images". */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
