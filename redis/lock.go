package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// unlockScript deletes the lock only while it still holds our token: after
// our TTL ran out another instance may hold it, and must keep it.
var unlockScript = goredis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// TryLock takes key for ttl unless another instance holds it (SET NX PX
// with a random token). held is false when someone else has it. When Redis
// is down or skipped it returns an error, and the service computes itself:
// a duplicate computation is better than a stalled request. unlock is safe
// to call more than once and releases only the lock this call took; if the
// holder dies, the TTL releases it.
func (c *Client) TryLock(ctx context.Context, key string, ttl time.Duration) (unlock func(), held bool, err error) {
	if ttl <= 0 {
		// Without a TTL a crashed holder would block the key for good.
		return func() {}, false, errors.New("redis: a lock needs a positive TTL")
	}
	token := rand.Text()
	err = c.call(ctx, 0, func(ctx context.Context) (err error) {
		held, err = c.rdb.SetNX(ctx, c.key(key), token, ttl).Result()
		return err
	})
	if err != nil || !held {
		return func() {}, false, err
	}
	var once sync.Once
	return func() { once.Do(func() { c.unlock(key, token) }) }, true, nil
}

// unlock releases key if it still holds token. It runs on its own context:
// it is cleanup, due even when the caller's request has ended.
func (c *Client) unlock(key, token string) {
	_ = c.call(context.Background(), 0, func(ctx context.Context) error {
		return unlockScript.Run(ctx, c.rdb, []string{c.key(key)}, token).Err()
	})
}
