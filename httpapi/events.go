package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// eventPoll is how often a live view looks at the batch's results, which
// any instance may be writing; keepAlive is how often an idle stream sends
// a comment, so that proxies with idle timeouts keep it open.
const (
	eventPoll = 300 * time.Millisecond
	keepAlive = 15 * time.Second
)

// batchEvents streams Server-Sent Events: one "item" event per finished
// item and a final "done". Each event's id is the set of items sent so far
// (a bitmap), so a client that reconnects with Last-Event-ID gets exactly
// what it missed, whatever order items finished in across instances.
func (s *Server) batchEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	seen := decodeSeen(r.Header.Get("Last-Event-ID"))
	if _, _, err := s.svc.BatchProgress(r.Context(), owner(r), id, seen.has); err != nil {
		writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events through at once
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a long-lived stream
	tick := time.NewTicker(eventPoll)
	defer tick.Stop()
	lastWrite := time.Now()
	for {
		st, fresh, err := s.svc.BatchProgress(r.Context(), owner(r), id, seen.has)
		if err != nil {
			fmt.Fprintf(w, "event: error\ndata: %s\n\n", mustJSON(toAPIError(err)))
			rc.Flush()
			return
		}
		for _, it := range fresh {
			seen.add(it.Index)
			fmt.Fprintf(w, "id: %s\nevent: item\ndata: %s\n\n", seen.encode(), mustJSON(it))
			lastWrite = time.Now()
		}
		if time.Since(lastWrite) > keepAlive {
			fmt.Fprint(w, ": keep-alive\n\n")
			lastWrite = time.Now()
		}
		if st.State == "done" {
			fmt.Fprintf(w, "id: %s\nevent: done\ndata: %s\n\n", seen.encode(), mustJSON(st))
			rc.Flush()
			return
		}
		rc.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return // shutting down: the client reconnects elsewhere
		case <-tick.C:
		}
	}
}

func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return bytes.TrimSpace(buf.Bytes())
}

// seenSet is a bitmap of item indexes.
type seenSet []byte

func decodeSeen(s string) seenSet {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1<<16 {
		return nil
	}
	return b
}

func (s seenSet) has(i int) bool { return i/8 < len(s) && s[i/8]&(1<<(i%8)) != 0 }

func (s *seenSet) add(i int) {
	for len(*s) <= i/8 {
		*s = append(*s, 0)
	}
	(*s)[i/8] |= 1 << (i % 8)
}

func (s seenSet) encode() string { return base64.RawURLEncoding.EncodeToString(s) }
