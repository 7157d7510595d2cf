package k8s

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// stage is one FROM … section of a Dockerfile, its instructions with
// continuation lines joined.
type stage struct {
	from  string
	lines []string
}

func parseDockerfile(t *testing.T, path string) (args map[string]string, stages []stage) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	args = map[string]string{}
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		word, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(word) {
		case "FROM":
			stages = append(stages, stage{from: rest})
		case "ARG":
			if len(stages) == 0 {
				k, v, _ := strings.Cut(rest, "=")
				args[k] = v
			}
		}
		if len(stages) > 0 {
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, line)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return args, stages
}

func (s stage) instr(word string) []string {
	var out []string
	for _, l := range s.lines {
		if w, rest, _ := strings.Cut(l, " "); strings.EqualFold(w, word) {
			out = append(out, rest)
		}
	}
	return out
}

// TestDockerfile checks what can be checked without a Docker engine: a Go
// build stage on the Go of go.mod, a final stage with the libvips runtime
// only, a non-root user, a health check.
func TestDockerfile(t *testing.T) {
	args, stages := parseDockerfile(t, filepath.Join("..", "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.from, "golang:${GO_VERSION}-bookworm") || !strings.Contains(strings.Join(build.lines, "\n"), "libvips-dev") {
		t.Errorf("build stage: FROM %s, want golang:${GO_VERSION}-bookworm with libvips-dev", build.from)
	}
	gomod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if m == nil || args["GO_VERSION"] != string(m[1]) {
		t.Errorf("ARG GO_VERSION=%s, want go.mod's %s", args["GO_VERSION"], m[1])
	}
	if !strings.HasPrefix(final.from, "debian:bookworm-slim") {
		t.Errorf("final stage FROM %s, want debian:bookworm-slim (the libvips the build used)", final.from)
	}
	runs := strings.Join(final.instr("RUN"), "\n")
	if !strings.Contains(runs, "libvips42") || strings.Contains(runs, "-dev") {
		t.Errorf("final stage installs %q: want libvips42 and no -dev package", runs)
	}
	users := final.instr("USER")
	if len(users) == 0 || regexp.MustCompile(`^(0|root)(:|$)`).MatchString(users[len(users)-1]) {
		t.Errorf("final stage USER %q, want a non-root user", users)
	}
	hc := final.instr("HEALTHCHECK")
	if len(hc) != 1 || !strings.Contains(hc[0], "/healthz") {
		t.Errorf("final stage HEALTHCHECK %q, want one on /healthz", hc)
	}
	if copies := strings.Join(final.instr("COPY"), "\n"); !strings.Contains(copies, "--from=build") {
		t.Errorf("final stage copies %q, want only the binary from the build stage", copies)
	}
}

// TestDockerIgnoreKeepsTheBuild checks that the build context the ignore
// file leaves still holds every package the binary is built from.
func TestDockerIgnoreKeepsTheBuild(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile.dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var ignored []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "**") {
			ignored = append(ignored, l)
		}
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./cmd/cloudresizer")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a dependency from the module cache
		}
		for _, ig := range ignored {
			if rel == ig || strings.HasPrefix(rel, ig+"/") {
				t.Errorf("the build needs %s, but Dockerfile.dockerignore leaves out %s", rel, ig)
			}
		}
	}
	for _, need := range []string{"go.mod", "go.sum"} {
		for _, ig := range ignored {
			if ig == need {
				t.Errorf("Dockerfile.dockerignore leaves out %s", need)
			}
		}
	}
}
