package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	resizer "github.com/cloudresizer/cloudresizer"
)

// byteSize is a flag value such as 256MiB, 50MB or 1048576.
type byteSize int64

// UnmarshalText implements encoding.TextUnmarshaler, which kong uses.
func (b *byteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a size such as 256MiB", text)
	}
	*b = byteSize(n * mult)
	return nil
}

// parseAPIKeys reads key=owner pairs.
func parseAPIKeys(pairs []string) (map[string]string, error) {
	keys := map[string]string{}
	for _, p := range pairs {
		k, who, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || len(k) < 16 || who == "" {
			return nil, fmt.Errorf("api key %q: want key=owner with a key of at least 16 characters", p)
		}
		keys[k] = who
	}
	return keys, nil
}

// secretKey is where a generated signing secret is kept, so that links and
// cookies survive restarts and are shared by every instance on the storage.
const secretKey = "system/signing-secret"

// loadSecret returns the configured secret, or the one kept in storage,
// generating and keeping one on first start.
func loadSecret(ctx context.Context, configured string, store resizer.Store, log *slog.Logger) ([]byte, error) {
	if configured != "" {
		if len(configured) < 16 {
			return nil, fmt.Errorf("--secret must be at least 16 characters")
		}
		return []byte(configured), nil
	}
	b, err := store.Get(ctx, secretKey)
	if err == nil && len(b) >= 32 {
		return b, nil
	}
	if resizer.ErrorCode(err) != resizer.ENOTFOUND && err != nil {
		return nil, fmt.Errorf("reading the signing secret: %w", err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	if err := store.Put(ctx, secretKey, bytes.NewReader(secret), "application/octet-stream"); err != nil {
		return nil, fmt.Errorf("keeping the signing secret: %w", err)
	}
	log.Warn("generated a signing secret and kept it in storage; set --secret to choose one")
	// Read back: if another instance wrote at the same time, its write may be the one that stayed.
	return store.Get(ctx, secretKey)
}

// parsePresets reads "name=query;name=query"; empty means the defaults.
func parsePresets(s string) ([]resizer.Target, error) {
	if strings.TrimSpace(s) == "" {
		return resizer.DefaultPresets, nil
	}
	var out []resizer.Target
	for _, def := range strings.Split(s, ";") {
		name, query, ok := strings.Cut(strings.TrimSpace(def), "=")
		q, err := url.ParseQuery(query)
		if !ok || name == "" || err != nil {
			return nil, fmt.Errorf("preset %q: want name=w=…&h=…", def)
		}
		t, err := resizer.ParseTarget(name, q)
		if err != nil {
			return nil, fmt.Errorf("preset %q: %s", name, resizer.ErrorMessage(err))
		}
		out = append(out, t)
	}
	return out, nil
}
