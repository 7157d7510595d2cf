package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
)

func link(t *testing.T, c *client, id, query string) string {
	t.Helper()
	status, _, body := c.get("/api/v1/images/"+id+"/link?"+query, nil)
	var l struct{ URL string }
	if status != 200 || json.Unmarshal(body, &l) != nil || !strings.HasPrefix(l.URL, "/r/") {
		t.Fatalf("link: %d %s", status, body)
	}
	return l.URL
}

func TestSignedLinks(t *testing.T) {
	e := start(t, options{})
	img := e.apiClient(testKey).uploadOne("a.jpg", read(t, "photos/storm_canon_exif.jpg"))
	url := link(t, e.apiClient(testKey), img.ID, "w=200&h=100&format=webp")
	anon := &client{e: e, hc: &http.Client{}}
	status, h, _ := anon.get(url, nil)
	if status != 200 || h.Get("Content-Type") != "image/webp" {
		t.Fatalf("signed link: %d %s", status, h.Get("Content-Type"))
	}
	if cc := h.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "public") {
		t.Errorf("Cache-Control %q", cc)
	}
	if h.Get("Set-Cookie") != "" {
		t.Error("a public link set a cookie")
	}
	// Change each character of the link after "/r/" in turn.
	for i := len("/r/"); i < len(url); i++ {
		if url[i] == '/' || url[i] == '?' || url[i] == '&' || url[i] == '=' {
			continue
		}
		mutated := url[:i] + string(other(url[i])) + url[i+1:]
		if status, _, _ := anon.get(mutated, nil); status != http.StatusForbidden {
			t.Errorf("changing character %d (%s) gave %d, want 403", i, mutated, status)
		}
	}
}

// other returns a character of the same class that differs from c.
func other(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return '0' + (c-'0'+1)%10
	case c >= 'a' && c <= 'z':
		return 'a' + (c-'a'+1)%26
	case c >= 'A' && c <= 'Z':
		return 'A' + (c-'A'+1)%26
	}
	return 'x'
}

func TestRestartKeepsImagesAndLinks(t *testing.T) {
	dir := "file://" + t.TempDir()
	e1 := start(t, options{storeURL: dir})
	c1 := e1.apiClient(testKey)
	img := c1.uploadOne("a.jpg", read(t, "photos/storm_canon_exif.jpg"))
	url := link(t, c1, img.ID, "w=64")
	e1.srv.Close()

	e2 := start(t, options{storeURL: dir})
	c2 := e2.apiClient(testKey)
	if status, _, body := c2.get("/api/v1/images", nil); status != 200 || !strings.Contains(string(body), img.ID) {
		t.Errorf("list after restart: %d %s", status, body)
	}
	if status, _, _ := (&client{e: e2, hc: &http.Client{}}).get(url, nil); status != 200 {
		t.Errorf("link after restart: %d", status)
	}
}

func TestListPaging(t *testing.T) {
	e := start(t, options{})
	c := e.apiClient(testKey)
	var ids []string
	for _, f := range []string{"edge/pixel_1x1.png", "edge/pixel_1x1.gif", "edge/pixel_1x1.jpg"} {
		ids = append(ids, c.uploadOne(f, read(t, f)).ID)
		time.Sleep(2 * time.Millisecond)
	}
	var got []string
	cursor := ""
	for range 5 {
		_, _, body := c.get("/api/v1/images?limit=2&cursor="+cursor, nil)
		var page struct {
			Images     []resizer.ImageInfo
			NextCursor string `json:"next_cursor"`
		}
		json.Unmarshal(body, &page)
		for _, i := range page.Images {
			got = append(got, i.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	want := []string{ids[2], ids[1], ids[0]} // newest first
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want %v", got, want)
	}
}
