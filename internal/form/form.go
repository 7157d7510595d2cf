// Package form builds the multipart/form-data bodies that tests and the
// load harness send to the API: "file" parts and plain fields.
package form

import (
	"bytes"
	"mime/multipart"
	"sort"
)

// Body returns a multipart body with one "file" part per entry of files
// (file name → bytes) and one field per value of fields, fields first, each
// in name order, and the Content-Type that goes with it.
func Body(files map[string][]byte, fields map[string][]string) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, name := range sortedKeys(fields) {
		for _, v := range fields[name] {
			mw.WriteField(name, v)
		}
	}
	for _, name := range sortedKeys(files) {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(files[name])
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
