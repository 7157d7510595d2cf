package httpapi

import (
	"archive/zip"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	resizer "github.com/cloudresizer/cloudresizer"
)

// presetJSON is a preset as GET /api/v1/presets shows it.
type presetJSON struct {
	Name   string         `json:"name"`
	Query  string         `json:"query"`
	Width  int            `json:"w,omitempty"`
	Height int            `json:"h,omitempty"`
	Fit    resizer.Fit    `json:"fit"`
	Format resizer.Format `json:"format,omitempty"`
	Q      int            `json:"q,omitempty"`
}

func (s *Server) presets(w http.ResponseWriter, r *http.Request) {
	out := []presetJSON{}
	for _, p := range s.cfg.Presets {
		o := p.Options.Normalize()
		out = append(out, presetJSON{Name: p.Name, Query: o.Query(), Width: o.Width, Height: o.Height,
			Fit: o.Fit, Format: o.Format, Q: o.Quality})
	}
	writeJSON(w, http.StatusOK, map[string]any{"presets": out})
}

// targetFields are the form fields of one explicit batch target: the
// resize options, under every name the query parser knows.
var targetFields = map[string]bool{"w": true, "width": true, "h": true, "height": true, "fit": true,
	"format": true, "f": true, "q": true, "quality": true, "gravity": true, "g": true, "bg": true,
	"background": true, "dpr": true, "enlarge": true, "progressive": true, "lossless": true}

// batchForm is what a batch request carries besides its files.
type batchForm struct {
	sources []resizer.BatchSource
	targets []resizer.Target
	custom  url.Values
}

// createBatch reads a multipart body of "file" parts, "image_id" fields and
// targets ("preset" fields, or one explicit target as w, h, fit, format, q
// fields), stores the files, and answers 202 once the batch is recorded.
func (s *Server) createBatch(w http.ResponseWriter, r *http.Request) {
	r.Body = limitBody(w, r.Body, s.cfg.MaxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, r, resizer.Errorf(resizer.EINVALID, "the body must be multipart/form-data"))
		return
	}
	form := batchForm{custom: url.Values{}}
	if err := s.readBatchForm(r, mr, &form); err != nil {
		writeError(w, r, err)
		return
	}
	if len(form.custom) > 0 {
		t, err := resizer.ParseTarget("", form.custom)
		if err != nil {
			writeError(w, r, err)
			return
		}
		form.targets = append(form.targets, t)
	}
	st, err := s.svc.CreateBatch(r.Context(), owner(r), form.sources, form.targets)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/batches/"+st.ID)
	writeJSON(w, http.StatusAccepted, st)
}

func (s *Server) readBatchForm(r *http.Request, mr *multipart.Reader, form *batchForm) error {
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readError(err)
		}
		if err := s.readBatchPart(r, part, form); err != nil {
			return err
		}
	}
}

func (s *Server) readBatchPart(r *http.Request, part *multipart.Part, form *batchForm) error {
	name := part.FormName()
	if name == "file" {
		info, err := s.svc.Upload(r.Context(), owner(r), part.FileName(), part)
		if resizer.ErrorCode(err) == resizer.EUNAVAILABLE {
			return err // storage is down: refuse the batch, acknowledge nothing
		}
		form.sources = append(form.sources, resizer.BatchSource{Filename: part.FileName(), ImageID: info.ID, Err: err})
		return nil
	}
	value, err := io.ReadAll(io.LimitReader(part, 1024))
	if err != nil {
		return readError(err)
	}
	v := strings.TrimSpace(string(value))
	switch {
	case name == "image_id":
		info, err := s.svc.Image(r.Context(), owner(r), v)
		if err != nil {
			return err
		}
		form.sources = append(form.sources, resizer.BatchSource{Filename: info.Filename, ImageID: info.ID})
	case name == "preset":
		t, ok := s.preset(v)
		if !ok {
			return resizer.Errorf(resizer.EINVALID, "no preset %q (see /api/v1/presets)", v)
		}
		form.targets = append(form.targets, t)
	case targetFields[name]:
		form.custom.Add(name, v)
	}
	return nil
}

func (s *Server) preset(name string) (resizer.Target, bool) {
	for _, p := range s.cfg.Presets {
		if p.Name == name {
			return p, true
		}
	}
	return resizer.Target{}, false
}

func (s *Server) listBatches(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.Batches(r.Context(), owner(r), 100)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"batches": list})
}

func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.BatchStatus(r.Context(), owner(r), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// batchZip streams every finished output as one ZIP archive, one image at a
// time: no temporary file, memory independent of the number of images.
// Images are stored, not deflated: they are compressed already.
func (s *Server) batchZip(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.svc.BatchStatus(r.Context(), owner(r), id); err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="batch-`+id+`.zip"`)
	zw := zip.NewWriter(w)
	now := time.Now()
	err := s.svc.BatchOutputs(r.Context(), owner(r), id, func(o resizer.BatchOutput) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: o.Name, Method: zip.Store, Modified: now})
		if err == nil {
			_, err = f.Write(o.Bytes)
		}
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		// Headers are gone: cutting the connection is the only way to tell
		// the client the archive is incomplete.
		logger(r).Error("zip stream failed", "batch", id, "err", err)
		panic(http.ErrAbortHandler)
	}
}
