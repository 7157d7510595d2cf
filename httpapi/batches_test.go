package httpapi_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
	"github.com/cloudresizer/cloudresizer/internal/corpus"
	"github.com/cloudresizer/cloudresizer/internal/form"
	"github.com/cloudresizer/cloudresizer/vips"
)

// postBatch sends files and fields (name → values) as one multipart batch.
func (c *client) postBatch(files map[string][]byte, fields map[string][]string) (int, resizer.BatchStatus, []byte) {
	c.e.t.Helper()
	body, ctype := form.Body(files, fields)
	resp := c.do("POST", "/api/v1/batches", body, map[string]string{"Content-Type": ctype})
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var st resizer.BatchStatus
	json.Unmarshal(raw, &st)
	if resp.StatusCode == http.StatusAccepted && resp.Header.Get("Location") != "/api/v1/batches/"+st.ID {
		c.e.t.Errorf("Location %q", resp.Header.Get("Location"))
	}
	return resp.StatusCode, st, raw
}

// waitBatch polls the batch until it is done.
func (c *client) waitBatch(id string) resizer.BatchStatus {
	c.e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		status, _, body := c.get("/api/v1/batches/"+id, nil)
		var st resizer.BatchStatus
		if status != 200 || json.Unmarshal(body, &st) != nil {
			c.e.t.Fatalf("batch status: %d %s", status, body)
		}
		if st.State == "done" {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.e.t.Fatal("the batch did not finish")
	return resizer.BatchStatus{}
}

// corpusFiles returns n ok-to-resize corpus files (small ones first, to keep
// the test quick) and the given refused files.
func corpusFiles(t *testing.T, n int, refused ...string) map[string][]byte {
	entries, _ := corpus.Entries()
	files := map[string][]byte{}
	for _, e := range entries {
		b, _ := corpus.Read(e.File)
		if e.Expect == "ok" && resizer.Sniff(b).Decodable() && len(files) < n {
			files[strings.ReplaceAll(e.File, "/", "_")] = b
		}
	}
	for _, f := range refused {
		files[strings.ReplaceAll(f, "/", "_")] = read(t, f)
	}
	return files
}

func TestBatchCountsZipAndEvents(t *testing.T) {
	e := start(t, options{})
	c := e.apiClient(testKey)
	files := corpusFiles(t, 28, "bad/text.jpg", "bad/png_bomb_50000x50000.png")
	status, st, raw := c.postBatch(files, map[string][]string{"preset": {"thumb", "small"}, "w": {"100"}, "format": {"webp"}})
	if status != http.StatusAccepted || st.Total != 90 {
		t.Fatalf("create: %d %s", status, raw)
	}
	final := c.waitBatch(st.ID)
	if final.Done != 84 || final.Failed != 6 {
		t.Errorf("done %d failed %d, want 84 and 6", final.Done, final.Failed)
	}
	for _, it := range final.Items {
		if it.State == "failed" && (it.Error == nil || it.Error.Code == "") {
			t.Errorf("failed item without a reason: %+v", it)
		}
	}
	checkZip(t, c, st.ID, 84)
	checkEvents(t, c, st.ID, 90)
}

func checkZip(t *testing.T, c *client, id string, want int) {
	status, h, body := c.get("/api/v1/batches/"+id+"/zip", nil)
	if status != 200 || h.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d", status)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != want {
		t.Errorf("%d entries, want %d", len(zr.File), want)
	}
	probe, _ := vips.New(vips.DefaultConfig())
	names := map[string]bool{}
	for _, f := range zr.File {
		if names[f.Name] {
			t.Errorf("duplicate entry %s", f.Name)
		}
		names[f.Name] = true
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		m, err := probe.Probe(context.Background(), b)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		checkTargetSize(t, f.Name, m)
	}
}

// entryTarget finds the target in an entry name: <base>_<target>[-n].<ext>.
var entryTarget = regexp.MustCompile(`_(thumb|small|100w)(-\d+)?\.[a-z]+$`)

// checkTargetSize checks an entry against its target, named in the entry.
func checkTargetSize(t *testing.T, name string, m resizer.Meta) {
	target := ""
	if g := entryTarget.FindStringSubmatch(name); g != nil {
		target = g[1]
	}
	switch target {
	case "thumb":
		if m.Width > 300 || m.Height > 300 || (m.Width != 300 && m.Height != 300 && m.Width > 1 && m.Height > 1) {
			t.Errorf("%s: %dx%d for thumb", name, m.Width, m.Height)
		}
	case "small":
		if max(m.Width, m.Height) > 640 {
			t.Errorf("%s: %dx%d for small", name, m.Width, m.Height)
		}
	case "100w":
		if m.Width > 100 || m.Format != resizer.WebP {
			t.Errorf("%s: %s %dx%d for 100w webp", name, m.Format, m.Width, m.Height)
		}
	default:
		t.Errorf("entry %s names no target", name)
	}
}

// checkEvents reads the event stream in two connections: the second resumes
// with the first's last id and must bring exactly the rest.
func checkEvents(t *testing.T, c *client, id string, total int) {
	first, lastID, _ := readEvents(t, c, id, "", 10)
	rest, _, done := readEvents(t, c, id, lastID, -1)
	if !done {
		t.Error("no final done event")
	}
	seen := map[int]bool{}
	for _, i := range append(first, rest...) {
		if seen[i] {
			t.Errorf("item %d sent twice", i)
		}
		seen[i] = true
	}
	if len(first) != 10 || len(seen) != total {
		t.Errorf("first connection %d items, both %d, want 10 and %d", len(first), len(seen), total)
	}
}

// readEvents reads up to max item events (-1: until done) after lastID.
func readEvents(t *testing.T, c *client, id, lastID string, limit int) (items []int, last string, done bool) {
	h := map[string]string{}
	if lastID != "" {
		h["Last-Event-ID"] = lastID
	}
	resp := c.do("GET", "/api/v1/batches/"+id+"/events", nil, h)
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var event, data string
	for sc.Scan() && (limit < 0 || len(items) < limit) {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			last = line[4:]
		case strings.HasPrefix(line, "event: "):
			event = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		case line == "" && event == "item":
			var it resizer.ItemStatus
			json.Unmarshal([]byte(data), &it)
			items = append(items, it.Index)
		case line == "" && event == "done":
			return items, last, true
		}
	}
	return items, last, false
}

func TestBatchIsolationAndErrors(t *testing.T) {
	e := start(t, options{})
	alice, bob := e.apiClient(testKey), e.apiClient("other-key-0123456789")
	img := alice.uploadOne("a.png", read(t, "edge/palette_with_alpha.png"))
	status, st, raw := alice.postBatch(nil, map[string][]string{"image_id": {img.ID}, "preset": {"thumb"}})
	if status != http.StatusAccepted || st.Total != 1 {
		t.Fatalf("batch from image_id: %d %s", status, raw)
	}
	for _, p := range []string{"", "/zip", "/events"} {
		if status, _, _ := bob.get("/api/v1/batches/"+st.ID+p, nil); status != http.StatusNotFound {
			t.Errorf("bob got %d for %s", status, p)
		}
	}
	if _, _, body := bob.get("/api/v1/batches", nil); strings.Contains(string(body), st.ID) {
		t.Error("bob lists alice's batch")
	}
	for _, bad := range []map[string][]string{
		{"image_id": {img.ID}},                               // no target
		{"image_id": {img.ID}, "preset": {"huge"}},           // unknown preset
		{"image_id": {img.ID}, "w": {"0"}},                   // bad target
		{"preset": {"thumb"}},                                // no image
		{"image_id": {strings.Repeat("0", 32)}, "w": {"10"}}, // not alice's image
	} {
		if status, _, raw := alice.postBatch(nil, bad); status < 400 || status >= 500 {
			t.Errorf("%v: %d %s", bad, status, raw)
		}
	}
	final := alice.waitBatch(st.ID)
	if final.Done != 1 || !strings.HasPrefix(final.Items[0].URL, "/api/v1/images/"+img.ID+"/resize?") {
		t.Errorf("final: %+v", final)
	}
	if status, h, _ := alice.get(final.Items[0].URL, nil); status != 200 || h.Get("X-Cache") == "miss" {
		t.Errorf("item URL: %d X-Cache %s (want the batch's stored variant)", status, h.Get("X-Cache"))
	}
	_, _, body := alice.get("/api/v1/presets", nil)
	if !strings.Contains(string(body), `"thumb"`) || !strings.Contains(string(body), `"large"`) {
		t.Errorf("presets: %s", body)
	}
}

func TestBatchResumesAfterRestart(t *testing.T) {
	dir := "file://" + t.TempDir()
	// A server without workers: the batch is accepted and stored only, as
	// when a process dies right after answering 202.
	e1 := start(t, options{storeURL: dir, noWorkers: true})
	c1 := e1.apiClient(testKey)
	files := corpusFiles(t, 3)
	status, st, raw := c1.postBatch(files, map[string][]string{"preset": {"thumb"}})
	if status != http.StatusAccepted {
		t.Fatalf("%d %s", status, raw)
	}
	e1.srv.Close()
	e2 := start(t, options{storeURL: dir})
	final := e2.apiClient(testKey).waitBatch(st.ID)
	if final.Done != 3 {
		t.Errorf("after restart: %+v", final)
	}
}
