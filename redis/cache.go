package redis

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// An entry is a header followed by the value's raw bytes (never base64):
//
//	[0:4] length of the value, big-endian
//	[4:8] CRC-32C (Castagnoli) of the value, big-endian
//
// A value cut short by a failed write, or changed by anything else, fails
// the check and is a miss. The format's version is in the key prefix.
const headerSize = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encode returns the entry for value, in one allocation.
func encode(value []byte) []byte {
	b := make([]byte, headerSize+len(value))
	binary.BigEndian.PutUint32(b[0:4], uint32(len(value)))
	binary.BigEndian.PutUint32(b[4:8], crc32.Checksum(value, castagnoli))
	copy(b[headerSize:], value)
	return b
}

// errCorrupt is an entry whose header does not match its bytes.
var errCorrupt = errors.New("redis: corrupted entry")

// decode returns the value of entry b, sharing its memory.
func decode(b []byte) ([]byte, error) {
	if len(b) < headerSize {
		return nil, errCorrupt
	}
	value := b[headerSize:]
	if binary.BigEndian.Uint32(b[0:4]) != uint32(len(value)) ||
		binary.BigEndian.Uint32(b[4:8]) != crc32.Checksum(value, castagnoli) {
		return nil, errCorrupt
	}
	return value, nil
}

// Get returns the value under key. A miss, a failure, Redis being skipped
// and a corrupted entry all return false: the service then reads storage.
func (c *Client) Get(ctx context.Context, key string) ([]byte, bool) {
	var b []byte
	err := c.call(ctx, 0, func(ctx context.Context) (err error) {
		b, err = c.rdb.Get(ctx, c.key(key)).Bytes()
		return err
	})
	if err != nil {
		return nil, false
	}
	value, err := decode(b)
	if err != nil {
		c.corrupt.Add(1)
		c.log.Warn("redis: dropping a corrupted entry", "key", key, "bytes", len(b))
		c.del(ctx, key)
		return nil, false
	}
	return value, true
}

// Set stores value under key for the TTL. Values over MaxItem are not
// stored; a failure is counted and otherwise ignored.
func (c *Client) Set(ctx context.Context, key string, value []byte) {
	if len(value) > c.cfg.MaxItem {
		return
	}
	entry := encode(value)
	_ = c.call(ctx, len(entry), func(ctx context.Context) error {
		return c.rdb.Set(ctx, c.key(key), entry, c.cfg.TTL).Err()
	})
}

// del removes key, best effort: the entry expires anyway.
func (c *Client) del(ctx context.Context, key string) {
	_ = c.call(ctx, 0, func(ctx context.Context) error {
		return c.rdb.Del(ctx, c.key(key)).Err()
	})
}

// key is the Redis key of a cache key: the versioned prefix first.
func (c *Client) key(k string) string { return c.cfg.Prefix + k }
