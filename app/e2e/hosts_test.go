//go:build !js

package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clip-go/clip/model/zeroshot"
	"github.com/clip-go/clip/wasm/quanttest"
)

// A static host is a web server people put the site behind, serving the folder root at
// 127.0.0.1:port until stop is called. Each answers differently where the service
// worker has assumptions (docs/deploy.md): Go's http.FileServer and Caddy redirect
// /index.html to the folder, python's http.server and nginx do not; Caddy and nginx
// send ETags, python only Last-Modified; none compresses by default.
type staticHost struct {
	name  string
	start func(t *testing.T, root string, port int) (stop func())
}

var staticHosts = []staticHost{
	{"go-fileserver", func(t *testing.T, root string, port int) func() {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.FileServer(http.Dir(root))}
		go srv.Serve(ln)
		return func() { srv.Close() }
	}},
	{"python-http.server", func(t *testing.T, root string, port int) func() {
		return startProcess(t, port, "python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", root, fmt.Sprint(port))
	}},
	{"caddy", func(t *testing.T, root string, port int) func() {
		dir := t.TempDir()
		conf := filepath.Join(dir, "Caddyfile")
		// No admin endpoint (it would take port 2019), no HTTPS, no state in $HOME.
		caddyfile := fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n\tstorage file_system %s\n}\nhttp://127.0.0.1:%d {\n\troot * %s\n\tfile_server\n}\n", dir, port, root)
		if err := os.WriteFile(conf, []byte(caddyfile), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("XDG_CONFIG_HOME", dir)
		t.Setenv("XDG_DATA_HOME", dir)
		return startProcess(t, port, "caddy", "run", "--config", conf, "--adapter", "caddyfile")
	}},
	{"nginx", func(t *testing.T, root string, port int) func() {
		dir := t.TempDir()
		user := ""
		if os.Geteuid() == 0 {
			user = "user root;" // its workers would otherwise be nobody, who cannot read a test's folders
		}
		conf := filepath.Join(dir, "nginx.conf")
		// One process (no master and workers), so that stopping it stops the server.
		nginx := fmt.Sprintf(`%s daemon off; master_process off; pid %[2]s/nginx.pid; error_log stderr;
events {}
http {
	include /etc/nginx/mime.types;
	access_log off;
	client_body_temp_path %[2]s; proxy_temp_path %[2]s; fastcgi_temp_path %[2]s; uwsgi_temp_path %[2]s; scgi_temp_path %[2]s;
	server { listen 127.0.0.1:%[3]d; root %[4]s; }
}
`, user, dir, port, root)
		if err := os.WriteFile(conf, []byte(nginx), 0o644); err != nil {
			t.Fatal(err)
		}
		return startProcess(t, port, "nginx", "-p", dir, "-c", conf)
	}},
}

// startProcess runs a server program until the returned stop is called, once it
// accepts connections at port. A missing program skips the test, except in CI.
func startProcess(t *testing.T, port int, name string, args ...string) func() {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil && name == "nginx" {
		bin, err = exec.LookPath("/usr/sbin/nginx") // sbin may not be on a user's PATH
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v (.ci/run installs it)", name, err)
		}
		t.Skipf("%s: %v", name, err)
	}
	cmd := exec.Command(bin, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second // a child left holding its output does not hang the test
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	stop := func() { // a second stop (the cleanup after the test's own) does nothing
		once.Do(func() {
			cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(stop)
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return stop
		}
		select {
		case err := <-exited:
			once.Do(func() {}) // gone already: nothing to stop
			t.Fatalf("%s exited: %v\n%s", name, err, out.String())
		default:
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("%s does not listen on %d: %s", name, port, out.String())
		}
	}
}

// freePort is a port nothing listens on now.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestStaticHosts: the built site behind real static servers, at the root and at a
// sub-path (a GitHub Pages project site lives at /repo/). On each: the first visit
// classifies two pictures, and the page says it is ready to work offline only when the
// service worker's caches hold the whole build; a reload classifies them again; with
// the server stopped, a reload still opens the page, loads the model and classifies
// them; each time the same top-5 as the engine. At the sub-path the labelling view
// labels a picture offline too. (A reload used to fail behind servers that redirect
// /index.html: the service worker answered navigations with a redirected response.)
func TestStaticHosts(t *testing.T) {
	base := newSite(t)
	imgs := base.images(t, map[string][]byte{"a.png": quanttest.PNG(t, 48, 40, 3), "b.png": quanttest.PNG(t, 40, 56, 9)}, "a.png", "b.png")
	labels := []string{"a red circle", "a blue square", "a tree", "a cat"}
	clip7, _ := zeroshot.TemplateSet(zeroshot.DefaultTemplateSet)
	engine := base.native(t)
	for _, h := range staticHosts {
		for _, prefix := range []string{"/", "/some/path/"} {
			t.Run(h.name+map[string]string{"/": "", "/some/path/": "-subpath"}[prefix], func(t *testing.T) {
				root := t.TempDir()
				if err := os.MkdirAll(filepath.Join(root, prefix, ".."), 0o755); err != nil {
					t.Fatal(err)
				}
				if prefix == "/" {
					root = base.dir
				} else if err := os.Symlink(base.dir, filepath.Join(root, prefix)); err != nil {
					t.Fatal(err)
				}
				port := freePort(t)
				stop := h.start(t, root, port)
				origin := fmt.Sprintf("http://127.0.0.1:%d", port)
				p := base.openURL(t, origin, origin+prefix)
				classify := func(when string) {
					t.Helper()
					p.waitStatus(t, "ready")
					p.typeLabels(t, strings.Join(labels, "\n"))
					p.run(t, chromedp.SetUploadFiles("#images", imgs, chromedp.ByQuery))
					if err := engine.matches(p.waitCards(t, len(imgs), labels), imgs, labels, clip7); err != nil {
						t.Errorf("%s: %v", when, err)
					}
				}
				classify("first visit")
				p.waitOffline(t)
				p.run(t, chromedp.Reload())
				classify("reload")
				stop()
				p.run(t, chromedp.Reload())
				classify("offline reload")
				if h.name == "go-fileserver" && prefix == "/" {
					p.screenshot(t, "offline-ready-1280x800.png", 1280, 800)
				}
				if prefix != "/" {
					p.openLabeller(t)
					p.setField(t, "#project-labels", "sun\nmoon", "change")
					p.run(t, chromedp.SetUploadFiles("#label-images", imgs[:1], chromedp.ByQuery))
					p.waitFor(t, "the image scored offline in the labelling view", func() bool {
						items := p.items(t)
						return len(items) == 1 && items[0].Top == 2
					})
					if !p.offlineShown(t) {
						t.Error("the labelling view does not say the app is ready offline")
					}
				}
				p.checkClean(t)
			})
		}
	}
}

// offlineShown says whether the page shows "Ready to work offline".
func (p *tab) offlineShown(t testing.TB) bool {
	t.Helper()
	var shown bool
	p.eval(t, `(() => { const e = document.querySelector("[data-testid=offline]");
		return !!e && !e.hidden && e.getClientRects().length > 0 && e.textContent.includes("Ready to work offline"); })()`, &shown)
	return shown
}

// waitOffline waits for the page to say it is ready to work offline, and checks that by
// then the service worker controls it and its caches hold every file of the build: the
// app's cache (named for the build's hash in sw.js) every shell file, the model cache
// every model at its content's hash.
func (p *tab) waitOffline(t testing.TB) {
	t.Helper()
	p.waitFor(t, "the page to say it is ready to work offline", func() bool { return p.offlineShown(t) })
	var missing []string
	p.eval(t, `(async () => {
		const sw = await (await fetch("sw.js")).text();
		const build = JSON.parse(sw.match(/^const BUILD = (.*);$/m)[1]);
		const app = await caches.open("clip-app-" + build.hash), models = await caches.open("clip-models");
		const missing = [];
		if (!navigator.serviceWorker.controller) missing.push("(no controller)");
		for (const f of build.shell) if (!(await app.match(new URL(f, location.href).href))) missing.push(f);
		for (const [f, sum] of Object.entries(build.models))
			if (!(await models.match(new URL(f + "?sha256=" + sum, location.href).href))) missing.push(f);
		return missing;
	})()`, &missing)
	if len(missing) > 0 {
		t.Errorf("the page says it is ready offline, but the caches lack %q", missing)
	}
}
