package resizer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// ImageInfo is an original as its owner sees it.
type ImageInfo struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	Format   Format `json:"format"`
	// Width and Height are as displayed (after the EXIF orientation).
	Width     int       `json:"width"`
	Height    int       `json:"height"`
	Frames    int       `json:"frames,omitempty"`
	Bytes     int64     `json:"bytes"`
	CreatedAt time.Time `json:"created_at"`
	order     string    // key of the entry in the owner's newest-first list
}

// Storage layout. Originals are content-addressed and shared; each owner has
// a record per image and a newest-first list; refs count an original's owners
// so that it is deleted with its last one.
func originalKey(id string) string      { return "originals/" + id }
func metaKey(id string) string          { return "originals/" + id + ".json" }
func variantPrefix(id string) string    { return "variants/" + id + "/" }
func refPrefix(id string) string        { return "refs/" + id + "/" }
func ownerPrefix(owner string) string   { return "owners/" + hashOwner(owner) + "/" }
func recordKey(owner, id string) string { return ownerPrefix(owner) + "images/" + id + ".json" }
func listPrefix(owner string) string    { return ownerPrefix(owner) + "recent/" }

// hashOwner keeps owner names (API key owners, device ids) out of storage keys.
func hashOwner(owner string) string {
	sum := sha256.Sum256([]byte("owner:" + owner))
	return hex.EncodeToString(sum[:12])
}

// orderKey sorts newest first: the time is stored as its distance to the end
// of time, zero-padded.
func orderKey(owner string, t time.Time, id string) string {
	return fmt.Sprintf("%s%019d-%s", listPrefix(owner), math.MaxInt64-t.UnixNano(), id)
}

// ValidID reports whether id has the shape of an image id, so that a bad
// one is refused before it reaches a storage key.
func ValidID(id string) bool {
	if len(id) != idLength {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

const idLength = 32 // hex of 128 bits of the content's SHA-256

// Image returns the caller's image id; ENOTFOUND when it is not theirs.
func (s *Service) Image(ctx context.Context, owner, id string) (ImageInfo, error) {
	if !ValidID(id) {
		return ImageInfo{}, Errorf(ENOTFOUND, "no such image")
	}
	if info, ok := s.records.get(recordKey(owner, id)); ok {
		return info, nil
	}
	b, err := s.cfg.Store.Get(ctx, recordKey(owner, id))
	if ErrorCode(err) == ENOTFOUND {
		return ImageInfo{}, Errorf(ENOTFOUND, "no such image")
	}
	if err != nil {
		return ImageInfo{}, err
	}
	info, err := decodeRecord(b)
	if err == nil {
		s.records.set(recordKey(owner, id), info)
	}
	return info, err
}

type record struct {
	ImageInfo
	Order string `json:"order"`
}

func decodeRecord(b []byte) (ImageInfo, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return ImageInfo{}, fmt.Errorf("corrupt image record: %w", err)
	}
	r.ImageInfo.order = r.Order
	return r.ImageInfo, nil
}

// List returns up to limit of the owner's images, newest first, after the
// cursor from a previous page; the next cursor is "" on the last page.
func (s *Service) List(ctx context.Context, owner, cursor string, limit int) ([]ImageInfo, string, error) {
	if limit < 1 || limit > 1000 {
		return nil, "", Errorf(EINVALID, "limit must be between 1 and 1000")
	}
	after := ""
	if cursor != "" {
		if !validCursor(cursor) {
			return nil, "", Errorf(EINVALID, "bad cursor")
		}
		after = listPrefix(owner) + cursor
	}
	keys, err := s.cfg.Store.List(ctx, listPrefix(owner), after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(keys) > limit {
		keys = keys[:limit]
		next = strings.TrimPrefix(keys[limit-1], listPrefix(owner))
	}
	out := make([]ImageInfo, 0, len(keys))
	for _, k := range keys {
		id := k[len(k)-idLength:]
		info, err := s.Image(ctx, owner, id)
		if ErrorCode(err) == ENOTFOUND {
			continue // deleted between list and read
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, info)
	}
	return out, next, nil
}

// validCursor checks the shape of a list key's tail: 19 digits, '-', an id.
func validCursor(c string) bool {
	if len(c) != 20+idLength || c[19] != '-' {
		return false
	}
	for _, d := range c[:19] {
		if d < '0' || d > '9' {
			return false
		}
	}
	return ValidID(c[20:])
}

// addToLibrary records an original in the owner's library, once: uploading
// the same bytes again returns the first record.
func (s *Service) addToLibrary(ctx context.Context, owner string, info ImageInfo) (ImageInfo, error) {
	if prev, err := s.Image(ctx, owner, info.ID); err == nil {
		return prev, nil
	}
	info.order = orderKey(owner, info.CreatedAt, info.ID)
	b, err := json.Marshal(record{ImageInfo: info, Order: info.order})
	if err != nil {
		return ImageInfo{}, err
	}
	steps := []struct {
		key, ctype string
		body       []byte
	}{
		{refPrefix(info.ID) + hashOwner(owner), "text/plain", nil},
		{info.order, "text/plain", nil},
		{recordKey(owner, info.ID), "application/json", b}, // last: it makes the image visible
	}
	for _, st := range steps {
		if err := s.cfg.Store.Put(ctx, st.key, bytes.NewReader(st.body), st.ctype); err != nil {
			return ImageInfo{}, err
		}
	}
	return info, nil
}

// Delete removes the image from the owner's library; the original and its
// variants go with the last owner.
func (s *Service) Delete(ctx context.Context, owner, id string) error {
	info, err := s.Image(ctx, owner, id)
	if err != nil {
		return err
	}
	st := s.cfg.Store
	s.records.forget(recordKey(owner, id))
	for _, k := range []string{recordKey(owner, id), info.order, refPrefix(id) + hashOwner(owner)} {
		if err := st.Delete(ctx, k); err != nil {
			return err
		}
	}
	others, err := st.List(ctx, refPrefix(id), "", 1)
	if err != nil || len(others) > 0 {
		return err
	}
	s.metas.forget(id)
	return s.deleteOriginal(ctx, id)
}

func (s *Service) deleteOriginal(ctx context.Context, id string) error {
	st := s.cfg.Store
	for {
		keys, err := st.List(ctx, variantPrefix(id), "", 100)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := st.Delete(ctx, k); err != nil {
				return err
			}
		}
		if len(keys) < 100 {
			break
		}
	}
	if err := st.Delete(ctx, metaKey(id)); err != nil {
		return err
	}
	return st.Delete(ctx, originalKey(id))
}

// Original streams the stored bytes of original id.
func (s *Service) Original(ctx context.Context, id string) (io.ReadCloser, int64, error) {
	return s.cfg.Store.Open(ctx, originalKey(id))
}
