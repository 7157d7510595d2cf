#!/usr/bin/env bash
# bench/run.sh: `make bench`. Times the same thumbnails with our engine,
# with sharp (the peer to beat) and with Debian's vipsthumbnail, in one run,
# and writes the tables into docs/benchmarks.md between the bench markers.
#
#   BENCH_SECONDS  seconds per cell and round (default 1.5)
#   BENCH_ROUNDS   rounds; the best round of each cell is kept (default 2)
#   BENCH_KEEP     a folder to keep the raw results and samples in (default: a temporary one, removed)
#
# Needs: Go, libvips-dev, libvips-tools (vipsthumbnail), Node.js and npm.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${BENCH_SECONDS:-1.5}
rounds=${BENCH_ROUNDS:-2}
scenarios=bench/scenarios.json

for tool in go node npm vipsthumbnail; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found (vipsthumbnail: apt-get install libvips-tools)" >&2; exit 1; }
done

if [ ! -d bench/sharp/node_modules/sharp ]; then
	echo "bench: installing sharp into bench/sharp/node_modules" >&2
	(cd bench/sharp && npm install --no-audit --no-fund --loglevel=error)
fi

if [ -n "${BENCH_KEEP:-}" ]; then
	work=$BENCH_KEEP
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/runs"

go build -o "$work/enginebench" ./bench/cmd/enginebench
ids=$(node -e 'for (const s of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))) console.log(s.id)' "$scenarios")
cpus=$(nproc)
export UV_THREADPOOL_SIZE=$((cpus > 4 ? cpus : 4))

# run_tool TOOL ROUND ID: one tool, one scenario, one round (1 thread and all threads).
run_tool() {
	local out="$work/runs/$1-r$2-$3.json"
	case $1 in
	ours) "$work/enginebench" ours -scenarios "$scenarios" -seconds "$seconds" -only "$3" -out "$work/ours" -ref "$work/ref" >"$out" ;;
	sharp) node bench/sharp/bench.js "$scenarios" "$seconds" "$work/sharp" "$3" >"$out" ;;
	vipsthumbnail) "$work/enginebench" cli -scenarios "$scenarios" -seconds "$seconds" -only "$3" -out "$work/vipsthumbnail" >"$out" ;;
	esac
}

# The three tools take turns on each scenario, in an order that rotates
# from round to round, so that a burst of other work on this shared machine
# hits them alike; the report keeps the best round of each cell.
orders=("ours sharp vipsthumbnail" "sharp vipsthumbnail ours" "vipsthumbnail ours sharp")
for round in $(seq 1 "$rounds"); do
	echo "bench: round $round of $rounds, $seconds s per cell" >&2
	for id in $ids; do
		for tool in ${orders[$(((round - 1) % 3))]}; do
			run_tool "$tool" "$round" "$id"
		done
	done
done

mkdir -p docs
[ -f docs/benchmarks.md ] || printf "# Benchmarks\n" >docs/benchmarks.md
"$work/enginebench" report -scenarios "$scenarios" -results "$work" -doc docs/benchmarks.md \
	-seconds "$seconds" -rounds "$rounds"
echo "bench: wrote docs/benchmarks.md" >&2
