// Package corpus reads the test image corpus (testdata/corpus) through its
// MANIFEST.tsv, for tests and benchmarks of every package.
package corpus

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Entry is one line of MANIFEST.tsv.
type Entry struct {
	File    string // path relative to the corpus folder
	Format  string // as the manifest says: "jpeg", "gif(16 pages)", "not-an-image(…)"
	Expect  string // ok, reject, either, ok-or-reject
	Purpose string
}

// Dir is the corpus folder, found from this source file so that tests in any
// package can use it.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "corpus")
}

// Entries reads the manifest.
func Entries() ([]Entry, error) {
	f, err := os.Open(filepath.Join(Dir(), "MANIFEST.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	col := map[string]int{}
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(col) == 0 {
			for i, name := range fields {
				col[name] = i
			}
			continue
		}
		if len(fields) < len(col) {
			return nil, fmt.Errorf("corpus: short manifest line %q", sc.Text())
		}
		out = append(out, Entry{File: fields[col["file"]], Format: fields[col["format"]],
			Expect: fields[col["expect"]], Purpose: fields[col["purpose"]]})
	}
	return out, sc.Err()
}

// Read returns the bytes of the corpus file at rel.
func Read(rel string) ([]byte, error) { return os.ReadFile(filepath.Join(Dir(), rel)) }

// MustRead returns the bytes of the corpus file at rel, failing the test if
// it cannot be read.
func MustRead(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := Read(rel)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
