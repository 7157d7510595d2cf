#!/usr/bin/env bash
# bench/load/run.sh: `make load`. Drives `cloudresizer serve` over HTTP with
# the load harness (bench/load, vegeta as a library) next to a sharp server
# (bench/sharp/server.js, the peer to beat) and a bare net/http server
# (bench/load/bare), all on 127.0.0.1, and writes the tables into
# docs/benchmarks.md between the load markers.
#
#   LOAD_SECONDS  seconds per cell and round (default 3)
#   LOAD_ROUNDS   rounds; the best round of each cell is kept (default 2; a run takes about 5 minutes)
#   LOAD_LEVELS   concurrencies (default 4,16,64)
#   LOAD_QUEUE    cloudresizer --queue (default 16: c=16 fits, c=64 is overload)
#   LOAD_KEEP     a folder to keep logs, storages and results.json in (default: a temporary one, removed)
#   LOAD_BATCH_IMAGES  originals in the batch scenario (default 100)
#
# It also writes the load-cloud section (Redis hits, against a redis-server
# it starts; cold resizes on S3, against versitygw built from the tools
# module) and the load-batch section (a batch of LOAD_BATCH_IMAGES photos
# into 3 presets, against the engine alone).
#
# Needs: Go, libvips-dev, Node.js and npm, redis-server. Every server is started and
# stopped by the harness, by its own pid; on exit this script stops the
# harness, which stops them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

for tool in go node npm redis-server; do
	command -v "$tool" >/dev/null || { echo "load: $tool not found" >&2; exit 1; }
done

make --no-print-directory build

if [ ! -d bench/sharp/node_modules/sharp ]; then
	echo "load: installing sharp into bench/sharp/node_modules" >&2
	(cd bench/sharp && npm install --no-audit --no-fund --loglevel=error)
fi

harness=
cleanup() {
	if [ -n "$harness" ] && kill -0 "$harness" 2>/dev/null; then
		kill -TERM "$harness" 2>/dev/null || true
		wait "$harness" 2>/dev/null || true
	fi
	if [ -z "${LOAD_KEEP:-}" ]; then rm -rf "$work"; fi
}
if [ -n "${LOAD_KEEP:-}" ]; then
	work=$LOAD_KEEP
	mkdir -p "$work"
else
	work=$(mktemp -d)
fi
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$work/load" ./bench/load
go build -o "$work/bare" ./bench/load/bare
# versitygw, the S3 server, at the version pinned in tools/go.mod: `go tool -n`
# builds it into the Go build cache once and prints its path.
versitygw=$(cd tools && GOWORK=off go tool -n versitygw)

mkdir -p docs
[ -f docs/benchmarks.md ] || printf "# Benchmarks\n" >docs/benchmarks.md
"$work/load" -bin bin/cloudresizer -bare "$work/bare" -versitygw "$versitygw" -work "$work" -doc docs/benchmarks.md \
	-seconds "${LOAD_SECONDS:-3}" -rounds "${LOAD_ROUNDS:-2}" -levels "${LOAD_LEVELS:-4,16,64}" -queue "${LOAD_QUEUE:-16}" &
harness=$!
wait "$harness"
harness=
echo "load: wrote docs/benchmarks.md" >&2
