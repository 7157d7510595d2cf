package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/cloudresizer/cloudresizer/internal/child"
)

// nginx is Debian's nginx run in the foreground as this process's child,
// with its configuration, pid file, logs and temporary files in a
// temporary folder: it needs no root and touches nothing of the system's.
type nginx struct {
	t    *testing.T
	addr string
	dir  string
	proc *child.Process
}

// nginxConf balances round robin over the upstreams. Requests are retried
// on the next instance when one cannot be reached (connection refused while
// it restarts, or dead) or answers 502/503, at most 3 tries in all. nginx
// never retries a non-idempotent request (POST) once it has been sent; a
// refused connection means nothing was sent, so POSTs are retried then too.
// Bodies are buffered by nginx before it connects (proxy_request_buffering
// is on by default), which is what lets it send them again. Responses are
// not buffered, so Server-Sent Events and ZIP streams flow as they are made.
// Run as root, nginx's workers would become nobody and could not write to
// the test's temporary folder: they stay the test's user instead.
// No upstream keepalive: each request has its own connection, so an
// instance that shuts down never races nginx on an idle connection.
var nginxConf = template.Must(template.New("nginx.conf").Parse(`
{{- if .User}}
user {{.User}};
{{- end}}
worker_processes 1;
error_log {{.Dir}}/error.log error;
pid {{.Dir}}/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path {{.Dir}}/client_body;
	proxy_temp_path {{.Dir}}/proxy;
	fastcgi_temp_path {{.Dir}}/fastcgi;
	uwsgi_temp_path {{.Dir}}/uwsgi;
	scgi_temp_path {{.Dir}}/scgi;
	client_max_body_size 1g;
	upstream cloudresizer {
{{- range .Upstreams}}
		server {{.}} max_fails=1 fail_timeout=2s;
{{- end}}
	}
	server {
		listen {{.Addr}};
		location / {
			proxy_pass http://cloudresizer;
			proxy_http_version 1.1;
			proxy_set_header Host $http_host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto $scheme;
			proxy_buffering off;
			proxy_read_timeout 120s;
			proxy_send_timeout 120s;
			proxy_connect_timeout 2s;
			proxy_next_upstream error timeout http_502 http_503;
			proxy_next_upstream_tries 3;
			proxy_next_upstream_timeout 60s;
		}
	}
}
`))

// nginxBinary finds nginx: on PATH, or where Debian puts it (/usr/sbin is
// not on every user's PATH). Missing nginx fails the test: make test
// installs it (scripts/setup.sh).
func nginxBinary(t *testing.T) string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	t.Fatal("nginx is not installed (make test installs it: apt-get install nginx)")
	return ""
}

// nginxUser is "user group" for the user directive when this process is
// root (the only case where nginx switches users), else empty.
func nginxUser() string {
	if os.Geteuid() != 0 {
		return ""
	}
	u, err := user.Current()
	if err != nil {
		return ""
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return u.Username
	}
	return u.Username + " " + g.Name
}

// startNginx runs nginx on a free port in front of upstreams (host:port)
// and waits until it answers.
func startNginx(t *testing.T, upstreams ...string) *nginx {
	t.Helper()
	bin := nginxBinary(t)
	n := &nginx{t: t, addr: freeAddr(t), dir: t.TempDir()}
	var conf bytes.Buffer
	if err := nginxConf.Execute(&conf, map[string]any{"Dir": n.dir, "Addr": n.addr, "Upstreams": upstreams, "User": nginxUser()}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(n.dir, "nginx.conf")
	if err := os.WriteFile(path, conf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// -e sends the messages nginx writes before reading its configuration
	// to our log too, instead of the system's /var/log/nginx.
	proc, err := child.Start(exec.Command(bin, "-p", n.dir, "-c", path, "-e", filepath.Join(n.dir, "error.log"), "-g", "daemon off;"))
	if err != nil {
		t.Fatal(err)
	}
	n.proc = proc
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("nginx error log:\n%s%s", proc.Log, n.errorLog())
		}
	})
	n.waitAnswers()
	return n
}

func (n *nginx) waitAnswers() {
	n.t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-n.proc.Done():
			n.t.Fatalf("nginx exited at start:\n%s\n%s", n.proc.Log, n.errorLog())
		default:
		}
		if resp, err := client.Get("http://" + n.addr + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.t.Fatalf("nginx did not answer:\n%s\n%s", n.proc.Log, n.errorLog())
}

// stop ends nginx by its own pid: SIGQUIT (graceful), then SIGKILL.
func (n *nginx) stop() { n.proc.Stop(syscall.SIGQUIT, 10*time.Second) }

// errorLog is nginx's error log, for failure messages.
func (n *nginx) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	return string(b)
}

// client is an instance value whose address is nginx: its get, post,
// upload and batch go through the balancer.
func (n *nginx) client() *instance { return &instance{t: n.t, addr: n.addr} }

// perInstance formats a list of values per instance for messages.
func perInstance(vals []float64) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fmt.Sprintf("#%d: %v", i, v)
	}
	return strings.Join(parts, ", ")
}
