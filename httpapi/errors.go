package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	resizer "github.com/cloudresizer/cloudresizer"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	resizer.EINVALID:      http.StatusBadRequest,
	resizer.EUNAUTHORIZED: http.StatusUnauthorized,
	resizer.EFORBIDDEN:    http.StatusForbidden,
	resizer.ENOTFOUND:     http.StatusNotFound,
	resizer.ENOTALLOWED:   http.StatusMethodNotAllowed,
	resizer.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	resizer.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	resizer.EREFUSED:      http.StatusUnprocessableEntity,
	resizer.EUNAVAILABLE:  http.StatusServiceUnavailable,
	resizer.EINTERNAL:     http.StatusInternalServerError,
}

// Status is the HTTP status for err.
func Status(err error) int {
	if s, ok := statusOf[resizer.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// apiError is the body of every error response.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func toAPIError(err error) apiError {
	return apiError{Code: resizer.ErrorCode(err), Message: resizer.ErrorMessage(err)}
}

// writeError answers with err's status and code. Internal details go to the
// log, never to the client.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	switch {
	case status == http.StatusServiceUnavailable:
		// Shedding under load is expected: one line per request at
		// warning level would flood the logs exactly when they matter.
		logger(r).Debug("request shed or backend down", "err", err)
	case status >= 500:
		logger(r).Error("request failed", "err", err, "status", status)
	}
	switch status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "2")
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="cloudresizer"`)
	}
	writeJSON(w, status, map[string]any{"error": toAPIError(err)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // URLs keep their '&'; the content type is JSON, never HTML
	if err := enc.Encode(v); err != nil && !errors.Is(err, http.ErrHandlerTimeout) {
		slog.Debug("response not fully written", "err", err)
	}
}
