package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	resizer "github.com/cloudresizer/cloudresizer"
)

// taskType names batch items in asynq; queueName is the asynq queue they use.
const (
	taskType  = "batch:item"
	queueName = "cloudresizer-batches"
)

// AsynqConfig configures the Redis-backed queue.
type AsynqConfig struct {
	URL   string // redis:// or rediss://
	Retry RetryPolicy
	// Poll is how often an idle worker looks for tasks (asynq's default is
	// a second; tests lower it).
	Poll time.Duration
	// ShutdownTimeout bounds how long a stopping worker finishes its tasks.
	ShutdownTimeout time.Duration
}

// Validate reports settings that cannot work.
func (c AsynqConfig) Validate() error {
	if _, err := asynq.ParseRedisURI(c.URL); err != nil {
		return fmt.Errorf("queue: bad Redis URL: %w", err)
	}
	if c.Retry.Attempts < 1 {
		return errors.New("queue: at least one attempt")
	}
	return nil
}

// Asynq is a durable queue on Redis shared by every instance: a task
// survives the death of the process that queued it and of the one working
// on it (asynq gives an abandoned task to another worker once its lease
// ends).
type Asynq struct {
	cfg    AsynqConfig
	opt    asynq.RedisConnOpt
	client *asynq.Client
	log    *slog.Logger
}

var _ resizer.Queue = (*Asynq)(nil)

// NewAsynq connects the producer side; Run starts workers.
func NewAsynq(cfg AsynqConfig, log *slog.Logger) (*Asynq, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opt, _ := asynq.ParseRedisURI(cfg.URL)
	return &Asynq{cfg: cfg, opt: opt, client: asynq.NewClient(opt), log: log}, nil
}

// Close releases the producer's connections.
func (q *Asynq) Close() error { return q.client.Close() }

// Enqueue queues each task once: the task id is the item, so a task queued
// again while it waits or runs (a resume after a restart) is a no-op.
func (q *Asynq) Enqueue(ctx context.Context, tasks ...resizer.Task) error {
	for _, t := range tasks {
		payload, err := json.Marshal(t)
		if err != nil {
			return err
		}
		_, err = q.client.EnqueueContext(ctx, asynq.NewTask(taskType, payload),
			asynq.TaskID(fmt.Sprintf("%s:%d", t.Batch, t.Item)), asynq.Queue(queueName),
			asynq.MaxRetry(q.cfg.Retry.Attempts-1))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return resizer.Wrap(err, resizer.EUNAVAILABLE, "the batch queue is unavailable; retry shortly")
		}
	}
	return nil
}

// Run works on tasks with h until ctx ends, then stops taking tasks and
// lets running ones finish within the shutdown timeout.
func (q *Asynq) Run(ctx context.Context, workers int, h Handler) error {
	srv := asynq.NewServer(q.opt, asynq.Config{
		Concurrency:       workers,
		Queues:            map[string]int{queueName: 1},
		TaskCheckInterval: q.cfg.Poll,
		ShutdownTimeout:   q.cfg.ShutdownTimeout,
		RetryDelayFunc:    q.retryDelay,
		Logger:            slogAdapter{q.log},
		LogLevel:          asynq.WarnLevel,
	})
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		return q.handle(ctx, t, h)
	})); err != nil {
		return err
	}
	<-ctx.Done()
	srv.Shutdown()
	return nil
}

// handle decodes a task and runs h. A task that cannot be decoded is bad
// input: it is not retried.
func (q *Asynq) handle(ctx context.Context, t *asynq.Task, h Handler) error {
	var task resizer.Task
	if err := json.Unmarshal(t.Payload(), &task); err != nil {
		return fmt.Errorf("bad task payload: %v: %w", err, asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	return h(ctx, task, retried >= maxRetry)
}

// retryDelay doubles the policy's backoff with every retry.
func (q *Asynq) retryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	return q.cfg.Retry.Backoff << min(n, 10)
}

// slogAdapter lets asynq log through our logger.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
