package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cloudresizer/cloudresizer/internal/testserver"
)

type batchStatus struct {
	ID                  string
	State               string
	Total, Done, Failed int
}

func (in *instance) batch(id string) batchStatus {
	status, _, body := in.get("/api/v1/batches/"+id, nil)
	var st batchStatus
	if status != 200 || json.Unmarshal(body, &st) != nil {
		return batchStatus{}
	}
	return st
}

// photos are the corpus' large photographs: slow enough to kill a batch
// in the middle.
func photos(t *testing.T) map[string][]byte {
	files := map[string][]byte{}
	for _, f := range []string{"kleiber_20mp_baseline.jpg", "seeding_16mp_progressive.jpg", "dragonfly_13mp_progressive.jpg",
		"ladybird_baseline420.jpg", "storm_canon_exif.jpg", "wood_minolta_exif.jpg", "paintbrushes_444_q99_progressive.jpg",
		"freshflower_progressive_q75.jpg"} {
		files[f] = read(t, "photos/"+f)
	}
	return files
}

// createBatch posts the photos for three presets and returns the batch id.
func createBatch(t *testing.T, in *instance) (string, int) {
	t.Helper()
	status, body := in.post("/api/v1/batches", photos(t), map[string][]string{"preset": {"thumb", "small", "large"}})
	var st batchStatus
	if status != 202 || json.Unmarshal(body, &st) != nil {
		t.Fatalf("batch: %d %s", status, body)
	}
	return st.ID, st.Total
}

// killMidBatch kills in once some items are done and others are not,
// restarts it, and checks the batch completes.
func killMidBatch(t *testing.T, in *instance) {
	id, total := createBatch(t, in)
	eventually(t, 60*time.Second, "some items done", func() bool { return in.batch(id).Done > 0 })
	if st := in.batch(id); st.Done+st.Failed >= total {
		t.Skipf("the batch finished before the kill (%+v); the machine is faster than this test assumes", st)
	}
	in.kill()
	in.start()
	eventually(t, 3*time.Minute, "the batch to finish after the restart", func() bool { return in.batch(id).State == "done" })
	if st := in.batch(id); st.Done != total || st.Failed != 0 {
		t.Errorf("after restart: %+v, want %d done", st, total)
	}
}

func TestKillMidBatchInProcess(t *testing.T) {
	in := startInstance(t, nil, "--storage", "file://"+t.TempDir(), "--workers", "1")
	killMidBatch(t, in)
}

func TestKillMidBatchAsynq(t *testing.T) {
	rd := testserver.StartRedis(t)
	in := startInstance(t, nil, "--storage", "file://"+t.TempDir(), "--redis", rd.URL(), "--workers", "1")
	killMidBatch(t, in)
}

// TestTwoWorkersShareABatch runs a front end without workers and two
// worker processes on one Redis: both take part, and every item is made
// exactly once (transforms summed over both equal the items).
func TestTwoWorkersShareABatch(t *testing.T) {
	rd := testserver.StartRedis(t)
	store := "file://" + t.TempDir()
	front := startInstance(t, nil, "--storage", store, "--redis", rd.URL(), "--batch-workers=-1")
	w1 := startInstance(t, nil, "worker", "--storage", store, "--redis", rd.URL(), "--workers", "1")
	w2 := startInstance(t, nil, "worker", "--storage", store, "--redis", rd.URL(), "--workers", "1")
	id, total := createBatch(t, front)
	eventually(t, 3*time.Minute, "the batch to finish", func() bool { return front.batch(id).State == "done" })
	if st := front.batch(id); st.Done != total {
		t.Errorf("%+v, want %d done", st, total)
	}
	n1 := metric(t, w1.url("/metrics"), "cloudresizer_transform_duration_seconds_count", "")
	n2 := metric(t, w2.url("/metrics"), "cloudresizer_transform_duration_seconds_count", "")
	if n1+n2 != float64(total) || n1 == 0 || n2 == 0 {
		t.Errorf("workers made %v and %v variants, want %d in all, some each", n1, n2, total)
	}
	if f := metric(t, front.url("/metrics"), "cloudresizer_transform_duration_seconds_count", ""); f != 0 {
		t.Errorf("the front end made %v variants, want none", f)
	}
	if !strings.Contains(w1.log.String(), "working") {
		t.Errorf("worker log: %s", w1.log)
	}
}
