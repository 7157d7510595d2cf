package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	resizer "github.com/cloudresizer/cloudresizer"
)

// deviceCookie holds a browser's anonymous identity: a random id and its
// signature, so that a made-up id is not accepted.
const (
	deviceCookie = "cr_device"
	deviceMaxAge = 400 * 24 * 3600 // the longest browsers keep a cookie
)

// owner returns the identity that withOwner put in the request.
func owner(r *http.Request) string { return r.Context().Value(ownerKey).(string) }

// withOwner finds who is calling: an API key in Authorization, else the
// device cookie, else a new device (and its cookie in the response).
func (s *Server) withOwner(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := s.identify(w, r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		h(w, r.WithContext(contextWith(r, ownerKey, who)))
	}
}

func (s *Server) identify(w http.ResponseWriter, r *http.Request) (string, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		key, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return "", resizer.Errorf(resizer.EUNAUTHORIZED, "Authorization must be 'Bearer <api key>'")
		}
		return s.apiKeyOwner(key)
	}
	if c, err := r.Cookie(deviceCookie); err == nil {
		if id, ok := s.verifyDevice(c.Value); ok {
			return "device:" + id, nil
		}
	}
	id := newDeviceID()
	http.SetCookie(w, &http.Cookie{
		Name: deviceCookie, Value: id + "." + s.sign("device", id), Path: "/", MaxAge: deviceMaxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r),
	})
	return "device:" + id, nil
}

// apiKeyOwner looks key up in constant time per key, so response timing
// does not reveal how much of a key was right.
func (s *Server) apiKeyOwner(key string) (string, error) {
	found := ""
	for k, who := range s.cfg.APIKeys {
		if subtle.ConstantTimeCompare([]byte(k), []byte(key)) == 1 {
			found = who
		}
	}
	if found == "" {
		return "", resizer.Errorf(resizer.EUNAUTHORIZED, "unknown API key")
	}
	return "key:" + found, nil
}

func (s *Server) verifyDevice(v string) (string, bool) {
	id, sig, ok := strings.Cut(v, ".")
	if !ok || len(id) != 22 {
		return "", false
	}
	return id, hmac.Equal([]byte(sig), []byte(s.sign("device", id)))
}

// sign is the HMAC-SHA256 of purpose and msg, truncated to 128 bits.
func (s *Server) sign(purpose, msg string) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte(purpose + "\x00" + msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func newDeviceID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// isHTTPS is true for TLS connections and behind a proxy that says so.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
