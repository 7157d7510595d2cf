package resizer

import (
	"errors"
	"fmt"
)

// Error codes. They are the only vocabulary adapters use to describe a failure;
// the HTTP layer maps each to a status in one table.
const (
	EINVALID      = "invalid"            // the request or its options are malformed
	ENOTFOUND     = "not_found"          // no such image, or not the caller's
	ETOOLARGE     = "too_large"          // the body is bigger than allowed
	EUNSUPPORTED  = "unsupported"        // the content is not an image format we accept
	EREFUSED      = "refused"            // a valid image over the pixel or frame limit
	EFORBIDDEN    = "forbidden"          // a bad signature or cross-site request
	EUNAUTHORIZED = "unauthorized"       // an unknown API key
	EUNAVAILABLE  = "unavailable"        // overloaded or a backend is down; retry later
	EINTERNAL     = "internal"           // a bug or an unexpected backend failure
	ENOTALLOWED   = "method_not_allowed" // the path exists, not with this method
)

// Error is a failure that carries a code for programs and a message for people.
// Its message is safe to show to the caller: internal details never go in it.
type Error struct {
	Code    string
	Message string
	// Cause is the backend's own error, for the logs only: it may name
	// hosts, paths or request ids that callers must not see.
	Cause error
}

// Error implements the error interface; the cause is included (for logs).
func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Wrap returns an *Error with the given code and caller-safe message that
// keeps err as its cause for the logs.
func Wrap(err error, code, message string) *Error {
	return &Error{Code: code, Message: message, Cause: err}
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the caller-safe message of err: the message of its
// *Error, or a generic text for anything else (whose details stay in the logs).
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "internal error"
	}
}
