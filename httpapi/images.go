package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	resizer "github.com/cloudresizer/cloudresizer"
)

// uploadResult is the body of POST /api/v1/images.
type uploadResult struct {
	Images []resizer.ImageInfo `json:"images"`
	Errors []fileError         `json:"errors"`
	Error  *apiError           `json:"error,omitempty"` // set when nothing was stored
}

type fileError struct {
	Filename string `json:"filename"`
	apiError
}

// upload stores every "file" part of a multipart body, streaming each one.
// A bad file does not fail the others; the request fails only when no file
// could be stored, with the status of the first error.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	r.Body = limitBody(w, r.Body, s.cfg.MaxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, r, resizer.Errorf(resizer.EINVALID, "the body must be multipart/form-data with 'file' parts"))
		return
	}
	res := uploadResult{Images: []resizer.ImageInfo{}, Errors: []fileError{}}
	var first error
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			first = firstOf(first, readError(err))
			res.Errors = append(res.Errors, fileError{apiError: toAPIError(readError(err))})
			break
		}
		if part.FormName() != "file" {
			continue // other fields are ignored; NextPart skips their data
		}
		info, err := s.svc.Upload(r.Context(), owner(r), part.FileName(), part)
		if err != nil {
			logger(r).Info("upload refused", "filename", part.FileName(), "err", err)
			first = firstOf(first, err)
			res.Errors = append(res.Errors, fileError{Filename: part.FileName(), apiError: toAPIError(err)})
			continue
		}
		res.Images = append(res.Images, info)
	}
	s.answerUpload(w, r, res, first)
}

func (s *Server) answerUpload(w http.ResponseWriter, r *http.Request, res uploadResult, first error) {
	switch {
	case len(res.Images) > 0:
		writeJSON(w, http.StatusCreated, res)
	case first == nil:
		writeError(w, r, resizer.Errorf(resizer.EINVALID, "no 'file' part in the body"))
	default:
		e := toAPIError(first)
		res.Error = &e
		if Status(first) == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "2")
		}
		writeJSON(w, Status(first), res)
	}
}

func firstOf(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// readError explains a failure to read the body.
func readError(err error) error {
	var coded *resizer.Error
	if errors.As(err, &coded) {
		return coded
	}
	return resizer.Errorf(resizer.EINVALID, "the multipart body could not be read")
}

// limitedBody is http.MaxBytesReader whose error says too_large in our terms.
type limitedBody struct{ io.ReadCloser }

func limitBody(w http.ResponseWriter, body io.ReadCloser, n int64) io.ReadCloser {
	return limitedBody{http.MaxBytesReader(w, body, n)}
}

func (b limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = resizer.Errorf(resizer.ETOOLARGE, "the request body is larger than %d bytes", mbe.Limit)
	}
	return n, err
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, r, resizer.Errorf(resizer.EINVALID, "limit must be a number"))
			return
		}
		limit = n
	}
	images, next, err := s.svc.List(r.Context(), owner(r), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"images": images, "next_cursor": next})
}

func (s *Server) image(w http.ResponseWriter, r *http.Request) {
	info, err := s.svc.Image(r.Context(), owner(r), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Delete(r.Context(), owner(r), r.PathValue("id")); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// original streams the uploaded file as it was, under its sniffed type.
func (s *Server) original(w http.ResponseWriter, r *http.Request) {
	info, err := s.svc.Image(r.Context(), owner(r), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	etag := `"` + info.ID + `"`
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body, size, err := s.svc.Original(r.Context(), info.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", info.Format.MIME())
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": info.Filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", etag)
	io.Copy(w, body)
}
