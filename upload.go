package resizer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Upload stores the image r yields for owner and returns its record. The
// body is streamed to a temporary file while it is hashed and counted, so a
// large upload costs disk, not memory; its header is checked against the
// limits before anything is stored. The answer comes only once the original
// and the owner's record are durably stored.
func (s *Service) Upload(ctx context.Context, owner, filename string, r io.Reader) (ImageInfo, error) {
	tmp, sum, n, err := s.spool(r)
	if tmp != "" {
		defer os.Remove(tmp)
	}
	if err != nil {
		return ImageInfo{}, err
	}
	meta, err := s.cfg.Engine.ProbeFile(ctx, tmp)
	if err != nil {
		return ImageInfo{}, err
	}
	id := sum[:idLength]
	if err := s.storeOriginal(ctx, id, tmp, meta); err != nil {
		return ImageInfo{}, err
	}
	s.obs.BytesIn(int(n))
	info := ImageInfo{ID: id, Filename: cleanFilename(filename), Format: meta.Format, Width: meta.Width,
		Height: meta.Height, Frames: meta.Frames, Bytes: n, CreatedAt: s.now().UTC()}
	return s.addToLibrary(ctx, owner, info)
}

// spool copies r into a temporary file, refusing more than MaxBytes, and
// returns the file, the hex SHA-256 of the content and its size.
func (s *Service) spool(r io.Reader) (path, sum string, n int64, err error) {
	f, err := os.CreateTemp(s.cfg.TempDir, "upload-*")
	if err != nil {
		return "", "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err = io.Copy(io.MultiWriter(f, h), io.LimitReader(r, s.cfg.Limits.MaxBytes+1))
	var coded *Error
	switch {
	case errors.As(err, &coded): // the caller's reader said why, e.g. too_large
		err = coded
	case err != nil:
		err = Errorf(EINVALID, "the upload could not be read: %v", err)
	case n > s.cfg.Limits.MaxBytes:
		err = Errorf(ETOOLARGE, "the file is larger than the limit of %d bytes", s.cfg.Limits.MaxBytes)
	case n == 0:
		err = Errorf(EUNSUPPORTED, "the file is empty")
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), n, err
}

// storeOriginal stores the bytes (once: same content, same id) and their
// header. The bytes go first, so a header always has its original.
func (s *Service) storeOriginal(ctx context.Context, id, path string, meta Meta) error {
	st := s.cfg.Store
	if ok, err := st.Exists(ctx, metaKey(id)); err != nil || ok {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := st.Put(ctx, originalKey(id), f, meta.Format.MIME()); err != nil {
		return err
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	s.metas.set(id, meta)
	return st.Put(ctx, metaKey(id), bytes.NewReader(b), "application/json")
}

// cleanFilename keeps the base name only, valid UTF-8, without control
// characters, at most 255 bytes: it is shown in pages and ZIP entries.
func cleanFilename(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "." || name == "/" || name == "" {
		return "image"
	}
	return name
}
