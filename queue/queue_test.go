package queue

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/testserver"
)

// runner is what both queues offer.
type runner interface {
	resizer.Queue
	Run(ctx context.Context, workers int, h Handler) error
}

var fastRetry = RetryPolicy{Attempts: 3, Backoff: 20 * time.Millisecond}

// conformance runs the same checks on every queue made by open.
func conformance(t *testing.T, open func(t *testing.T) runner) {
	t.Run("EveryTaskOnce", func(t *testing.T) { testEveryTaskOnce(t, open(t)) })
	t.Run("RetriesThenFinal", func(t *testing.T) { testRetries(t, open(t)) })
}

// record collects handled tasks.
type record struct {
	mu    sync.Mutex
	calls map[resizer.Task]int
	final map[resizer.Task]bool
}

func (r *record) handler(failFirst int) Handler {
	return func(_ context.Context, task resizer.Task, final bool) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls[task]++
		if final {
			r.final[task] = true
		}
		if r.calls[task] <= failFirst && !final {
			return resizer.Errorf(resizer.EUNAVAILABLE, "busy")
		}
		return nil
	}
}

func (r *record) waitFor(t *testing.T, n int) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := len(r.calls)
		r.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("only %d of %d tasks handled", len(r.calls), n)
}

func run(t *testing.T, q runner, h Handler) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx, 3, h); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func tasks(batch string, n int) []resizer.Task {
	var out []resizer.Task
	for i := range n {
		out = append(out, resizer.Task{Batch: batch, Item: i})
	}
	return out
}

func testEveryTaskOnce(t *testing.T, q runner) {
	r := &record{calls: map[resizer.Task]int{}, final: map[resizer.Task]bool{}}
	run(t, q, r.handler(0))
	if err := q.Enqueue(context.Background(), tasks("b1", 50)...); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, 50)
	time.Sleep(100 * time.Millisecond) // a duplicate would show up now
	for task, n := range r.calls {
		if n != 1 {
			t.Errorf("%v handled %d times", task, n)
		}
	}
}

func testRetries(t *testing.T, q runner) {
	r := &record{calls: map[resizer.Task]int{}, final: map[resizer.Task]bool{}}
	run(t, q, r.handler(100)) // always transient: tried to the end
	task := resizer.Task{Batch: "b2", Item: 7}
	q.Enqueue(context.Background(), task)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		final, calls := r.final[task], r.calls[task]
		r.mu.Unlock()
		if final {
			if calls != fastRetry.Attempts {
				t.Errorf("%d attempts, want %d", calls, fastRetry.Attempts)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the final attempt never came")
}

func TestLocal(t *testing.T) {
	conformance(t, func(t *testing.T) runner { return NewLocal(fastRetry, slog.Default()) })
}

func TestAsynq(t *testing.T) {
	srv := testserver.StartRedis(t)
	n := 0
	conformance(t, func(t *testing.T) runner {
		n++
		q, err := NewAsynq(AsynqConfig{URL: srv.URL(), Retry: fastRetry,
			Poll: 20 * time.Millisecond, ShutdownTimeout: time.Second}, slog.Default())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		return q
	})
}

// TestAsynqDeduplicates queues the same item twice: a resume after a
// restart must not make an item run twice while it waits.
func TestAsynqDeduplicates(t *testing.T) {
	srv := testserver.StartRedis(t)
	q, err := NewAsynq(AsynqConfig{URL: srv.URL(), Retry: fastRetry, Poll: 20 * time.Millisecond, ShutdownTimeout: time.Second}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for range 3 {
		if err := q.Enqueue(context.Background(), tasks("b3", 5)...); err != nil {
			t.Fatal(err)
		}
	}
	r := &record{calls: map[resizer.Task]int{}, final: map[resizer.Task]bool{}}
	run(t, q, r.handler(0))
	r.waitFor(t, 5)
	time.Sleep(200 * time.Millisecond)
	for task, n := range r.calls {
		if n != 1 {
			t.Errorf("%v handled %d times", task, n)
		}
	}
}
