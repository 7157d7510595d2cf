package resizer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Target is one output of a batch: a named size and format for every image.
type Target struct {
	Name    string
	Options Options
}

// DefaultPresets are the targets a batch can name without spelling them out.
var DefaultPresets = []Target{
	{Name: "thumb", Options: Options{Width: 300, Height: 300, Fit: FitCover}},
	{Name: "small", Options: Options{Width: 640, Height: 640, Fit: FitInside}},
	{Name: "medium", Options: Options{Width: 1280, Height: 1280, Fit: FitInside}},
	{Name: "large", Options: Options{Width: 2048, Height: 2048, Fit: FitInside}},
}

// Task is one item of one batch, as it travels through a queue.
type Task struct {
	Batch string `json:"batch"`
	Item  int    `json:"item"`
}

// Queue carries batch tasks to workers: in process, or shared through Redis.
type Queue interface {
	Enqueue(ctx context.Context, tasks ...Task) error
}

// Batch is what was asked: images times targets, kept in storage (the
// manifest) so that any instance, or this one after a restart, can finish it.
type Batch struct {
	ID        string         `json:"id"`
	Owner     string         `json:"-"`
	OwnerHash string         `json:"owner"`
	CreatedAt time.Time      `json:"created_at"`
	Targets   []targetRecord `json:"targets"`
	Items     []batchItem    `json:"items"`
}

type targetRecord struct {
	Name  string `json:"name"`
	Query string `json:"query"` // the target's options in canonical query form
}

type batchItem struct {
	Filename string    `json:"filename"`
	ImageID  string    `json:"image_id,omitempty"`
	Target   int       `json:"target"`
	Refused  *apiError `json:"refused,omitempty"` // the file was refused at upload
}

// apiError is an Error as stored and shown in JSON.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func toAPIError(err error) *apiError {
	return &apiError{Code: ErrorCode(err), Message: ErrorMessage(err)}
}

// BatchSource is one image of a new batch: uploaded (ImageID set), or
// refused at upload (Err set).
type BatchSource struct {
	Filename string
	ImageID  string
	Err      error
}

func batchPrefix(id string) string         { return "batches/" + id + "/" }
func manifestKey(id string) string         { return batchPrefix(id) + "manifest.json" }
func resultPrefix(id string) string        { return batchPrefix(id) + "results/" }
func pendingKey(id string) string          { return "pending/" + id }
func ownerBatchPrefix(owner string) string { return ownerPrefix(owner) + "batches/" }

// ownerBatchKey lists the owner's batches newest first, as orderKey does images.
func ownerBatchKey(owner string, t time.Time, id string) string {
	return fmt.Sprintf("%s%019d-%s", ownerBatchPrefix(owner), math.MaxInt64-t.UnixNano(), id)
}

// resultKey names an item's result. The state, and the format of a done
// item, are in the name, so that one listing tells a batch's progress and
// only failed items (for their reason) need reading.
func resultKey(id string, item int, r itemResult) string {
	if r.State == ItemDone {
		return fmt.Sprintf("%s%06d-%s.%s", resultPrefix(id), item, ItemDone, r.Format)
	}
	return fmt.Sprintf("%s%06d-%s", resultPrefix(id), item, r.State)
}

// resultRef is what a result's key says.
type resultRef struct {
	State  string
	Format Format
}

// ParseTarget reads an explicit target from query-style options.
func ParseTarget(name string, q url.Values) (Target, error) {
	o, err := ParseQuery(q)
	if err != nil {
		return Target{}, err
	}
	if o.Width == 0 && o.Height == 0 {
		return Target{}, Errorf(EINVALID, "a target needs a width or a height")
	}
	if o.Format == FormatAuto {
		return Target{}, Errorf(EINVALID, "format=auto needs a browser's Accept header; name a format for a batch")
	}
	if name == "" {
		name = targetName(o)
	}
	return Target{Name: name, Options: o}, nil
}

// targetName names an explicit target by its size: 300x200, 640w, 480h.
func targetName(o Options) string {
	switch {
	case o.Width > 0 && o.Height > 0:
		return fmt.Sprintf("%dx%d", o.Width, o.Height)
	case o.Width > 0:
		return fmt.Sprintf("%dw", o.Width)
	}
	return fmt.Sprintf("%dh", o.Height)
}

// CreateBatch records a batch of every source times every target and
// queues its items. Refused sources are failed items from the start. The
// manifest is stored before anything is queued or answered.
func (s *Service) CreateBatch(ctx context.Context, owner string, sources []BatchSource, targets []Target) (BatchStatus, error) {
	if len(targets) == 0 {
		return BatchStatus{}, Errorf(EINVALID, "a batch needs at least one target: a preset, or w/h")
	}
	if len(sources) == 0 {
		return BatchStatus{}, Errorf(EINVALID, "a batch needs at least one file or image_id")
	}
	if s.cfg.Queue == nil {
		return BatchStatus{}, Errorf(EUNAVAILABLE, "batches are not enabled on this server")
	}
	b := newBatch(owner, s.now().UTC(), sources, targets)
	if err := s.storeBatch(ctx, b); err != nil {
		return BatchStatus{}, err
	}
	if err := s.failRefused(ctx, b); err != nil {
		return BatchStatus{}, err
	}
	if err := s.cfg.Queue.Enqueue(ctx, b.pendingTasks(nil)...); err != nil {
		return BatchStatus{}, err
	}
	return s.status(ctx, b, false)
}

func newBatch(owner string, now time.Time, sources []BatchSource, targets []Target) *Batch {
	id := make([]byte, 16)
	rand.Read(id)
	b := &Batch{ID: hex.EncodeToString(id), Owner: owner, OwnerHash: hashOwner(owner), CreatedAt: now}
	for _, t := range targets {
		b.Targets = append(b.Targets, targetRecord{Name: t.Name, Query: t.Options.Query()})
	}
	for _, src := range sources {
		for ti := range targets {
			it := batchItem{Filename: cleanFilename(src.Filename), ImageID: src.ImageID, Target: ti}
			if src.Err != nil {
				it.Refused = toAPIError(src.Err)
			}
			b.Items = append(b.Items, it)
		}
	}
	return b
}

// storeBatch writes the manifest, the owner's list entry and the pending
// mark that a restart uses to resume.
func (s *Service) storeBatch(ctx context.Context, b *Batch) error {
	body, err := json.Marshal(b)
	if err != nil {
		return err
	}
	puts := []struct {
		key  string
		body []byte
	}{
		{manifestKey(b.ID), body},
		{pendingKey(b.ID), nil},
		{ownerBatchKey(b.Owner, b.CreatedAt, b.ID), nil},
	}
	for _, p := range puts {
		if err := s.cfg.Store.Put(ctx, p.key, bytes.NewReader(p.body), "application/json"); err != nil {
			return err
		}
	}
	s.batches.Store(b.ID, b)
	return nil
}

func (s *Service) failRefused(ctx context.Context, b *Batch) error {
	for i, it := range b.Items {
		if it.Refused != nil {
			if err := s.putResult(ctx, b.ID, i, itemResult{State: ItemFailed, Error: it.Refused, FinishedAt: b.CreatedAt}); err != nil {
				return err
			}
		}
	}
	return nil
}

// pendingTasks lists the items that have no result yet.
func (b *Batch) pendingTasks(finished map[int]resultRef) []Task {
	var tasks []Task
	for i, it := range b.Items {
		if _, ok := finished[i]; it.Refused == nil && !ok {
			tasks = append(tasks, Task{Batch: b.ID, Item: i})
		}
	}
	return tasks
}

// loadBatch reads a manifest, remembered after the first read: manifests
// never change.
func (s *Service) loadBatch(ctx context.Context, id string) (*Batch, error) {
	if b, ok := s.batches.Load(id); ok {
		return b.(*Batch), nil
	}
	if !validBatchID(id) {
		return nil, Errorf(ENOTFOUND, "no such batch")
	}
	raw, err := s.cfg.Store.Get(ctx, manifestKey(id))
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "no such batch")
	}
	if err != nil {
		return nil, err
	}
	var b Batch
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("corrupt batch manifest %s: %w", id, err)
	}
	s.batches.Store(id, &b)
	return &b, nil
}

func validBatchID(id string) bool { return len(id) == 32 && ValidID(id) }

// ownedBatch loads batch id if owner made it; another owner's is not found.
func (s *Service) ownedBatch(ctx context.Context, owner, id string) (*Batch, error) {
	b, err := s.loadBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	if b.OwnerHash != hashOwner(owner) {
		return nil, Errorf(ENOTFOUND, "no such batch")
	}
	return b, nil
}

// finished lists the items that have a result, from their keys alone.
func (s *Service) finished(ctx context.Context, id string) (map[int]resultRef, error) {
	keys, err := s.listAll(ctx, resultPrefix(id))
	if err != nil {
		return nil, err
	}
	out := make(map[int]resultRef, len(keys))
	for _, k := range keys {
		idx, rest, ok := strings.Cut(strings.TrimPrefix(k, resultPrefix(id)), "-")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil {
			continue
		}
		state, format, _ := strings.Cut(rest, ".")
		out[n] = resultRef{State: state, Format: Format(format)}
	}
	return out, nil
}

// listAll lists every key under prefix, page by page.
func (s *Service) listAll(ctx context.Context, prefix string) ([]string, error) {
	var all []string
	after := ""
	for {
		keys, err := s.cfg.Store.List(ctx, prefix, after, 1000)
		if err != nil {
			return nil, err
		}
		all = append(all, keys...)
		if len(keys) < 1000 {
			return all, nil
		}
		after = keys[len(keys)-1]
	}
}

// ResumePending queues again every item without a result of every batch
// that was not finished: after a restart, nothing acknowledged is lost.
func (s *Service) ResumePending(ctx context.Context) (int, error) {
	if s.cfg.Queue == nil {
		return 0, nil
	}
	keys, err := s.listAll(ctx, "pending/")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		b, err := s.loadBatch(ctx, strings.TrimPrefix(k, "pending/"))
		if err != nil {
			continue // a pending mark without its manifest: nothing to resume
		}
		done, err := s.finished(ctx, b.ID)
		if err != nil {
			return n, err
		}
		tasks := b.pendingTasks(done)
		if len(tasks) == 0 {
			s.cfg.Store.Delete(ctx, pendingKey(b.ID))
			continue
		}
		if err := s.cfg.Queue.Enqueue(ctx, tasks...); err != nil {
			return n, err
		}
		n += len(tasks)
	}
	return n, nil
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[int]resultRef) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
