// Package storage implements resizer.Store over gocloud.dev/blob: local disk
// (file://), memory (mem://, for tests) and S3 or any S3-compatible server
// (s3://), chosen by URL.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file://
	_ "gocloud.dev/blob/memblob"  // mem://
	"gocloud.dev/gcerrors"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Store is a resizer.Store on a blob bucket.
type Store struct {
	bucket *blob.Bucket
	url    string
	s3     *s3Bucket // nil unless s3://
}

var _ resizer.Store = (*Store)(nil)

// Open opens the bucket at rawURL. A file:// folder is created when missing,
// and its temporary files are kept next to their final place so that the
// rename that publishes a write is atomic on the same file system. An s3://
// bucket is checked before Open returns (see openS3).
func Open(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("storage: bad URL %q: %w", rawURL, err)
	}
	if u.Scheme == "s3" {
		b, sb, err := openS3(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("storage: cannot open %s: %w", s3Name(u), err)
		}
		return &Store{bucket: b, url: s3Name(u), s3: sb}, nil
	}
	if u.Scheme == "file" {
		q := u.Query()
		q.Set("create_dir", "1")
		q.Set("no_tmp_dir", "1")
		q.Set("metadata", "skip") // content types are known from the keys
		u.RawQuery = q.Encode()
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("storage: cannot open %s: %w", redact(u), err)
	}
	return &Store{bucket: b, url: redact(u)}, nil
}

// redact drops credentials from a URL before it is shown.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// String names the store for logs.
func (s *Store) String() string { return s.url }

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// Put writes r to key; the object appears whole when the writer closes.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, contentType string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // a failed copy cancels the write, so nothing partial is kept
	opts := &blob.WriterOptions{ContentType: contentType}
	if s.s3 != nil {
		s3WriterOptions(opts)
	}
	w, err := s.bucket.NewWriter(ctx, key, opts)
	if err != nil {
		return translate(err, key)
	}
	if _, err := io.Copy(w, r); err != nil {
		cancel()
		w.Close()
		return translate(err, key)
	}
	return translate(w.Close(), key)
}

// Get reads the whole object.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := s.bucket.ReadAll(ctx, key)
	return b, translate(err, key)
}

// Open streams the object.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, 0, translate(err, key)
	}
	return r, r.Size(), nil
}

// Exists reports whether key holds an object.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.bucket.Exists(ctx, key)
	return ok, translate(err, key)
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.bucket.Delete(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return translate(err, key)
}

// List returns up to limit keys under prefix after the key "after".
func (s *Store) List(ctx context.Context, prefix, after string, limit int) ([]string, error) {
	for attempt := 1; ; attempt++ {
		keys, err := s.list(ctx, prefix, after, limit)
		// On disk, a file can vanish between the listing of a folder and
		// its stat (a temporary file renamed into place): list again.
		if gcerrors.Code(err) != gcerrors.NotFound || attempt == 3 {
			return keys, translate(err, prefix)
		}
	}
}

func (s *Store) list(ctx context.Context, prefix, after string, limit int) ([]string, error) {
	opts := &blob.ListOptions{Prefix: prefix}
	if after > prefix {
		opts.BeforeList = startAfter(after)
	}
	it := s.bucket.List(opts)
	var keys []string
	for len(keys) < limit {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if obj.IsDir || obj.Key <= after || strings.HasSuffix(obj.Key, ".tmp") {
			continue // ".tmp": a write in progress (or cut short) on disk
		}
		keys = append(keys, obj.Key)
	}
	return keys, nil
}

// Ping checks that the bucket answers.
func (s *Store) Ping(ctx context.Context) error {
	if s.s3 != nil {
		return s.s3.check(ctx) // says which bucket, where, and why
	}
	ok, err := s.bucket.IsAccessible(ctx)
	if err == nil && !ok {
		err = errors.New("the bucket does not exist")
	}
	return translate(err, "")
}

// translate turns backend errors into our codes at the boundary.
func translate(err error, key string) error {
	if s3MissingBucket(err) {
		return resizer.Errorf(resizer.EUNAVAILABLE, "storage failed: the bucket is gone")
	}
	switch gcerrors.Code(err) {
	case gcerrors.OK:
		return nil
	case gcerrors.NotFound:
		return resizer.Errorf(resizer.ENOTFOUND, "no object %q", key)
	case gcerrors.Canceled, gcerrors.DeadlineExceeded:
		return resizer.Wrap(err, resizer.EUNAVAILABLE, "storage did not answer in time; retry shortly")
	}
	return resizer.Wrap(err, resizer.EUNAVAILABLE, "storage is unavailable; retry shortly")
}

// Object describes a stored object, for tools that copy or check a whole
// store (migrate). It is not part of resizer.Store: the service never needs
// to see every key.
type Object struct {
	Key  string
	Size int64
	// MD5 is the content's MD5 when the backend keeps it (S3 single-part
	// uploads, disk written with metadata); nil otherwise.
	MD5 []byte
	// ContentType is set by Stat when the backend keeps it.
	ContentType string
}

// Walk calls fn for every object under prefix in lexical order, reading the
// listing a page at a time, so that a store of any size costs little memory.
// An error from fn stops the walk and is returned as it is.
func (s *Store) Walk(ctx context.Context, prefix string, fn func(Object) error) error {
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return translate(err, prefix)
		}
		if obj.IsDir || strings.HasSuffix(obj.Key, ".tmp") {
			continue
		}
		if err := fn(Object{Key: obj.Key, Size: obj.Size, MD5: obj.MD5}); err != nil {
			return err
		}
	}
}

// Stat describes the object at key; ENOTFOUND when there is none.
func (s *Store) Stat(ctx context.Context, key string) (Object, error) {
	a, err := s.bucket.Attributes(ctx, key)
	if err != nil {
		return Object{}, translate(err, key)
	}
	return Object{Key: key, Size: a.Size, MD5: a.MD5, ContentType: a.ContentType}, nil
}
