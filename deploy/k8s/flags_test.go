package k8s

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

// repoRoot is the main module's folder: two levels up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "cloudresizer")); err != nil {
		t.Fatalf("no cmd/cloudresizer under %s: %v", root, err)
	}
	return root
}

var envVars struct {
	once sync.Once
	cmds map[string]map[string]bool
	err  error
	out  string
}

var envVarRE = regexp.MustCompile(`\$(CLOUDRESIZER_[A-Z0-9_]+)`)

// knownEnv returns, per subcommand (serve, worker), the CLOUDRESIZER_*
// variables the binary reads, from its own --help: a variable that is not a
// flag would be ignored silently, so a misspelt one must fail here.
func knownEnv(t *testing.T) map[string]map[string]bool {
	t.Helper()
	envVars.once.Do(func() {
		envVars.cmds = map[string]map[string]bool{}
		dir, err := os.MkdirTemp("", "cloudresizer-deploy-test-")
		if err != nil {
			envVars.err = err
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "cloudresizer")
		build := exec.Command("go", "build", "-o", bin, "./cmd/cloudresizer")
		build.Dir = repoRoot(t)
		build.Env = append(os.Environ(), "GOWORK=off")
		if out, err := build.CombinedOutput(); err != nil {
			envVars.err, envVars.out = err, string(out)
			return
		}
		for _, cmd := range []string{"serve", "worker"} {
			out, err := exec.Command(bin, cmd, "--help").CombinedOutput()
			if err != nil {
				envVars.err, envVars.out = err, string(out)
				return
			}
			set := map[string]bool{}
			for _, m := range envVarRE.FindAllStringSubmatch(string(out), -1) {
				set[m[1]] = true
			}
			envVars.cmds[cmd] = set
		}
	})
	if envVars.err != nil {
		t.Fatalf("building cloudresizer to read its flags: %v\n%s", envVars.err, envVars.out)
	}
	if len(envVars.cmds["serve"]) < 10 || len(envVars.cmds["worker"]) < 10 {
		t.Fatalf("too few CLOUDRESIZER_* variables in --help: %v", envVars.cmds)
	}
	return envVars.cmds
}

// checkEnvName fails if name looks like ours but no command reads it.
// Variables of other software (AWS_*, VIPS_*) pass.
func checkEnvName(t *testing.T, where, name string, cmds ...string) {
	t.Helper()
	if !regexp.MustCompile(`^CLOUDRESIZER_`).MatchString(name) {
		return
	}
	known := knownEnv(t)
	if len(cmds) == 0 {
		cmds = []string{"serve", "worker"}
	}
	for _, c := range cmds {
		if known[c][name] {
			return
		}
	}
	t.Errorf("%s: %s is not a flag of cloudresizer %v", where, name, cmds)
}
