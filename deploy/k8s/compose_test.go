package k8s

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads ../docker-compose.yml as `docker compose config` does:
// validated against the Compose schema (an unknown or misspelt key fails),
// interpolated with env.
func loadCompose(t *testing.T, env ...string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join("..", "docker-compose.yml")},
		cli.WithWorkingDirectory(".."), cli.WithEnv(env), cli.WithName("cloudresizer"))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func TestComposeNeedsASecret(t *testing.T) {
	if _, err := loadCompose(t); err == nil || !strings.Contains(err.Error(), "CLOUDRESIZER_SECRET") {
		t.Errorf("without CLOUDRESIZER_SECRET: %v, want an error naming it", err)
	}
}

func TestCompose(t *testing.T) {
	p, err := loadCompose(t, "CLOUDRESIZER_SECRET=test-secret-0123456789abcdef")
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"nginx", "api", "redis", "s3"} {
		if _, ok := p.Services[name]; !ok {
			t.Fatalf("no service %s", name)
		}
	}
	api := p.Services["api"]
	if api.Deploy == nil || api.Deploy.Replicas == nil || *api.Deploy.Replicas != 3 {
		t.Errorf("api: want 3 replicas, got %+v", api.Deploy)
	}
	if api.Build == nil || api.Build.Dockerfile != "deploy/Dockerfile" {
		t.Errorf("api: build %+v, want deploy/Dockerfile", api.Build)
	} else if _, err := os.Stat(filepath.Join(api.Build.Context, "go.mod")); err != nil {
		t.Errorf("api: build context %s is not the repository root: %v", api.Build.Context, err)
	}
	for k := range api.Environment {
		checkEnvName(t, "compose api environment", k, "serve")
	}
	env := func(k string) string {
		if v := api.Environment[k]; v != nil {
			return *v
		}
		return ""
	}
	if env("CLOUDRESIZER_SECRET") == "" {
		t.Error("api: CLOUDRESIZER_SECRET must be set: every replica must sign alike")
	}
	checkBackend(t, p, "CLOUDRESIZER_STORAGE", env("CLOUDRESIZER_STORAGE"), "s3", "endpoint")
	checkBackend(t, p, "CLOUDRESIZER_REDIS", env("CLOUDRESIZER_REDIS"), "redis", "")
	if env("AWS_ACCESS_KEY_ID") == "" || env("AWS_SECRET_ACCESS_KEY") == "" {
		t.Error("api: no S3 credentials")
	}
	checkNginx(t, p)
}

// checkBackend checks that a backend URL points at a service of the file.
func checkBackend(t *testing.T, p *types.Project, name, raw, service, param string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, raw, err)
	}
	host := u.Host
	if param != "" {
		e, err := url.Parse(u.Query().Get(param))
		if err != nil {
			t.Fatalf("%s: %s: %v", name, param, err)
		}
		host = e.Host
	}
	if h := strings.Split(host, ":")[0]; h != service {
		t.Errorf("%s=%q reaches %q, want the %s service", name, raw, h, service)
	}
	if _, ok := p.Services[service]; !ok {
		t.Errorf("%s: no service %s", name, service)
	}
}

// checkNginx checks that nginx's configuration is mounted and balances over
// the api service with retries, without buffering streams.
func checkNginx(t *testing.T, p *types.Project) {
	t.Helper()
	var conf string
	for _, v := range p.Services["nginx"].Volumes {
		if v.Target == "/etc/nginx/nginx.conf" {
			conf = v.Source
		}
	}
	if conf == "" {
		t.Fatal("nginx: no nginx.conf mounted")
	}
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatalf("nginx: %v", err)
	}
	for _, want := range []string{"server api:8080", "proxy_pass http://cloudresizer;", "proxy_buffering off;",
		"proxy_next_upstream error timeout http_502 http_503;", "client_max_body_size"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q", conf, want)
		}
	}
}
