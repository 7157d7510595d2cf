package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// tinyCache is a memory cache that keeps nothing: the memory tier keeps
// items up to a sixteenth of its size, so every request goes on to Redis.
const tinyCache = "16B"

// s3Scenario is the cold scenario measured on S3 storage against disk.
var s3Scenario = coldScenarios[0]

// hitRedis measures Redis hits of the memory-hit variant on a fresh
// cloudresizer with a fresh Redis and a memory cache that keeps nothing.
func (h *harness) hitRedis(ctx context.Context, c int) (Cell, error) {
	storage, err := h.freshStorage()
	if err != nil {
		return Cell{}, err
	}
	defer os.RemoveAll(storage)
	rd, redisURL, err := h.startRedis(ctx)
	if err != nil {
		return Cell{}, err
	}
	defer rd.stop()
	h.redisVer = logMatch(rd, `version=([^,\s]+)`)
	s, err := h.startOursWith(ctx, oursOpts{storage: "file://" + storage, cache: tinyCache, redis: redisURL})
	if err != nil {
		return Cell{}, err
	}
	t := vegeta.Target{Method: http.MethodGet, URL: s.base + h.hit.path + "?" + h.hit.query, Header: authHeader()}
	if err := expectTiers(ctx, t, "miss", "redis"); err != nil {
		s.stop()
		return Cell{}, err
	}
	s.name = "ours-redis"
	return h.measure(ctx, s, "redis-hit", c, fixedTarget(t), 0, "redis")
}

// expectTiers sends t once per tier and checks that each answer is a 200
// with that X-Cache, in order.
func expectTiers(ctx context.Context, t vegeta.Target, tiers ...string) error {
	for i, want := range tiers {
		resp, b, err := do(ctx, t)
		if err != nil {
			return err
		}
		if got := resp.Header.Get("X-Cache"); resp.StatusCode != http.StatusOK || got != want {
			return fmt.Errorf("request %d of %s: %s, X-Cache %q, want 200 and %q: %.200s", i+1, t.URL, resp.Status, got, want, b)
		}
	}
	return nil
}

// storageLevels are the levels of the S3 cells: those that fit in workers
// plus queue (overload is measured on disk already).
func (h *harness) storageLevels() []int {
	var out []int
	for _, c := range h.cfg.levels {
		if c <= h.cfg.workers+h.cfg.queue {
			out = append(out, c)
		}
	}
	return out
}

// coldS3 measures the S3 scenario on a fresh cloudresizer whose storage is
// a new, empty bucket of the S3 server; the original is uploaded first.
func (h *harness) coldS3(ctx context.Context, c int) (Cell, error) {
	h.n++
	storageURL, dir, err := h.s3.newBucket(h.n)
	if err != nil {
		return Cell{}, err
	}
	defer os.RemoveAll(dir)
	s, err := h.startOursWith(ctx, oursOpts{storage: storageURL, cache: coldCache, env: s3Env()})
	if err != nil {
		return Cell{}, err
	}
	id, err := upload(ctx, s.base, s3Scenario.Input)
	if err != nil {
		s.stop()
		return Cell{}, err
	}
	s.name = "ours-s3"
	tr := coldTargets(s.base, oursPath(id), nil, s3Scenario, authHeader())
	return h.measure(ctx, s, "storage-cold", c, tr, 1, "miss")
}

// coldDisk measures the S3 scenario on disk storage, as the cold table
// does, under the name of the storage comparison.
func (h *harness) coldDisk(ctx context.Context, c int) (Cell, error) {
	storage, err := h.freshStorage()
	if err != nil {
		return Cell{}, err
	}
	defer os.RemoveAll(storage)
	s, err := h.startOurs(ctx, storage, coldCache)
	if err != nil {
		return Cell{}, err
	}
	s.name = "ours-disk"
	tr := coldTargets(s.base, oursPath(h.ids[s3Scenario.Input]), nil, s3Scenario, authHeader())
	return h.measure(ctx, s, "storage-cold", c, tr, 1, "miss")
}

// runStorage measures cold resizes on S3 and on disk, taking turns in an
// order that flips from level to level and from round to round. Without a
// versitygw binary it does nothing.
func runStorage(ctx context.Context, h *harness, rep *Report, round int) error {
	if h.cfg.versitygw == "" {
		return nil
	}
	if h.s3 == nil {
		s3, err := h.startS3(ctx)
		if err != nil {
			return err
		}
		h.s3 = s3
	}
	for i, c := range h.storageLevels() {
		measures := []func(context.Context, int) (Cell, error){h.coldS3, h.coldDisk}
		if (i+round)%2 == 1 {
			measures[0], measures[1] = measures[1], measures[0]
		}
		for _, m := range measures {
			cell, err := m(ctx, c)
			if err != nil {
				return err
			}
			rep.keep(cell)
		}
	}
	return nil
}
