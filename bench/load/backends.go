package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The S3 server's root user and region. versitygw lives only as long as
// the harness, so the keys are fixed.
const (
	s3AccessKey = "cloudresizer-load"
	s3SecretKey = "cloudresizer-load-secret-key"
	s3Region    = "us-east-1"
)

// startRedis starts a redis-server with no persistence on a free port of
// 127.0.0.1 and returns it with the URL cloudresizer's --redis takes.
func (h *harness) startRedis(ctx context.Context) (*server, string, error) {
	_, log := h.next("redis")
	argv := []string{h.cfg.redis, "--save", "", "--appendonly", "no", "--port", "{port}", "--bind", "127.0.0.1"}
	s, err := startServer(ctx, "redis", "", log, argv, nil)
	if err != nil {
		return nil, "", err
	}
	return s, strings.Replace(s.base, "http://", "redis://", 1) + "/0", nil
}

// s3Server is a versitygw with a posix backend: every folder of root is a
// bucket.
type s3Server struct {
	*server
	root string
}

// startS3 starts versitygw (built from the tools module by run.sh) on a
// free port, with an empty root in the work folder.
func (h *harness) startS3(ctx context.Context) (*s3Server, error) {
	root, log := h.next("s3")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	argv := []string{h.cfg.versitygw, "--port", "127.0.0.1:{port}", "--access", s3AccessKey, "--secret", s3SecretKey,
		"--region", s3Region, "--quiet", "posix", root}
	s, err := startServer(ctx, "versitygw", "", log, argv, nil)
	if err != nil {
		return nil, err
	}
	return &s3Server{server: s, root: root}, nil
}

// newBucket makes an empty bucket (a folder of the posix backend: no
// request needed) and returns its storage URL and its folder, to remove.
func (s *s3Server) newBucket(n int) (storageURL, dir string, err error) {
	name := fmt.Sprintf("load-%03d", n)
	dir = filepath.Join(s.root, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", "", err
	}
	u := fmt.Sprintf("s3://%s?region=%s&endpoint=%s&use_path_style=true", name, s3Region, s.base)
	return u, dir, nil
}

// s3Env is the environment cloudresizer needs to reach the S3 server; it
// clears what could override the keys.
func s3Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s3AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3SecretKey,
		"AWS_SESSION_TOKEN=", "AWS_PROFILE=", "AWS_EC2_METADATA_DISABLED=true"}
}
