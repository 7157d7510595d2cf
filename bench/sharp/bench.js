// bench.js: the same thumbnail work as bench/cmd/enginebench, done by sharp.
//
//   node bench/sharp/bench.js SCENARIOS.json SECONDS OUTDIR [ID] > sharp.json
//
// For every scenario it times a loop for SECONDS with one request at a time
// and again with one request per CPU in flight, always with
// sharp.concurrency(1): one libvips thread per image, as our engine runs
// (Threads=1, Concurrency=NumCPU). It prints one JSON document on stdout and
// writes one output per scenario to OUTDIR/<id>.<format> for the quality check.
// With ID, only that scenario runs.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const sharp = require('sharp');

sharp.concurrency(1);
sharp.cache(false);

// thumbnail runs one scenario once and resolves to the encoded bytes.
function thumbnail(input, sc) {
  const img = sharp(input).rotate().resize(sc.size, sc.size, { fit: 'inside', withoutEnlargement: true });
  switch (sc.format) {
    case 'jpeg': return img.jpeg({ quality: sc.quality }).toBuffer();
    case 'webp': return img.webp({ quality: sc.quality, effort: 4 }).toBuffer();
    case 'avif': return img.avif({ quality: sc.quality, effort: 4 }).toBuffer();
    case 'png': return img.png({ compressionLevel: 6 }).toBuffer();
    default: throw new Error('unknown format ' + sc.format);
  }
}

// timed runs `workers` loops of thumbnail until `seconds` have passed.
async function timed(input, sc, workers, seconds) {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let ops = 0;
  let bytes = 0;
  const loop = async () => {
    while (process.hrtime.bigint() < deadline) {
      const out = await thumbnail(input, sc);
      ops++;
      bytes = out.length;
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { id: sc.id, threads: workers, ops, seconds: elapsed, opsPerSec: ops / elapsed, bytes };
}

async function main() {
  const [scenarioFile, secondsArg, outDir, only] = process.argv.slice(2);
  if (!scenarioFile || !secondsArg || !outDir) {
    throw new Error('usage: node bench.js SCENARIOS.json SECONDS OUTDIR [ID]');
  }
  const scenarios = JSON.parse(fs.readFileSync(scenarioFile, 'utf8')).filter((sc) => !only || sc.id === only);
  if (scenarios.length === 0) throw new Error('no scenario ' + only);
  const seconds = Number(secondsArg);
  const cpus = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  fs.mkdirSync(outDir, { recursive: true });
  const results = [];
  for (const sc of scenarios) {
    const input = fs.readFileSync(sc.input);
    const sample = await thumbnail(input, sc); // warm-up, and the quality sample
    fs.writeFileSync(path.join(outDir, `${sc.id}.${sc.format}`), sample);
    for (const workers of [1, cpus]) {
      const r = await timed(input, sc, workers, seconds);
      process.stderr.write(`sharp ${sc.id} threads=${workers}: ${r.opsPerSec.toFixed(1)} ops/s\n`);
      results.push(r);
    }
  }
  const version = `sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`;
  process.stdout.write(JSON.stringify({ tool: 'sharp', version, results }, null, 1) + '\n');
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
