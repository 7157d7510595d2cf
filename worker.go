package resizer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// Item states.
const (
	ItemQueued  = "queued"
	ItemRunning = "running"
	ItemDone    = "done"
	ItemFailed  = "failed"
)

// itemResult is what a worker records for one item.
type itemResult struct {
	State      string    `json:"state"`
	Error      *apiError `json:"error,omitempty"`
	Key        string    `json:"key,omitempty"` // the variant key
	Format     Format    `json:"format,omitempty"`
	Bytes      int       `json:"bytes,omitempty"`
	FinishedAt time.Time `json:"finished_at"`
}

// RunItem makes one batch item through the same code path as a GET of the
// variant, so there is exactly one way to make a variant. Bad input is
// recorded as a failed item and not retried; a transient failure
// (unavailable, internal) is returned so the queue retries it, and recorded
// as failed only on the final attempt.
func (s *Service) RunItem(ctx context.Context, t Task, final bool) error {
	b, err := s.loadBatch(ctx, t.Batch)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil // the batch is gone (deleted); nothing to do
		}
		return err
	}
	if t.Item < 0 || t.Item >= len(b.Items) {
		return nil
	}
	if done, err := s.hasResult(ctx, t); err != nil || done {
		return err // done already: a task delivered twice is done once
	}
	s.running.Store(t, struct{}{})
	defer s.running.Delete(t)
	res := s.makeItem(ctx, b, b.Items[t.Item])
	if res.State == ItemFailed && transient(res.Error.Code) && !final {
		return Errorf(res.Error.Code, "%s", res.Error.Message)
	}
	if err := s.putResult(ctx, t.Batch, t.Item, res); err != nil {
		return err
	}
	return s.finishIfComplete(ctx, b)
}

func transient(code string) bool { return code == EUNAVAILABLE || code == EINTERNAL }

func (s *Service) makeItem(ctx context.Context, b *Batch, it batchItem) itemResult {
	now := func() time.Time { return s.now().UTC() }
	q, _ := url.ParseQuery(b.Targets[it.Target].Query)
	o, err := ParseQuery(q)
	if err == nil {
		o, _, err = s.Resolve(ctx, it.ImageID, o, "")
	}
	var v Variant
	if err == nil {
		v, err = s.Variant(ctx, it.ImageID, o)
	}
	if err != nil {
		return itemResult{State: ItemFailed, Error: toAPIError(err), FinishedAt: now()}
	}
	return itemResult{State: ItemDone, Key: v.Key, Format: v.Format, Bytes: len(v.Bytes), FinishedAt: now()}
}

func (s *Service) hasResult(ctx context.Context, t Task) (bool, error) {
	keys, err := s.cfg.Store.List(ctx, fmt.Sprintf("%s%06d-", resultPrefix(t.Batch), t.Item), "", 1)
	return len(keys) > 0, err
}

func (s *Service) putResult(ctx context.Context, id string, item int, r itemResult) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.cfg.Store.Put(ctx, resultKey(id, item, r), bytes.NewReader(body), "application/json")
}

// finishIfComplete drops the pending mark once every item has a result.
func (s *Service) finishIfComplete(ctx context.Context, b *Batch) error {
	done, err := s.finished(ctx, b.ID)
	if err != nil || len(done) < len(b.Items) {
		return err
	}
	return s.cfg.Store.Delete(ctx, pendingKey(b.ID))
}
