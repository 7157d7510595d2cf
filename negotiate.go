package resizer

import (
	"strconv"
	"strings"
)

// Negotiate picks the output format for format=auto: AVIF, then WebP, when
// the client's Accept header names them (with a non-zero q), else the
// source's default (its own format, JPEG, or PNG with alpha). Animations
// prefer WebP, since our AVIF output has one frame.
func Negotiate(accept string, src Meta) Format {
	accepted := acceptedImageTypes(accept)
	if src.Frames > 1 {
		if accepted["image/webp"] {
			return WebP
		}
		return Options{}.OutputFormat(src)
	}
	for _, f := range []Format{AVIF, WebP} {
		if accepted[f.MIME()] {
			return f
		}
	}
	return Options{}.OutputFormat(src)
}

// acceptedImageTypes lists the media types in an Accept header that are not
// refused with q=0. Wildcards are ignored on purpose: "*/*" does not mean
// a browser can show AVIF.
func acceptedImageTypes(accept string) map[string]bool {
	out := map[string]bool{}
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		ok := true
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				q, err := strconv.ParseFloat(v, 64)
				ok = err == nil && q > 0
			}
		}
		if ok && mt != "" {
			out[mt] = true
		}
	}
	return out
}
