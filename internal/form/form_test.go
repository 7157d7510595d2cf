package form

import (
	"io"
	"mime"
	"mime/multipart"
	"testing"
)

func TestBodyParsesBack(t *testing.T) {
	body, ctype := Body(map[string][]byte{"b.jpg": []byte("B"), "a.png": []byte("A")},
		map[string][]string{"preset": {"thumb", "large"}})
	_, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(body, params["boundary"])
	var got []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		got = append(got, p.FormName()+":"+p.FileName()+":"+string(b))
	}
	want := []string{"preset::thumb", "preset::large", "file:a.png:A", "file:b.jpg:B"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("part %d: %q, want %q", i, got[i], want[i])
		}
	}
}
