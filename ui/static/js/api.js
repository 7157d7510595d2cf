// api.js: the calls the page makes to the Cloud Resizer API. Every call is
// same-origin; the server knows this browser by its device cookie.

/** ACCEPT is what an <img> of this browser would ask for, so that
 * format=auto picks the same format for a fetch as for the page's images. */
export const ACCEPT = 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8';

/** ApiError is a refusal with the server's code and message. */
export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `The server answered ${status}.`);
    this.status = status;
    this.code = (error && error.code) || 'internal';
  }
}

async function check(resp) {
  if (resp.ok) return resp;
  const body = await resp.json().catch(() => ({}));
  throw new ApiError(resp.status, body.error);
}

/** getJSON fetches a JSON answer or throws an ApiError. */
export async function getJSON(url) {
  const resp = await check(await fetch(url, { headers: { Accept: 'application/json' } }));
  return resp.json();
}

/** listImages reads one page of this browser's images, newest first. */
export function listImages(cursor = '', limit = 24) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return getJSON(`/api/v1/images?${q}`);
}

/** deleteImage removes an image from this browser's library. */
export async function deleteImage(id) {
  await check(await fetch(`/api/v1/images/${encodeURIComponent(id)}`, { method: 'DELETE' }));
}

/** imageURL is the owner URL of an image: original, resize or link. */
export function imageURL(id, what, query) {
  const base = `/api/v1/images/${encodeURIComponent(id)}/${what}`;
  const q = query ? query.toString() : '';
  return q ? `${base}?${q}` : base;
}

/** thumbURL is the small version the page shows in lists. */
export function thumbURL(id) {
  return imageURL(id, 'resize', new URLSearchParams({ w: '240', h: '240', format: 'webp' }));
}

/** fetchVariant fetches a resized image as a Blob with its format. */
export async function fetchVariant(id, query) {
  const resp = await check(await fetch(imageURL(id, 'resize', query), { headers: { Accept: ACCEPT } }));
  const blob = await resp.blob();
  const format = (resp.headers.get('Content-Type') || '').replace('image/', '');
  return { blob, format };
}

/** signedLink returns the absolute public link for an image and options. */
export async function signedLink(id, query) {
  const { url } = await getJSON(imageURL(id, 'link', query));
  return new URL(url, location.origin).href;
}

/**
 * uploadFile sends one file and reports progress as a fraction. It
 * resolves to the stored image, or rejects with an ApiError that says why
 * the file was refused. XMLHttpRequest, because fetch cannot report upload
 * progress.
 */
export function uploadFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/images');
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      const body = xhr.response || {};
      if (xhr.status === 201 && body.images && body.images.length) resolve(body.images[0]);
      else reject(new ApiError(xhr.status, (body.errors && body.errors[0]) || body.error));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, {
      code: 'unavailable',
      message: 'The upload was cut off. The server may be down, or the file over its size limit.',
    })));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** createBatch starts a batch of stored images to one target. */
export async function createBatch(imageIDs, fields) {
  const form = new FormData();
  for (const id of imageIDs) form.append('image_id', id);
  for (const [k, v] of fields) form.append(k, v);
  const resp = await check(await fetch('/api/v1/batches', { method: 'POST', body: form }));
  return resp.json();
}
