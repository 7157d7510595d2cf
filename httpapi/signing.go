package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	resizer "github.com/cloudresizer/cloudresizer"
)

// signer makes and checks public links: /r/<sig>/<id>?<canonical query>.
// The signature covers the id and the exact query text, so a change of any
// character in either (or in the signature) fails the check before the
// options are even parsed.
type signer struct{ secret []byte }

// link returns the signed path for id resized as o.
func (s signer) link(id string, o resizer.Options) string {
	q := o.Query()
	path := "/r/" + s.signature(id, q) + "/" + id
	if q != "" {
		path += "?" + q
	}
	return path
}

func (s signer) signature(id, rawQuery string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("link\x00" + id + "?" + rawQuery))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:20])
}

// verify reports whether sig signs id and rawQuery.
func (s signer) verify(sig, id, rawQuery string) bool {
	return hmac.Equal([]byte(sig), []byte(s.signature(id, rawQuery)))
}
