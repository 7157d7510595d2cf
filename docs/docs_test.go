package docs

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

func parse(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

func TestOpenAPIVersion(t *testing.T) {
	doc := parse(t)
	v, _ := doc["openapi"].(string)
	if !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
}

// route is the pattern of a mux registration with a method:
// HandleFunc("GET /path", …) and Handle("GET /path", …).
var route = regexp.MustCompile(`\.Handle(?:Func)?\("([A-Z]+) (/[^"]*)"`)

// notAPI lists the registrations that are not part of the API, so
// openapi.json does not describe them: the web page and its assets.
var notAPI = map[string]bool{
	"GET /{$}":     true,
	"GET /static/": true,
}

// TestEveryRouteDocumented fails when a route in httpapi/server.go has no
// operation with the same method and path in openapi.json, unless notAPI
// names it.
func TestEveryRouteDocumented(t *testing.T) {
	src, err := os.ReadFile("../httpapi/server.go")
	if err != nil {
		t.Fatal(err)
	}
	matches := route.FindAllStringSubmatch(string(src), -1)
	if len(matches) == 0 {
		t.Fatal("no routes found in httpapi/server.go: has the registration style changed?")
	}
	paths, _ := parse(t)["paths"].(map[string]any)
	registered := map[string]bool{}
	for _, m := range matches {
		registered[m[1]+" "+m[2]] = true
		if notAPI[m[1]+" "+m[2]] {
			continue
		}
		method, path := strings.ToLower(m[1]), m[2]
		item, ok := paths[path].(map[string]any)
		if !ok {
			t.Errorf("%s %s: path missing from openapi.json", m[1], path)
			continue
		}
		if _, ok := item[method].(map[string]any); !ok {
			t.Errorf("%s %s: method missing from openapi.json", m[1], path)
		}
	}
	for p := range notAPI {
		if !registered[p] {
			t.Errorf("notAPI lists %q, which httpapi/server.go no longer registers", p)
		}
	}
}

// TestRefsResolve checks that every local $ref names something that exists.
func TestRefsResolve(t *testing.T) {
	doc := parse(t)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !resolves(doc, ref) {
					t.Errorf("unresolved $ref %q", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

func resolves(doc map[string]any, ref string) bool {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(p, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[strings.NewReplacer("~1", "/", "~0", "~").Replace(part)]; !ok {
			return false
		}
	}
	return true
}

// TestErrorCodesDocumented fails when error.go gains a code that the
// ErrorCode enum lacks, or the enum names one that no longer exists.
func TestErrorCodesDocumented(t *testing.T) {
	src, err := os.ReadFile("../error.go")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*E[A-Z]+\s*=\s*"([a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		want[m[1]] = true
	}
	if len(want) == 0 {
		t.Fatal("no error codes found in error.go")
	}
	schemas := parse(t)["components"].(map[string]any)["schemas"].(map[string]any)
	enum, _ := schemas["ErrorCode"].(map[string]any)["enum"].([]any)
	got := map[string]bool{}
	for _, c := range enum {
		got[c.(string)] = true
	}
	for c := range want {
		if !got[c] {
			t.Errorf("error code %q is missing from components.schemas.ErrorCode", c)
		}
	}
	for c := range got {
		if !want[c] {
			t.Errorf("components.schemas.ErrorCode lists %q, which error.go does not define", c)
		}
	}
}
