package resizer

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// Variant is one resized image, with where it was found.
type Variant struct {
	Key    string // variant key: the ETag and the cache key
	Format Format
	Bytes  []byte
	Source string // the tier name, "storage", or "miss" when computed now
	// Negotiated is true when the format came from the client's Accept.
	Negotiated bool
}

// Resolve gives o a concrete output format for the original id: the
// requested one, the best one accept allows for format=auto, or the default
// for the source. It fails with ENOTFOUND when the original is gone.
func (s *Service) Resolve(ctx context.Context, id string, o Options, accept string) (Options, bool, error) {
	meta, err := s.meta(ctx, id)
	if err != nil {
		return o, false, err
	}
	negotiated := o.Format == FormatAuto
	if negotiated {
		o.Format = Negotiate(accept, meta)
	}
	o.Format = o.OutputFormat(meta)
	return o, negotiated, nil
}

// Variant returns the image id resized as o (whose format Resolve made
// concrete). It looks in each cache tier, then in storage, and computes on a
// miss, once per key however many ask at the same time. Faster tiers are
// backfilled on a hit. A cache never fails the request; storage and the
// engine do.
func (s *Service) Variant(ctx context.Context, id string, o Options) (Variant, error) {
	return s.VariantByKey(ctx, id, o.Key(id), o)
}

// VariantByKey is Variant for a caller that has the key o.Key(id) already
// (the HTTP layer makes it for the ETag): it is on every request's path.
func (s *Service) VariantByKey(ctx context.Context, id, key string, o Options) (Variant, error) {
	for i, t := range s.cfg.Tiers {
		if b, ok := t.Cache.Get(ctx, key); ok {
			s.obs.CacheResult(t.Name, true)
			s.backfill(ctx, s.cfg.Tiers[:i], key, b)
			return Variant{Key: key, Format: o.Format, Bytes: b, Source: t.Name}, nil
		}
		s.obs.CacheResult(t.Name, false)
	}
	v, err, _ := s.flight.Do(key, func() (any, error) { return s.fromStorageOrCompute(ctx, id, key, o) })
	if err != nil {
		return Variant{}, err
	}
	return v.(Variant), nil
}

func (s *Service) fromStorageOrCompute(ctx context.Context, id, key string, o Options) (Variant, error) {
	// The work outlives one caller: others may be waiting on the same key.
	ctx = context.WithoutCancel(ctx)
	b, err := s.cfg.Store.Get(ctx, variantPrefix(id)+key)
	switch {
	case err == nil:
		s.obs.CacheResult("storage", true)
		s.backfill(ctx, s.cfg.Tiers, key, b)
		return Variant{Key: key, Format: o.Format, Bytes: b, Source: "storage"}, nil
	case ErrorCode(err) != ENOTFOUND:
		return Variant{}, err
	}
	s.obs.CacheResult("storage", false)
	v, ok, unlock := s.waitForOtherInstance(ctx, id, key, o)
	if ok {
		return v, nil
	}
	defer unlock() // after the store below: waiters find the result
	b, err = s.compute(ctx, id, o)
	if err != nil {
		return Variant{}, err
	}
	if err := s.cfg.Store.Put(ctx, variantPrefix(id)+key, bytes.NewReader(b), o.Format.MIME()); err != nil {
		return Variant{}, err
	}
	s.backfill(ctx, s.cfg.Tiers, key, b)
	return Variant{Key: key, Format: o.Format, Bytes: b, Source: "miss"}, nil
}

// waitForOtherInstance takes the cross-instance lock for key. When another
// instance holds it, it polls storage for that instance's result until the
// lock wait ends, taking the lock itself if the holder gives up or dies
// (its lock expires). It reports ok with the variant when another instance
// made it; otherwise the caller computes, and calls unlock once it stored
// the result.
func (s *Service) waitForOtherInstance(ctx context.Context, id, key string, o Options) (v Variant, ok bool, unlock func()) {
	noop := func() {}
	if s.cfg.Locker == nil {
		return Variant{}, false, noop
	}
	ttl := s.cfg.TransformTimeout + 5*time.Second
	deadline := time.Now().Add(s.cfg.LockWait)
	for {
		release, held, err := s.cfg.Locker.TryLock(ctx, "lock:"+key, ttl)
		switch {
		case held:
			// The holder before us may have stored the result and let go
			// between our last look and now: look once more.
			if v, ok := s.storedVariant(ctx, id, key, o); ok {
				release()
				return v, true, noop
			}
			return Variant{}, false, release // ours: compute; the TTL covers a crash
		case err != nil, time.Now().After(deadline): // lock backend down, or waited enough
			return Variant{}, false, noop
		}
		time.Sleep(lockPoll)
		if v, ok := s.storedVariant(ctx, id, key, o); ok {
			return v, true, noop
		}
	}
}

// storedVariant reads the variant from storage, filling the cache tiers.
func (s *Service) storedVariant(ctx context.Context, id, key string, o Options) (Variant, bool) {
	b, err := s.cfg.Store.Get(ctx, variantPrefix(id)+key)
	if err != nil {
		return Variant{}, false
	}
	s.obs.CacheResult("storage", true)
	s.backfill(ctx, s.cfg.Tiers, key, b)
	return Variant{Key: key, Format: o.Format, Bytes: b, Source: "storage"}, true
}

// lockPoll is how often a waiting instance looks for another's result.
const lockPoll = 50 * time.Millisecond

// compute takes a place in the transform queue, loads the original ahead
// of a free worker (so a worker never waits on storage), and transforms
// within the transform timeout.
func (s *Service) compute(ctx context.Context, id string, o Options) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.TransformTimeout)
	defer cancel()
	leave, err := s.admit()
	if err != nil {
		return nil, err
	}
	src, release, err := s.loadAndWait(ctx, id)
	if err != nil {
		leave()
		return nil, err
	}
	type result struct {
		outs []Output
		err  error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		// libvips cannot be interrupted: the slot is held until it is done.
		defer leave()
		defer release()
		outs, err := s.cfg.Engine.Transform(ctx, src, o)
		s.obs.Transformed(time.Since(start), err)
		done <- result{outs, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		s.obs.BytesOut(len(r.outs[0].Bytes))
		return r.outs[0].Bytes, nil
	case <-ctx.Done():
		return nil, Errorf(EUNAVAILABLE, "the resize took too long; retry shortly")
	}
}

// loadAndWait reads the original within the prefetch bound, then waits for
// a worker; release frees the worker.
func (s *Service) loadAndWait(ctx context.Context, id string) (src []byte, release func(), err error) {
	unload, err := s.prefetch(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer unload()
	if src, err = s.original(ctx, id); err != nil {
		return nil, nil, err
	}
	release, err = s.work(ctx)
	return src, release, err
}

// original reads the bytes of original id, from memory when they are there.
func (s *Service) original(ctx context.Context, id string) ([]byte, error) {
	if s.cfg.Originals != nil {
		if b, ok := s.cfg.Originals.Get(ctx, id); ok {
			return b, nil
		}
	}
	b, err := s.cfg.Store.Get(ctx, originalKey(id))
	if err == nil && s.cfg.Originals != nil {
		s.cfg.Originals.Set(ctx, id, b)
	}
	return b, err
}

func (s *Service) backfill(ctx context.Context, tiers []Tier, key string, b []byte) {
	for _, t := range tiers {
		if t.MaxItem == 0 || len(b) <= t.MaxItem {
			t.Cache.Set(ctx, key, b)
		}
	}
}

// meta returns the header of the original id, remembered after first use.
func (s *Service) meta(ctx context.Context, id string) (Meta, error) {
	if !ValidID(id) {
		return Meta{}, Errorf(ENOTFOUND, "no such image")
	}
	if m, ok := s.metas.get(id); ok {
		return m, nil
	}
	b, err := s.cfg.Store.Get(ctx, metaKey(id))
	if ErrorCode(err) == ENOTFOUND {
		return Meta{}, Errorf(ENOTFOUND, "no such image")
	}
	if err != nil {
		return Meta{}, err
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, err
	}
	s.metas.set(id, m)
	return m, nil
}
