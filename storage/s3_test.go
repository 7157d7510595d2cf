package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/testserver"
	"github.com/cloudresizer/cloudresizer/storage/storagetest"
)

// TestS3 runs the conformance suite on a real S3 server, a fresh bucket
// for each test.
func TestS3(t *testing.T) {
	srv := testserver.StartS3(t)
	n := 0
	storagetest.Run(t, func(t *testing.T) resizer.Store {
		n++
		name := fmt.Sprintf("conformance-%d", n)
		srv.CreateBucket(name)
		return openOrFail(t, srv.URL(name))
	})
}

func TestS3Multipart(t *testing.T) {
	srv := testserver.StartS3(t)
	s := openOrFail(t, srv.URL(testserver.DefaultBucket)).(*Store)
	body := make([]byte, 20<<20)
	rand.Read(body)
	ctx := context.Background()
	if err := s.Put(ctx, "originals/big", bytes.NewReader(body), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "originals/big")
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(body))
	}
	a, err := s.bucket.Attributes(ctx, "originals/big")
	if err != nil {
		t.Fatal(err)
	}
	// A multipart object's ETag is the MD5 of its parts' MD5s, then "-" and
	// their number: 20 MiB in 8 MiB parts is 3.
	if !strings.HasSuffix(a.ETag, `-3"`) {
		t.Errorf("ETag %s: not a 3-part multipart upload", a.ETag)
	}
}

func TestS3MissingBucketFailsOpen(t *testing.T) {
	srv := testserver.StartS3(t)
	_, err := Open(context.Background(), srv.URL("no-such-bucket"))
	want := fmt.Sprintf(`bucket "no-such-bucket" does not exist or is not reachable at %s: no such bucket`, srv.Endpoint())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open: %v\nwant it to say: %s", err, want)
	}
	if resizer.ErrorCode(err) != resizer.EUNAVAILABLE {
		t.Errorf("code %s, want unavailable", resizer.ErrorCode(err))
	}
}

func TestS3BadCredentialsFailOpen(t *testing.T) {
	srv := testserver.StartS3(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
	_, err := Open(context.Background(), srv.URL(testserver.DefaultBucket))
	if err == nil || !strings.Contains(err.Error(), "access denied") {
		t.Fatalf("Open: %v, want access denied", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Error("the secret is in the error")
	}
}

// TestS3Outage: a server that goes away makes calls unavailable (not
// not_found), and the store works again once it is back.
func TestS3Outage(t *testing.T) {
	srv := testserver.StartS3(t)
	s := openOrFail(t, srv.URL(testserver.DefaultBucket))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Put(ctx, "k", strings.NewReader("v"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := s.Get(ctx, "k"); resizer.ErrorCode(err) != resizer.EUNAVAILABLE {
		t.Errorf("Get while down: %v, want unavailable", err)
	}
	if err := s.Ping(ctx); resizer.ErrorCode(err) != resizer.EUNAVAILABLE || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("Ping while down: %v", err)
	}
	srv.Start()
	if b, err := s.Get(ctx, "k"); err != nil || string(b) != "v" {
		t.Errorf("Get after restart: %q %v", b, err)
	}
}

func TestS3UnreachableFailsOpen(t *testing.T) {
	srv := testserver.StartS3(t)
	srv.Stop()
	_, err := Open(context.Background(), srv.URL(testserver.DefaultBucket))
	if err == nil || !strings.Contains(err.Error(), "not reachable at "+srv.Endpoint()) ||
		!strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Open: %v", err)
	}
}

func TestS3Query(t *testing.T) {
	for _, tc := range []struct {
		query, err string
	}{
		{"region=eu-west-1&endpoint=http://h:1&use_path_style=true&disable_https=1&awssdk=v2", ""},
		{"ssetype=aes256&kmskeyid=k&s3ForcePathStyle=false&request_checksum_calculation=when_required", ""},
		{"secret_key=hunter2", `unknown s3 URL parameter "secret_key"`},
		{"use_path_style=hunter2", `bad value for s3 URL parameter "use_path_style"`},
		{"ssetype=rot13", `bad value for s3 URL parameter "ssetype"`},
		{"endpoint=not%20a%20url", `bad value for s3 URL parameter "endpoint"`},
	} {
		q, _ := url.ParseQuery(tc.query)
		_, err := parseS3Query(q)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.query, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want %s", tc.query, err, tc.err)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("%s: the value is in the error: %v", tc.query, err)
		}
	}
}

func TestStartAfter(t *testing.T) {
	for key, want := range map[string]*string{
		"owners/x/recent/1-a": aws.String("owners/x/recent/1-a"),
		"a/../b":              nil, // escaped by s3blob: left to the generic skip
		"a\x01b":              nil,
	} {
		in := &s3.ListObjectsV2Input{}
		startAfter(key)(func(i any) bool {
			if p, ok := i.(**s3.ListObjectsV2Input); ok {
				*p = in
				return true
			}
			return false
		})
		if aws.ToString(in.StartAfter) != aws.ToString(want) {
			t.Errorf("%q: StartAfter %q, want %q", key, aws.ToString(in.StartAfter), aws.ToString(want))
		}
	}
}

func TestS3NameHidesUnknownParameters(t *testing.T) {
	_, err := Open(context.Background(), "s3://b?region=eu-west-1&aws_secret=hunter2")
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "s3://b?region=eu-west-1") {
		t.Errorf("Open: %v", err)
	}
}
