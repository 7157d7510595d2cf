package httpapi

import (
	"strings"
	"testing"

	resizer "github.com/cloudresizer/cloudresizer"
)

// FuzzVerify checks that the link verifier never panics and accepts only
// the exact signature of the exact id and query.
func FuzzVerify(f *testing.F) {
	s := signer{secret: []byte("0123456789abcdef0123456789abcdef")}
	good := s.link("0123456789abcdef0123456789abcdef", resizer.Options{Width: 300, Format: resizer.WebP})
	f.Add(good)
	f.Add("/r//?")
	f.Add("/r/x/y?w=1")
	f.Fuzz(func(t *testing.T, link string) {
		rest, ok := strings.CutPrefix(link, "/r/")
		if !ok {
			return
		}
		sig, tail, _ := strings.Cut(rest, "/")
		id, query, _ := strings.Cut(tail, "?")
		if s.verify(sig, id, query) != (sig == s.signature(id, query)) {
			t.Fatalf("verify disagrees with the signature for %q", link)
		}
	})
}

func TestSignatureDependsOnSecret(t *testing.T) {
	a := signer{secret: []byte("0123456789abcdef0123456789abcdef")}
	b := signer{secret: []byte("fedcba9876543210fedcba9876543210")}
	if a.signature("id", "w=1") == b.signature("id", "w=1") {
		t.Error("two secrets sign alike")
	}
	if !a.verify(a.signature("id", "w=1"), "id", "w=1") || a.verify(a.signature("id", "w=1"), "id", "w=2") {
		t.Error("verify is wrong")
	}
}
