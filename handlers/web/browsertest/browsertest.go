// Package browsertest drives a real Chromium (Debian's chromium package)
// through chromedp for the browser pages' tests: the console, the
// resident pages and the simulator.
//
// Without a Chromium the tests skip with a message saying so; with
// TONGXIN_TEST_REQUIRE_BROWSER=1 (CI, which installs it) they fail
// instead.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Environment variables read here.
const (
	// EnvChromium names the browser binary; else chromium or
	// chromium-browser on PATH.
	EnvChromium = "TONGXIN_CHROMIUM"
	// EnvRequire=1 makes a missing browser a failure, not a skip.
	EnvRequire = "TONGXIN_TEST_REQUIRE_BROWSER"
	// EnvShots names a directory to keep the screenshots in (else the
	// test's temporary directory).
	EnvShots = "TONGXIN_TEST_SCREENSHOTS"
)

// PhoneWidth is the width of the phone every page must fit, in CSS pixels.
const PhoneWidth = 360

// Chromium returns the browser's path, or "" when there is none.
func Chromium() string {
	if p := os.Getenv(EnvChromium); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a headless Chromium for the test, with a phone-sized window
// (PhoneWidth × 740), and returns its context; everything is closed when
// the test ends. Each chromedp.Run on the context is bounded by the
// test's own deadline only.
func New(t testing.TB) context.Context {
	t.Helper()
	path := Chromium()
	if path == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s=1 but no Chromium was found (install Debian's chromium, or set %s)", EnvRequire, EnvChromium)
		}
		t.Skipf("no Chromium on this machine: browser tests skipped (apt-get install chromium, or set %s); CI runs them", EnvChromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(PhoneWidth, 740),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(PhoneWidth, 740)); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// Do runs steps (chromedp v0.22's generic API: chromedp.Navigate(u),
// chromedp.WaitVisible(chromedp.CSS("#id")), chromedp.SendKeys(...),
// chromedp.Click(...)), failing the test with what on an error.
func Do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, bodyText(ctx))
	}
}

// Eval evaluates a JavaScript expression in the page and returns its
// value.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func bodyText(ctx context.Context) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// Text returns the visible text of the page's body.
func Text(t testing.TB, ctx context.Context) string {
	t.Helper()
	return Eval[string](t, ctx, `document.body ? document.body.innerText : ""`)
}

// WaitText waits until the body shows want, asking again while a page
// loads (bounded by timeout, which only ends a broken run).
func WaitText(t testing.TB, ctx context.Context, want string, timeout time.Duration) {
	t.Helper()
	WaitJS(t, ctx, fmt.Sprintf(`!!document.body && document.body.innerText.includes(%q)`, want), timeout, "the page to show "+want)
}

// WaitJS waits until the JavaScript expression cond is true, asking again
// while a page loads or navigates; what names it in a failure.
func WaitJS(t testing.TB, ctx context.Context, cond string, timeout time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s (last error: %v)\n%s", timeout, what, lastErr, bodyText(ctx))
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("browser gone while waiting for %s: %v", what, ctx.Err())
		}
	}
}

// NoOverflow checks that the page now shown fits a phone: nothing wider
// than PhoneWidth (only a .table-wrap may scroll sideways inside
// itself), and keeps a screenshot named name.
func NoOverflow(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	width := Eval[int](t, ctx, `document.documentElement.scrollWidth`)
	culprits := Eval[[]string](t, ctx, `Array.from(document.querySelectorAll('body *')).filter(e => {
			const r = e.getBoundingClientRect();
			return r.right > document.documentElement.clientWidth + 1 && getComputedStyle(e).position !== 'fixed'
				&& !e.closest('.table-wrap');
		}).slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30))`)
	Screenshot(t, ctx, name)
	if width > PhoneWidth {
		t.Errorf("%s is %d px wide on a %d-px phone; too wide: %s", name, width, PhoneWidth, strings.Join(culprits, " | "))
	}
}

// Screenshot keeps a full-page PNG of what is shown, named name.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv(EnvShots)
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(name)+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
