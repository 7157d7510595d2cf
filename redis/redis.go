// Package redis is the second cache tier and the cross-instance lock, on
// Redis (go-redis).
//
// A cache must never make the service slower than having none: every call
// has a short timeout, and after a failure a circuit breaker skips Redis
// (a miss, a no-op, a lock error) until it answers a probe again, so a Redis
// that is down or slow costs nothing per request. Values are stored as raw
// bytes behind a small header holding their length and CRC-32C, so a
// truncated or corrupted entry is a miss, never served.
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Config says where Redis is and how the tier uses it.
type Config struct {
	// URL is redis://[user:password@]host:port[/db] or rediss:// for TLS.
	URL string
	// TTL is how long an entry lives; Redis evicts it afterwards, and
	// storage still holds the variant.
	TTL time.Duration
	// MaxItem is the largest value stored; larger ones skip this tier.
	MaxItem int
	// Prefix starts every key. It carries the format version, so a change
	// of the stored format never reads entries written by an older one.
	Prefix string
	// Timeout bounds each call (a large Set gets extra time for its bytes).
	Timeout time.Duration
	// RetryAfter is how long Redis is skipped after a failure before one
	// call probes it again.
	RetryAfter time.Duration
}

// maxValue is Redis's own limit on a string, less our header.
const maxValue = 512<<20 - headerSize

// DefaultConfig keeps entries 7 days, up to 8 MiB each, with 100 ms calls.
// The URL is left for the caller to set.
func DefaultConfig() Config {
	return Config{
		TTL:        7 * 24 * time.Hour,
		MaxItem:    8 << 20,
		Prefix:     "cr:v1:",
		Timeout:    100 * time.Millisecond,
		RetryAfter: 2 * time.Second,
	}
}

// Validate reports a configuration that cannot work. It never echoes the
// URL, which may hold a password.
func (c Config) Validate() error {
	if err := validateURL(c.URL); err != nil {
		return err
	}
	switch {
	case c.TTL <= 0 || c.Timeout <= 0 || c.RetryAfter <= 0:
		return errors.New("redis: the TTL, timeout and retry delay must be positive")
	case c.MaxItem <= 0 || c.MaxItem > maxValue:
		return fmt.Errorf("redis: the max item size must be between 1 and %d bytes", maxValue)
	case c.Prefix == "":
		return errors.New("redis: the key prefix must not be empty")
	}
	return nil
}

func validateURL(raw string) error {
	if raw == "" {
		return errors.New("redis: no URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL itself
		}
		return fmt.Errorf("redis: the URL does not parse: %v", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return fmt.Errorf("redis: the URL scheme must be redis or rediss, not %q", u.Scheme)
	}
	return nil
}

// RedactedURL is the URL with any password masked, for logs.
func (c Config) RedactedURL() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// Client is the Redis cache tier (a resizer.Cache) and the cross-instance
// lock (a resizer.Locker). It is safe for concurrent use.
type Client struct {
	cfg Config
	rdb *goredis.Client
	log *slog.Logger
	brk *breaker

	errors   atomic.Int64 // failed calls
	corrupt  atomic.Int64 // entries refused by the header check
	attempts atomic.Int64 // calls that went to the network
}

var (
	_ resizer.Cache  = (*Client)(nil)
	_ resizer.Locker = (*Client)(nil)
)

// New connects to Redis. It does not fail when Redis is down: it logs a
// warning and the breaker skips Redis until it answers, because the service
// works without its cache and must start (and be ready) anyway.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opt, err := goredis.ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	tune(opt, cfg)
	if log == nil {
		log = slog.Default()
	}
	c := &Client{cfg: cfg, rdb: goredis.NewClient(opt), log: log, brk: newBreaker(cfg.RetryAfter, log)}
	_ = c.Ping(context.Background()) // a failure opens the breaker and logs
	return c, nil
}

// tune makes go-redis fail fast instead of retrying: a slow answer is worth
// less than recomputing or reading storage. The per-call context sets the
// real bound; the socket timeouts only cap the largest transfer.
func tune(opt *goredis.Options, cfg Config) {
	opt.ContextTimeoutEnabled = true
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	opt.DialTimeout = cfg.Timeout
	opt.ReadTimeout = callTimeout(cfg, cfg.MaxItem)
	opt.WriteTimeout = callTimeout(cfg, cfg.MaxItem)
	opt.PoolTimeout = cfg.Timeout
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// transferRate is the slowest link a large value is given time for.
const transferRate = 64 << 20 // bytes per second

// callTimeout is Timeout plus the time n bytes take at transferRate, so an
// 8 MiB Set on a slower network is not mistaken for Redis being down.
func callTimeout(cfg Config, n int) time.Duration {
	return cfg.Timeout + time.Duration(int64(n)*int64(time.Second)/transferRate)
}

// Close closes the connections.
func (c *Client) Close() error { return c.rdb.Close() }

// Ping checks that Redis answers, for logging at startup and for status. It
// always goes to the network, and its outcome opens or closes the breaker.
func (c *Client) Ping(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	c.attempts.Add(1)
	err := c.rdb.Ping(cctx).Err()
	c.report(ctx, err)
	return err
}

// Errors is the number of failed calls, for metrics.
func (c *Client) Errors() int64 { return c.errors.Load() }

// Corrupt is the number of entries refused because their header did not
// match their bytes, for metrics.
func (c *Client) Corrupt() int64 { return c.corrupt.Load() }

// Available reports whether Redis is being used (the breaker is closed).
func (c *Client) Available() bool { return !c.brk.isOpen() }

// call runs f against Redis within n bytes' worth of timeout, unless the
// breaker skips Redis; then it returns errSkipped without a network call.
func (c *Client) call(ctx context.Context, n int, f func(ctx context.Context) error) error {
	if !c.brk.allow() {
		return errSkipped
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout(c.cfg, n))
	defer cancel()
	c.attempts.Add(1)
	err := f(cctx)
	c.report(ctx, err)
	return err
}

// errSkipped is returned while the breaker keeps calls off the network.
var errSkipped = errors.New("redis: skipped while unavailable")

// report feeds the outcome of a network call to the breaker. A nil reply
// is a miss, and a caller that gave up says nothing about Redis; any other
// error (refused, timed out, an error reply such as OOM or LOADING) means
// Redis cannot serve now, so it is skipped for a while.
// ctx is the caller's context, not the call's own timeout.
func (c *Client) report(ctx context.Context, err error) {
	switch {
	case err == nil, errors.Is(err, goredis.Nil):
		c.brk.success()
	case ctx.Err() != nil:
		c.brk.abandon()
	default:
		c.errors.Add(1)
		c.brk.failure(err)
	}
}
