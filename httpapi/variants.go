package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Cache lifetimes: an owner's URL may change meaning when the image is
// deleted; a signed link's bytes never change.
const (
	ownerCacheControl  = "private, max-age=86400"
	signedCacheControl = "public, max-age=31536000, immutable"
)

// resize serves the caller's image id resized as the query says.
func (s *Server) resize(w http.ResponseWriter, r *http.Request) {
	id, o, err := s.ownedRequest(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.serveVariant(w, r, id, o, ownerCacheControl)
}

// link answers with the signed public URL for the caller's image and options.
func (s *Server) link(w http.ResponseWriter, r *http.Request) {
	id, o, err := s.ownedRequest(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": s.signer.link(id, o)})
}

// ownedRequest reads the caller's image id (not found unless theirs) and
// the resize options of r's query.
func (s *Server) ownedRequest(r *http.Request) (string, resizer.Options, error) {
	info, err := s.svc.Image(r.Context(), owner(r), r.PathValue("id"))
	if err != nil {
		return "", resizer.Options{}, err
	}
	o, err := resizer.ParseQuery(r.URL.Query())
	return info.ID, o, err
}

// signed serves a public link: no identity, only the signature.
func (s *Server) signed(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.signer.verify(r.PathValue("sig"), id, r.URL.RawQuery) {
		writeError(w, r, resizer.Errorf(resizer.EFORBIDDEN, "the link's signature does not match"))
		return
	}
	o, err := resizer.ParseQuery(r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.serveVariant(w, r, id, o, signedCacheControl)
}

// serveVariant resolves the output format, answers 304 when the client has
// this variant already, and otherwise sends it from the fastest tier.
func (s *Server) serveVariant(w http.ResponseWriter, r *http.Request, id string, o resizer.Options, cacheControl string) {
	o, negotiated, err := s.svc.Resolve(r.Context(), id, o, r.Header.Get("Accept"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	h := w.Header()
	key := o.Key(id)
	etag := `"` + key + `"`
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControl)
	if negotiated {
		h.Set("Vary", "Accept")
	}
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	v, err := s.svc.VariantByKey(r.Context(), id, key, o)
	if err != nil {
		h.Del("ETag")
		h.Del("Cache-Control")
		writeError(w, r, err)
		return
	}
	h.Set("Content-Type", v.Format.MIME())
	h.Set("Content-Length", strconv.Itoa(len(v.Bytes)))
	h.Set("X-Cache", v.Source)
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(v.Bytes)
}

// etagMatches implements If-None-Match: a list of tags, or "*".
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
