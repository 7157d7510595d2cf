package main

import (
	"fmt"
	"strings"
)

// cloudMarkdown renders the section on Redis hits and S3 storage.
func (r *Report) cloudMarkdown() string {
	var b strings.Builder
	b.WriteString(`## Load: Redis hits and S3 storage

From the same run as the section above, with the same closed loop, fresh
process per cell, rounds and columns.

`)
	r.writeRedisHits(&b)
	r.writeStorage(&b)
	return b.String()
}

// writeRedisHits writes the Redis-hit table against the memory hits.
func (r *Report) writeRedisHits(b *strings.Builder) {
	fmt.Fprintf(b, `### Redis hits against memory hits

The memory-hit variant (20 MP → 300 px JPEG), asked again and again of
cloudresizer with `+"`--redis`"+` (redis-server %s on 127.0.0.1, no
persistence, a fresh one per cell) and `+"`--cache-size %s`"+`: the memory
tier keeps items up to a sixteenth of its size, so it keeps nothing and
every request goes to Redis. Before each cell the first request is checked
to be `+"`X-Cache: miss`"+` and the second `+"`X-Cache: redis`"+`; every 2xx
of the cell is checked to be `+"`X-Cache: redis`"+`. At each level the Redis
cell takes turns with the memory-hit and bare cells of the table above; the
memory columns repeat that table's.

| c | Redis req/s | p50 ms | p99 ms | peak RSS MiB | 503 / 5xx / other | memory req/s | p50 ms | p99 ms | Redis / memory req/s | Redis / memory p99 |
|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|
`, r.Env.Redis, tinyCache)
	for _, c := range r.Env.Levels {
		o, m := r.find("redis-hit", "ours-redis", c), r.find("memory-hit", "ours", c)
		if o == nil || m == nil {
			continue
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s |\n", c,
			num(o.RPS), ms(o.P50), ms(o.P99), o.PeakRSS, errs(o), num(m.RPS), ms(m.P50), ms(m.P99), ratio(o.RPS, m.RPS), ratio(o.P99, m.P99))
	}
	b.WriteString("\n")
}

// writeStorage writes the cold resize table on S3 against disk storage.
func (r *Report) writeStorage(b *strings.Builder) {
	fmt.Fprintf(b, `### Cold resize: S3 storage against disk storage

%s, every request a new variant (as in the cold table), on
cloudresizer with `+"`--storage s3://…`"+` against `+"`--storage file://…`"+`.
The S3 server is versitygw (pinned in `+"`tools/go.mod`"+`, built by run.sh) with
its posix backend on the same local disk, on 127.0.0.1: one server for the
run, a new bucket per cell, the original uploaded through the API before the
cell. Each miss reads the original from S3 and writes the variant back to
it. The disk cells are the same scenario from a fresh storage, measured
right next to the S3 cells, taking turns. Levels that fit in workers + queue
only (overload is in the cold table).

| c | S3 req/s | p50 ms | p99 ms | peak RSS MiB | 503 / 5xx / other | disk req/s | p50 ms | p99 ms | peak RSS MiB | 503 / 5xx / other | S3 / disk req/s |
|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|
`, s3Scenario.Title)
	n := 0
	for _, c := range r.Env.Levels {
		o, d := r.find("storage-cold", "ours-s3", c), r.find("storage-cold", "ours-disk", c)
		if o == nil || d == nil {
			continue
		}
		n++
		fmt.Fprintf(b, "| %d | %s | %s | %s | %.0f | %s | %s | %s | %s | %.0f | %s | %s |\n", c,
			num(o.RPS), ms(o.P50), ms(o.P99), o.PeakRSS, errs(o), num(d.RPS), ms(d.P50), ms(d.P99), d.PeakRSS, errs(d), ratio(o.RPS, d.RPS))
	}
	if n == 0 {
		b.WriteString("\nNot measured: run.sh passes `-versitygw`; without it the S3 cells are skipped.\n")
	}
	b.WriteString("\n")
}

// batchMarkdown renders the batch section.
func (r *Report) batchMarkdown() string {
	var b strings.Builder
	st, e := r.Batch, r.BatchEngine
	if st == nil {
		return "## Load: batch throughput\n\nNot measured.\n\n"
	}
	fmt.Fprintf(&b, `## Load: batch throughput

From the same run as the sections above. %d distinct originals (12–20 MP:
%s in turn, each with a unique tail after
its JPEG end-of-image marker, which decoders ignore, so that each has its own
id and no variant is shared) are uploaded to a fresh cloudresizer
(`+"`--workers %d`"+`, disk storage, 256 MiB memory cache), then one batch asks for
the presets %s of every one of them (%d items, JPEG out). The time runs from
the request that creates the batch to the status poll (every 100 ms) that
says `+"`done`"+`; images/s = originals / time. The **engine** does the same
%d transforms (thumb = 300×300 cover, small = 640×640 inside, large =
2048×2048 inside, JPEG, from the same 3 photos) with `+"`vips.Engine.Transform`"+`
in the harness process, one goroutine per CPU taking the next item: the
ceiling of this machine. Engine, then batch, in each of the %d rounds; the
best round of each is kept. `+"`LOAD_BATCH_IMAGES`"+` changes the number of originals.

| originals | items | upload s | batch s | images/s | items/s | failed | peak RSS MiB | engine items/s | ours / engine items/s |
|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|
| %d | %d | %.1f | %.1f | %.2f | %.2f | %d | %.0f | %.2f | %s |

### Goal

- %s

`, st.Images, batchInputs(), r.Env.Workers, "`"+strings.Join(batchPresets, "`, `")+"`", st.Items, st.Items, r.Env.Rounds,
		st.Images, st.Items, st.UploadSeconds, st.Seconds, st.ImagesPerS, st.ItemsPerS, st.Failed, st.PeakRSS, e.OpsPerS,
		ratio(st.ItemsPerS, e.OpsPerS), r.goalBatch())
	return b.String()
}

// goalBatch: a batch runs at least 0.9× the engine's items/s, with no item
// failed.
func (r *Report) goalBatch() string {
	st, e := r.Batch, r.BatchEngine
	ok := e.OpsPerS > 0 && st.ItemsPerS >= 0.9*e.OpsPerS && st.Failed == 0
	return fmt.Sprintf("%s batch of %d × %d presets ≥ 0.9× the engine's ceiling with no item failed: %.2f images/s (%.2f items/s) against %.2f items/s of the engine, %s; %d failed.",
		verdict(ok), st.Images, len(batchPresets), st.ImagesPerS, st.ItemsPerS, e.OpsPerS, ratio(st.ItemsPerS, e.OpsPerS), st.Failed)
}
