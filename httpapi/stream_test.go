package httpapi_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"testing"
)

// TestUploadIsStreamed uploads a 30 MB file (a real JPEG followed by filler,
// which decoders ignore) and checks that the whole process allocated far
// less than the file's size: the body went to disk, not into the heap.
func TestUploadIsStreamed(t *testing.T) {
	const size = 30 << 20
	e := start(t, options{storeURL: "file://" + t.TempDir(), maxBytes: 64 << 20})
	jpeg := read(t, "photos/storm_canon_exif.jpg")
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, _ := mw.CreateFormFile("file", "big.jpg")
		fw.Write(jpeg)
		filler := bytes.Repeat([]byte{0}, 1<<20)
		for n := len(jpeg); n < size; n += len(filler) {
			fw.Write(filler)
		}
		mw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/images", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+testKey)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB for a %d MiB upload", alloc>>10, size>>20)
	if alloc > size/3 {
		t.Errorf("a %d MB upload allocated %d MB: it was buffered in memory", size>>20, alloc>>20)
	}
}
