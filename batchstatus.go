package resizer

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// BatchStatus is a batch as its owner sees it.
type BatchStatus struct {
	ID        string       `json:"id"`
	State     string       `json:"state"` // queued, running or done
	Total     int          `json:"total"`
	Done      int          `json:"done"`
	Failed    int          `json:"failed"`
	CreatedAt time.Time    `json:"created_at"`
	Items     []ItemStatus `json:"items,omitempty"`
}

// ItemStatus is one (image, target) pair of a batch.
type ItemStatus struct {
	Index    int       `json:"index"`
	Filename string    `json:"filename"`
	ImageID  string    `json:"image_id,omitempty"`
	Target   string    `json:"target"`
	State    string    `json:"state"`
	Error    *apiError `json:"error,omitempty"`
	Format   Format    `json:"format,omitempty"`
	// URL fetches the output with the owner's credentials.
	URL string `json:"url,omitempty"`
}

// BatchStatus returns the owner's batch id with every item's state.
func (s *Service) BatchStatus(ctx context.Context, owner, id string) (BatchStatus, error) {
	b, err := s.ownedBatch(ctx, owner, id)
	if err != nil {
		return BatchStatus{}, err
	}
	return s.status(ctx, b, true)
}

// Batches lists the owner's batches, newest first, without their items.
func (s *Service) Batches(ctx context.Context, owner string, limit int) ([]BatchStatus, error) {
	keys, err := s.cfg.Store.List(ctx, ownerBatchPrefix(owner), "", limit)
	if err != nil {
		return nil, err
	}
	out := []BatchStatus{}
	for _, k := range keys {
		b, err := s.loadBatch(ctx, k[len(k)-32:])
		if err != nil {
			continue
		}
		st, err := s.status(ctx, b, false)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// status counts the results of b and, with items, describes each one.
func (s *Service) status(ctx context.Context, b *Batch, items bool) (BatchStatus, error) {
	done, err := s.finished(ctx, b.ID)
	if err != nil {
		return BatchStatus{}, err
	}
	st := BatchStatus{ID: b.ID, Total: len(b.Items), CreatedAt: b.CreatedAt}
	for _, r := range done {
		if r.State == ItemDone {
			st.Done++
		} else {
			st.Failed++
		}
	}
	st.State = batchState(len(done), st.Total, s.anyRunning(b))
	if !items {
		return st, nil
	}
	for i := range b.Items {
		it, err := s.itemStatus(ctx, b, i, done[i])
		if err != nil {
			return BatchStatus{}, err
		}
		st.Items = append(st.Items, it)
	}
	return st, nil
}

// BatchProgress returns the owner's batch without items, and the items that
// finished and are not in seen: what a live view needs, reading only the
// results of new failures.
func (s *Service) BatchProgress(ctx context.Context, owner, id string, seen func(int) bool) (BatchStatus, []ItemStatus, error) {
	b, err := s.ownedBatch(ctx, owner, id)
	if err != nil {
		return BatchStatus{}, nil, err
	}
	st, err := s.status(ctx, b, false)
	if err != nil {
		return BatchStatus{}, nil, err
	}
	done, err := s.finished(ctx, b.ID)
	if err != nil {
		return BatchStatus{}, nil, err
	}
	var fresh []ItemStatus
	for _, i := range sortedKeys(done) {
		if seen(i) {
			continue
		}
		it, err := s.itemStatus(ctx, b, i, done[i])
		if err != nil {
			return BatchStatus{}, nil, err
		}
		fresh = append(fresh, it)
	}
	return st, fresh, nil
}

func batchState(finished, total int, running bool) string {
	switch {
	case finished == total:
		return "done"
	case finished > 0 || running:
		return "running"
	}
	return "queued"
}

func (s *Service) anyRunning(b *Batch) bool {
	found := false
	s.running.Range(func(k, _ any) bool {
		found = k.(Task).Batch == b.ID
		return !found
	})
	return found
}

// itemStatus describes item i; only a failed item's result is read, for
// its reason.
func (s *Service) itemStatus(ctx context.Context, b *Batch, i int, ref resultRef) (ItemStatus, error) {
	it := b.Items[i]
	t := b.Targets[it.Target]
	st := ItemStatus{Index: i, Filename: it.Filename, ImageID: it.ImageID, Target: t.Name, State: ref.State}
	switch ref.State {
	case "":
		st.State = ItemQueued
		if _, ok := s.running.Load(Task{Batch: b.ID, Item: i}); ok {
			st.State = ItemRunning
		}
	case ItemDone:
		st.Format = ref.Format
		st.URL = "/api/v1/images/" + it.ImageID + "/resize?" + withFormat(t.Query, ref.Format)
	default:
		r, err := s.result(ctx, b.ID, i, itemResult{State: ref.State})
		if err != nil {
			return ItemStatus{}, err
		}
		st.Error = r.Error
	}
	return st, nil
}

func (s *Service) result(ctx context.Context, id string, item int, ref itemResult) (itemResult, error) {
	raw, err := s.cfg.Store.Get(ctx, resultKey(id, item, ref))
	if err != nil {
		return itemResult{}, err
	}
	var r itemResult
	err = json.Unmarshal(raw, &r)
	return r, err
}

// withFormat pins the output format in a target's query, so the URL names
// the very variant the batch made.
func withFormat(query string, f Format) string {
	q, _ := url.ParseQuery(query)
	if q.Get("format") == "" && f != "" {
		q.Set("format", string(f))
	}
	o, err := ParseQuery(q)
	if err != nil {
		return query
	}
	return o.Query()
}

// BatchOutput is one finished output of a batch, for the ZIP archive.
type BatchOutput struct {
	Name  string // <original base name>_<target>.<ext>, unique in the batch
	Bytes []byte
}

// BatchOutputs calls fn for every finished output of the owner's batch, in
// item order, fetching one variant at a time so memory does not grow with
// the number of images.
func (s *Service) BatchOutputs(ctx context.Context, owner, id string, fn func(BatchOutput) error) error {
	b, err := s.ownedBatch(ctx, owner, id)
	if err != nil {
		return err
	}
	done, err := s.finished(ctx, b.ID)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, i := range sortedKeys(done) {
		if done[i].State != ItemDone {
			continue
		}
		out, err := s.batchOutput(ctx, b, i, done[i].Format)
		if err != nil {
			return err
		}
		out.Name = uniqueName(names, out.Name)
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) batchOutput(ctx context.Context, b *Batch, i int, f Format) (BatchOutput, error) {
	it := b.Items[i]
	q, _ := url.ParseQuery(withFormat(b.Targets[it.Target].Query, f))
	o, err := ParseQuery(q)
	if err != nil {
		return BatchOutput{}, err
	}
	v, err := s.Variant(ctx, it.ImageID, o)
	if err != nil {
		return BatchOutput{}, err
	}
	base := strings.TrimSuffix(it.Filename, extOf(it.Filename))
	return BatchOutput{Name: base + "_" + b.Targets[it.Target].Name + "." + v.Format.Ext(), Bytes: v.Bytes}, nil
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

// uniqueName makes name unique among taken, adding -2, -3… before the extension.
func uniqueName(taken map[string]bool, name string) string {
	ext := extOf(name)
	base := strings.TrimSuffix(name, ext)
	candidate := name
	for n := 2; taken[candidate]; n++ {
		candidate = base + "-" + itoa(n) + ext
	}
	taken[candidate] = true
	return candidate
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
