// Package web is what the browser pages share: the staff console
// (handlers/console), the resident pages (handlers/mine) and the resident
// simulator (handlers/sim). It holds the embedded assets (no CDN: a
// community office's PC and a resident's phone fetch everything from
// tongxin), the page layout, the template functions, QR code pictures and
// the cross-origin protection every unsafe request goes through.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/tongxin/tongxin/bot"
)

//go:embed static
var static embed.FS

//go:embed templates/*.html
var layouts embed.FS

// AssetsPath is where Assets is mounted.
const AssetsPath = "/assets/"

// Assets serves the embedded stylesheet and scripts under AssetsPath.
func Assets() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix(AssetsPath, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The files change only with the binary; an hour is short enough
		// for a new version to show without a cache-busting name.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// Protect refuses unsafe cross-origin requests (POST, PUT, PATCH, DELETE
// from another site) with 403, through Go's http.CrossOriginProtection:
// the session cookie alone never authorises a form another site submits.
//
// publicURL (TONGXIN_PUBLIC_URL), when set, is trusted as an origin too:
// behind a proxy that rewrites Host, a browser that sends Origin but no
// Sec-Fetch-Site (older in-app webviews) would otherwise be refused.
func Protect(h http.Handler, publicURL string) http.Handler {
	p := http.NewCrossOriginProtection()
	if u, err := url.Parse(publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		_ = p.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	return p.Handler(h)
}

// Funcs are the functions every page template may call.
func Funcs() template.FuncMap {
	return template.FuncMap{
		// when is a time as people here read it, in Shanghai:
		// 2026-12-01 09:30; the zero time is "—".
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(bot.Shanghai).Format("2006-01-02 15:04")
		},
		// date is the day of t in Shanghai: 12月1日 周二.
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			s := t.In(bot.Shanghai)
			return fmt.Sprintf("%d月%d日 %s", int(s.Month()), s.Day(), weekdays[s.Weekday()])
		},
		// clock is the time of day of t in Shanghai: 09:30.
		"clock": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(bot.Shanghai).Format("15:04")
		},
		// isodate is the day of t in Shanghai as an <input type=date> value.
		"isodate": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(bot.Shanghai).Format("2006-01-02")
		},
		// localinput is t as an <input type=datetime-local> value.
		"localinput": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(bot.Shanghai).Format("2006-01-02T15:04")
		},
		// percent shows a fraction 0..1 as a whole percentage: 87%.
		"percent": func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
		"join":    strings.Join,
		"add":     func(a, b int) int { return a + b },
	}
}

var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// ParseLocal reads the value of an <input type=datetime-local> (or a date
// with "2006-01-02 15:04") as a time in Shanghai.
func ParseLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, bot.Shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("时间格式应为 2026-12-01 09:30")
}

// ParseDate reads the value of an <input type=date> as midnight in
// Shanghai.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), bot.Shanghai)
	if err != nil {
		return time.Time{}, fmt.Errorf("日期格式应为 2026-12-01")
	}
	return t, nil
}

// Pages is a set of page templates: each page file parsed together with
// the shared layout and the package's partials, so that every page
// defines its own "title" and "content" without clashing with the others.
type Pages struct {
	pages map[string]*template.Template
}

// ParsePages parses every pattern's files in fsys as pages of the shared
// layout; files whose name starts with "_" are partials included in every
// page instead of pages of their own. A page is named by its file name
// ("tickets.html"). funcs are added to Funcs.
func ParsePages(fsys fs.FS, funcs template.FuncMap, patterns ...string) (*Pages, error) {
	all := Funcs()
	for k, v := range funcs {
		all[k] = v
	}
	base, err := template.New("").Funcs(all).ParseFS(layouts, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, p := range patterns {
		m, err := fs.Glob(fsys, p)
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	var partials, pages []string
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "_") {
			partials = append(partials, f)
		} else {
			pages = append(pages, f)
		}
	}
	if len(partials) > 0 {
		if base, err = base.ParseFS(fsys, partials...); err != nil {
			return nil, err
		}
	}
	p := &Pages{pages: map[string]*template.Template{}}
	for _, f := range pages {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(fsys, f); err != nil {
			return nil, err
		}
		p.pages[path.Base(f)] = t
	}
	return p, nil
}

// MustParsePages is ParsePages for package-level templates, which are
// part of the binary: a mistake in one is a bug found by any test.
func MustParsePages(fsys fs.FS, funcs template.FuncMap, patterns ...string) *Pages {
	p, err := ParsePages(fsys, funcs, patterns...)
	if err != nil {
		panic(err)
	}
	return p
}

// Render writes page with data through the layout, with status; the
// page is rendered to a buffer first so that an error is a clean 500.
func (p *Pages) Render(w http.ResponseWriter, status int, page string, data any) error {
	t, ok := p.pages[page]
	if !ok {
		http.Error(w, "页面出错了，请稍后再试", http.StatusInternalServerError)
		return fmt.Errorf("web: no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "页面出错了，请稍后再试", http.StatusInternalServerError)
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// Has reports whether page exists.
func (p *Pages) Has(page string) bool { _, ok := p.pages[page]; return ok }

// QRPNG writes a QR code of content as a PNG of size pixels (0: 256).
func QRPNG(w http.ResponseWriter, content string, size int) {
	if size <= 0 {
		size = 256
	}
	png, err := qrcode.Encode(content, qrcode.Medium, size)
	if err != nil {
		http.Error(w, "二维码内容有误", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(png)
}
