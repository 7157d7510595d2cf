package resizer

import (
	"strings"
	"testing"

	"github.com/cloudresizer/cloudresizer/internal/corpus"
)

func TestSniffCorpus(t *testing.T) {
	entries, err := corpus.Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := corpus.Read(e.File)
		if err != nil {
			t.Fatal(err)
		}
		want := FormatUnknown
		if !strings.HasPrefix(e.Format, "not-an-image") {
			want = Format(strings.SplitN(e.Format, "(", 2)[0])
		}
		if got := Sniff(b); got != want {
			t.Errorf("%s: got %q, want %q", e.File, got, want)
		}
	}
}

func TestSniffShortInputs(t *testing.T) {
	for _, b := range []string{"", "\xff", "\xff\xd8", "GIF8", "RIFF", "RIFF\x00\x00\x00\x00WEBX", "\x00\x00\x00\x18ftypmp42", "<html><svg"} {
		if got := Sniff([]byte(b)); got != FormatUnknown {
			t.Errorf("%q: got %q", b, got)
		}
	}
}

// FuzzSniff checks that sniffing never panics and only names known formats.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{"\xff\xd8\xff\xe0", "\x89PNG\r\n\x1a\n", "GIF89a", "RIFF\x00\x00\x00\x00WEBPVP8 ", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00mif1", "<?xml?><svg>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := Sniff(b)
		if got != FormatUnknown && ParseFormat(string(got)) != got {
			t.Fatalf("unknown format %q", got)
		}
	})
}
