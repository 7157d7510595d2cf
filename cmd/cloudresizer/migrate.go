package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/storage"
)

// migrateCmd copies a deployment's storage to another place: local disk to
// S3 and back. It can be run again after a failure or an interruption: what
// is already at the target, same size and same checksum, is skipped.
type migrateCmd struct {
	From     string `required:"" help:"Storage URL to copy from: file:///path, s3://bucket?region=…&endpoint=…."`
	To       string `required:"" help:"Storage URL to copy to."`
	Variants bool   `help:"Copy the stored variants too (without, they are made again on demand)."`
	Workers  int    `default:"4" help:"Objects copied at once."`
}

// prefixes are the parts of the storage layout, in the order they are
// copied: originals before the refs and owner records that point at them, so
// that a target is consistent at every step of an interrupted run, as it is
// after each step of an upload. Batches (manifests, results, the pending
// list) go with the owner indexes that list them.
func (c *migrateCmd) prefixes() []string {
	p := []string{"system/", "originals/", "refs/"}
	if c.Variants {
		p = append(p, "variants/")
	}
	return append(p, "batches/", "pending/", "owners/")
}

// Run copies every object and returns exit status 1 if any failed.
func (c *migrateCmd) Run(ctx context.Context, e env) error {
	if c.From == c.To {
		fmt.Fprintln(e.stderr, "cloudresizer migrate: --from and --to are the same storage")
		return exitCode(exitUsage)
	}
	if c.Workers < 1 {
		c.Workers = 1
	}
	from, err := openStore(ctx, c.From)
	if err != nil {
		return err
	}
	defer from.Close()
	to, err := openStore(ctx, c.To)
	if err != nil {
		return err
	}
	defer to.Close()
	m := &migration{cmd: c, from: from, to: to, progress: newProgress(e), env: e}
	return m.run(ctx)
}

// openStore opens a storage URL and checks that it answers.
func openStore(ctx context.Context, url string) (*storage.Store, error) {
	s, err := storage.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("storage %s is not usable: %w", s, err)
	}
	return s, nil
}

// migration is the state of one migrate command.
type migration struct {
	cmd      *migrateCmd
	from, to *storage.Store
	progress *progress
	env      env

	copied, skipped, failed atomic.Int64
	bytes                   atomic.Int64 // copied, not skipped
}

func (m *migration) run(ctx context.Context) error {
	start := time.Now()
	if err := m.startProgress(ctx); err != nil {
		return err
	}
	for _, prefix := range m.cmd.prefixes() {
		if ctx.Err() != nil {
			break
		}
		if err := m.copyPrefix(ctx, prefix); err != nil && ctx.Err() == nil {
			m.failed.Add(1)
			m.progress.errorf("error: listing %s: %v", prefix, err)
		}
	}
	m.progress.finish()
	if ctx.Err() != nil {
		m.progress.errorf("interrupted: run the same command again to resume")
	}
	fmt.Fprintf(m.env.stdout, "%d copied, %d skipped, %d failed; %s copied; %s\n", m.copied.Load(),
		m.skipped.Load(), m.failed.Load(), humanBytes(m.bytes.Load()), time.Since(start).Round(time.Millisecond))
	if m.failed.Load() > 0 || ctx.Err() != nil {
		return exitCode(exitFailed)
	}
	return nil
}

// startProgress shows a bar on a terminal. Its total costs one more listing
// of the source, so plain output (logs, CI) goes without.
func (m *migration) startProgress(ctx context.Context) error {
	if !m.env.isTerminal {
		return nil
	}
	n := 0
	for _, prefix := range m.cmd.prefixes() {
		if err := m.from.Walk(ctx, prefix, func(storage.Object) error { n++; return nil }); err != nil {
			return fmt.Errorf("listing %s: %w", m.from, err)
		}
	}
	m.progress.start(n)
	if m.progress.bar != nil {
		m.progress.bar.Describe("migrating") // progress.go names its bar for resize
	}
	return nil
}

// copyPrefix copies the objects under prefix with the command's workers;
// each prefix is finished before the next one starts.
func (m *migration) copyPrefix(ctx context.Context, prefix string) error {
	objects := make(chan storage.Object)
	var wg sync.WaitGroup
	for range m.cmd.Workers {
		wg.Go(func() {
			for o := range objects {
				m.one(ctx, o)
				m.progress.step()
			}
		})
	}
	err := m.from.Walk(ctx, prefix, func(o storage.Object) error {
		select {
		case objects <- o:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(objects)
	wg.Wait()
	return err
}

// one copies one object unless the target already has it, and counts it.
func (m *migration) one(ctx context.Context, o storage.Object) {
	same, err := m.alreadyThere(ctx, o)
	if err == nil && same {
		m.skipped.Add(1)
		return
	}
	var n int64
	if err == nil {
		n, err = m.copy(ctx, o.Key)
	}
	if err != nil {
		m.failed.Add(1)
		m.progress.errorf("error: %s: %v", o.Key, err)
		return
	}
	m.copied.Add(1)
	m.bytes.Add(n)
	m.progress.line(fmt.Sprintf("copied %s (%s)", o.Key, humanBytes(n)))
}

// alreadyThere reports whether the target holds the same bytes as the source
// object: same size, then same MD5.
func (m *migration) alreadyThere(ctx context.Context, o storage.Object) (bool, error) {
	dst, err := m.to.Stat(ctx, o.Key)
	if resizer.ErrorCode(err) == resizer.ENOTFOUND {
		return false, nil
	}
	if err != nil || dst.Size != o.Size {
		return false, err
	}
	if len(o.MD5) > 0 { // the source backend's word, checked against the target
		if same, err := sameSum(ctx, m.to, dst, o.MD5); err != nil || same {
			return same, err
		}
	}
	sum, err := readSum(ctx, m.from, o.Key)
	if err != nil {
		return false, err
	}
	return sameSum(ctx, m.to, dst, sum)
}

// copy streams the object from the source to the target, hashing what it
// reads, then checks what the target holds against it.
func (m *migration) copy(ctx context.Context, key string) (int64, error) {
	rc, _, err := m.from.Open(ctx, key)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	h := md5.New()
	counted := &countingReader{r: io.TeeReader(rc, h)}
	body := bufio.NewReaderSize(counted, 4096)
	head, _ := body.Peek(512) // all of it passes through the hash once, peeked or not
	if err := m.to.Put(ctx, key, body, contentType(key, head)); err != nil {
		return 0, err
	}
	return counted.n, m.verify(ctx, key, counted.n, h.Sum(nil))
}

// verify reads back what the target holds for key: its size and checksum
// must be those of the bytes read from the source.
func (m *migration) verify(ctx context.Context, key string, size int64, sum []byte) error {
	dst, err := m.to.Stat(ctx, key)
	if err != nil {
		return fmt.Errorf("reading back: %w", err)
	}
	if dst.Size != size {
		return fmt.Errorf("verification failed: %d bytes at the target, %d read from the source", dst.Size, size)
	}
	same, err := sameSum(ctx, m.to, dst, sum)
	if err != nil {
		return fmt.Errorf("reading back: %w", err)
	}
	if !same {
		return errors.New("verification failed: the target's checksum differs from the source's")
	}
	return nil
}

// sameSum reports whether the object's MD5 is sum. The backend's MD5 is
// trusted when it matches; otherwise the object is read, since what a
// backend calls an MD5 is not always one (the ETag of an S3 object
// encrypted with KMS).
func sameSum(ctx context.Context, s *storage.Store, o storage.Object, sum []byte) (bool, error) {
	if bytes.Equal(o.MD5, sum) {
		return true, nil
	}
	got, err := readSum(ctx, s, o.Key)
	return bytes.Equal(got, sum), err
}

// readSum reads the object at key and returns its MD5.
func readSum(ctx context.Context, s *storage.Store, key string) ([]byte, error) {
	rc, _, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h := md5.New()
	if _, err := io.Copy(h, rc); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// contentType gives each object the type the service writes it with: disk
// stores do not keep types, so they are found again from the key and bytes.
func contentType(key string, head []byte) string {
	switch {
	case strings.HasSuffix(key, ".json"):
		return "application/json"
	case strings.HasPrefix(key, "refs/") || strings.Contains(key, "/recent/"):
		return "text/plain"
	case strings.HasPrefix(key, "system/"):
		return "application/octet-stream"
	}
	return resizer.Sniff(head).MIME()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
