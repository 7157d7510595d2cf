// server.js: the peer to beat in `make load` (bench/load): a small node:http
// server that resizes with sharp, with no cache of any kind.
//
//   UV_THREADPOOL_SIZE=$(nproc) node bench/sharp/server.js PORT FILE...
//
// It reads every FILE into memory at start and serves
//
//   GET /resize?src=<file name>&w=W&h=H&fit=inside&format=jpeg|webp&q=Q
//
// as sharp(buf).rotate().resize(W, H, {fit, withoutEnlargement}) then
// jpeg({quality}) or webp({quality, effort: 4}), the encoders of
// bench/sharp/bench.js. Concurrency is sharp's default: as many images at
// once as libuv has threads (UV_THREADPOOL_SIZE), each with sharp's default
// libvips threads. Other query parameters are ignored. GET /healthz answers
// 200. It listens on 127.0.0.1 only.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const sharp = require('sharp');

sharp.cache(false);

const fits = new Set(['cover', 'contain', 'fill', 'inside', 'outside']);
const types = { jpeg: 'image/jpeg', webp: 'image/webp' };

// loadSources reads the files into a Map from file name to bytes.
function loadSources(files) {
  const m = new Map();
  for (const f of files) m.set(path.basename(f), fs.readFileSync(f));
  return m;
}

// intParam returns the integer query parameter name, within [lo, hi].
function intParam(q, name, lo, hi, def) {
  const s = q.get(name);
  if (s === null) return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`bad ${name}`);
  return n;
}

// parse turns the query into the resize request, or throws.
function parse(q) {
  const format = q.get('format') || 'jpeg';
  const fit = q.get('fit') || 'cover';
  if (!types[format]) throw new Error('bad format');
  if (!fits.has(fit)) throw new Error('bad fit');
  return {
    src: q.get('src'), format, fit,
    w: intParam(q, 'w', 1, 8192, null), h: intParam(q, 'h', 1, 8192, null), q: intParam(q, 'q', 1, 100, 80),
  };
}

// resize does the work of one request and resolves to the encoded bytes.
function resize(input, o) {
  const img = sharp(input).rotate().resize(o.w, o.h, { fit: o.fit, withoutEnlargement: true });
  return o.format === 'webp' ? img.webp({ quality: o.q, effort: 4 }).toBuffer() : img.jpeg({ quality: o.q }).toBuffer();
}

// reply ends the response with status, type and body.
function reply(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
  res.end(body);
}

// handle serves one request.
async function handle(sources, req, res) {
  const u = new URL(req.url, 'http://localhost');
  if (u.pathname === '/healthz') return reply(res, 200, 'application/json', Buffer.from('{"status":"ok"}'));
  if (u.pathname !== '/resize' || req.method !== 'GET') return reply(res, 404, 'text/plain', Buffer.from('not found\n'));
  let o;
  try {
    o = parse(u.searchParams);
  } catch (err) {
    return reply(res, 400, 'text/plain', Buffer.from(err.message + '\n'));
  }
  const input = sources.get(o.src);
  if (!input) return reply(res, 404, 'text/plain', Buffer.from('no such src\n'));
  try {
    reply(res, 200, types[o.format], await resize(input, o));
  } catch (err) {
    process.stderr.write(`sharp: ${err.message}\n`);
    reply(res, 500, 'text/plain', Buffer.from('resize failed\n'));
  }
}

function main() {
  const [portArg, ...files] = process.argv.slice(2);
  if (!portArg || files.length === 0) throw new Error('usage: node server.js PORT FILE...');
  const sources = loadSources(files);
  const server = http.createServer((req, res) => { handle(sources, req, res); });
  server.keepAliveTimeout = 120000;
  server.listen(Number(portArg), '127.0.0.1', () => {
    process.stderr.write(`sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}) on 127.0.0.1:${portArg}, ` +
      `${process.env.UV_THREADPOOL_SIZE || 4} libuv threads, concurrency ${sharp.concurrency()}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
