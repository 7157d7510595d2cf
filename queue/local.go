// Package queue carries batch tasks to workers: in process when there is no
// Redis (tasks live in memory; the service re-queues unfinished items from
// storage after a restart), or through asynq on Redis, shared by every
// instance and durable on its own.
package queue

import (
	"context"
	"log/slog"
	"sync"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Handler does one task. final is true on the last attempt: a handler then
// records a failure instead of returning it.
type Handler func(ctx context.Context, t resizer.Task, final bool) error

// RetryPolicy says how often and how soon a failed task is tried again.
type RetryPolicy struct {
	Attempts int           // tries in all, at least 1
	Backoff  time.Duration // before the second try; doubled each time
}

// DefaultRetry tries 5 times over about 6 seconds: long enough to ride out
// a busy spell, short enough that a batch does not stall.
var DefaultRetry = RetryPolicy{Attempts: 5, Backoff: 200 * time.Millisecond}

// Local is an in-process queue: unbounded (a batch is accepted whole), FIFO.
type Local struct {
	mu    sync.Mutex
	tasks []resizer.Task
	wake  chan struct{}
	retry RetryPolicy
	log   *slog.Logger
}

var _ resizer.Queue = (*Local)(nil)

// NewLocal returns an empty in-process queue.
func NewLocal(retry RetryPolicy, log *slog.Logger) *Local {
	return &Local{wake: make(chan struct{}, 1), retry: retry, log: log}
}

// Enqueue adds tasks at the end of the queue.
func (q *Local) Enqueue(_ context.Context, tasks ...resizer.Task) error {
	q.mu.Lock()
	q.tasks = append(q.tasks, tasks...)
	q.mu.Unlock()
	q.signal()
	return nil
}

func (q *Local) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Len is the number of tasks waiting.
func (q *Local) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.tasks)
}

func (q *Local) pop() (resizer.Task, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.tasks) == 0 {
		return resizer.Task{}, false
	}
	t := q.tasks[0]
	q.tasks = q.tasks[1:]
	if len(q.tasks) > 0 {
		q.signal() // let another worker take the next one
	}
	return t, true
}

// Run runs workers goroutines doing tasks with h until ctx ends; a task
// being done then is finished first.
func (q *Local) Run(ctx context.Context, workers int, h Handler) error {
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.work(ctx, h)
		}()
	}
	wg.Wait()
	return nil
}

func (q *Local) work(ctx context.Context, h Handler) {
	for {
		t, ok := q.pop()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
				continue
			}
		}
		q.do(ctx, h, t)
	}
}

// do runs t with retries and backoff for transient errors.
func (q *Local) do(ctx context.Context, h Handler, t resizer.Task) {
	backoff := q.retry.Backoff
	for attempt := 1; ; attempt++ {
		final := attempt >= q.retry.Attempts
		err := h(context.WithoutCancel(ctx), t, final)
		if err == nil || final {
			if err != nil {
				q.log.Error("batch task failed", "batch", t.Batch, "item", t.Item, "err", err)
			}
			return
		}
		select {
		case <-ctx.Done():
			q.Enqueue(ctx, t) // kept for a graceful stop; storage resumes it after a restart
			return
		case <-time.After(backoff):
			backoff *= 2
		}
	}
}
