package tongxin_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// modulePath is this module's import path; kept literal so a rename of the
// module forces a look at these rules.
const modulePath = "github.com/tongxin/tongxin"

// botForbidden are the packages the conversation core must never reach,
// directly or not: it must stay testable from a transcript, with no storage,
// HTTP, Redis or WeChat SDK behind it.
var botForbidden = []string{
	"github.com/silenceper/wechat",
	"github.com/redis/go-redis",
	"github.com/go-redis/redis",
	"github.com/alicebob/miniredis",
	"github.com/jmoiron/sqlx",
	"github.com/lib/pq",
	"modernc.org/sqlite",
	"net/http",
}

// riverClientOnly are the packages that build a River client (its drivers)
// or change its schema: only jobs/ may import them, so the process has one
// job queue with one owner. Others may still import river itself to write
// workers and job arguments.
var riverClientOnly = []string{
	"github.com/riverqueue/river/riverdriver",
	"github.com/riverqueue/river/rivermigrate",
}

// listedPackage is the part of `go list -json` output the rules need.
type listedPackage struct {
	ImportPath string
	Imports    []string
	DepOnly    bool
}

// TestImportDirection enforces DESIGN.md's "dependencies point inward" on the
// packages that exist now; a package that does not exist yet is simply not
// checked.
func TestImportDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-json=ImportPath,Imports,DepOnly", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	pkgs, err := decodePackages(out)
	if err != nil {
		t.Fatalf("decoding go list output: %v", err)
	}
	if !slices.ContainsFunc(pkgs, func(p listedPackage) bool { return !p.DepOnly && ours(p.ImportPath) }) {
		t.Fatalf("go list found no package of %s; is the test running at the module root?", modulePath)
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

func decodePackages(out []byte) ([]listedPackage, error) {
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs, nil
		}
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
}

// violations applies the layout rules to a package graph and describes each
// offending import, with the chain that leads to it when it is indirect.
func violations(pkgs []listedPackage) []string {
	graph := make(map[string][]string, len(pkgs))
	for _, p := range pkgs {
		graph[p.ImportPath] = p.Imports
	}
	var out []string
	for _, p := range pkgs {
		if p.DepOnly || !ours(p.ImportPath) {
			continue
		}
		path := p.ImportPath

		if within(path, "bot") {
			inBot := func(dep string) bool { return within(dep, "bot") }
			for _, chain := range reach(graph, path, inBot, func(dep string) bool {
				return (ours(dep) && !inBot(dep)) || matchesAny(dep, botForbidden)
			}) {
				out = append(out, describe(chain, "bot/ is the dependency-free core: it may import only bot/... of this module and none of the storage, HTTP, Redis or WeChat SDK packages"))
			}
		}

		if within(path, "config") {
			inConfig := func(dep string) bool { return within(dep, "config") }
			for _, chain := range reach(graph, path, inConfig, func(dep string) bool {
				return ours(dep) && !inConfig(dep)
			}) {
				out = append(out, describe(chain, "config/ is read by everyone and imports nothing of this module"))
			}
		}

		for _, imp := range p.Imports {
			if ours(imp) {
				// A conversation talks to other features only through their
				// ports (bot/<noun>) and shared parsing (bot/input), so that
				// each flow package stands alone.
				if flowPackage(path) && flowPackage(imp) && imp != path {
					out = append(out, describe([]string{path, imp}, "a flow package may not import another flow package: share through bot/input or a domain port in bot/<noun>"))
				}
				// The core and the domain ports know nothing of conversations.
				if within(path, "bot") && !within(path, "bot/flows") && within(imp, "bot/flows") && !testHelper(path) {
					out = append(out, describe([]string{path, imp}, "bot's core and domain ports (bot/<noun>) may not import bot/flows"))
				}
				// Storage keeps records; rules and notices belong to services.
				if within(path, "storage") && slices.ContainsFunc(services, func(s string) bool { return within(imp, s) }) {
					out = append(out, describe([]string{path, imp}, "storage may not import a service: services call storage, never the other way round"))
				}
				// The community is shared by every domain and depends on none.
				if within(path, "community") && slices.ContainsFunc(domainServices, func(s string) bool { return within(imp, s) }) {
					out = append(out, describe([]string{path, imp}, "community is shared by every domain and may not import one"))
				}
			}
			if within(path, "blobs") && ours(imp) && !within(imp, "blobs") && !within(imp, "bot") {
				out = append(out, describe([]string{path, imp}, "blobs/ keeps bytes for whoever asks: of this module it may import only bot/ (for its errors)"))
			}
			if within(path, "jobs") && ours(imp) && !within(imp, "jobs") && !within(imp, "storage") {
				out = append(out, describe([]string{path, imp}, "jobs/ runs the work of others and knows none of them: of this module it may import only storage/"))
			}
			if matchesAny(imp, riverClientOnly) && !within(path, "jobs") {
				out = append(out, describe([]string{path, imp}, "only jobs/ may build the River client or migrate its tables: register workers and tasks on jobs.Runner"))
			}
			if matchesAny(imp, []string{"github.com/silenceper/wechat"}) && !within(path, "wechat") {
				out = append(out, describe([]string{path, imp}, "only wechat/ may import the WeChat SDK, so its types do not leak"))
			}
			if ours(imp) && within(imp, "cmd") && !within(path, "cmd") {
				out = append(out, describe([]string{path, imp}, "cmd/ only wires everything; nothing imports it"))
			}
		}
	}
	return out
}

// reach walks the imports of from breadth-first and returns, for every
// package bad reports, the shortest import chain to it. It does not walk past
// a bad package, nor into a package skip reports (one checked on its own), so
// one wrong import is reported once, by the package that makes it, rather
// than once per package that depends on it.
func reach(graph map[string][]string, from string, skip, bad func(string) bool) [][]string {
	parent := map[string]string{from: ""}
	queue := []string{from}
	var chains [][]string
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, imp := range graph[cur] {
			if _, seen := parent[imp]; seen {
				continue
			}
			parent[imp] = cur
			if bad(imp) {
				var chain []string
				for p := imp; p != ""; p = parent[p] {
					chain = append(chain, p)
				}
				slices.Reverse(chain)
				chains = append(chains, chain)
				continue
			}
			if !skip(imp) {
				queue = append(queue, imp)
			}
		}
	}
	return chains
}

func describe(chain []string, rule string) string {
	msg := chain[0] + " imports " + chain[len(chain)-1]
	if len(chain) > 2 {
		msg += " (via " + strings.Join(chain, " -> ") + ")"
	}
	return msg + ": " + rule
}

func ours(path string) bool {
	return path == modulePath || strings.HasPrefix(path, modulePath+"/")
}

// within reports whether path is the module's directory dir or below it.
// services are the packages that own rules and transactions (each
// domain's service, the community, the outbox, the jobs runner, privacy,
// which runs every domain's erasure hook, and the copies of tickets'
// media); domainServices are the domains among them.
var (
	services       = []string{"community", "tickets", "activities", "clinic", "notify", "jobs", "privacy", "media"}
	domainServices = []string{"tickets", "activities", "clinic"}
)

// flowPackage reports whether path is one feature's conversation package,
// bot/flows/<verb>.
func flowPackage(path string) bool {
	return within(path, "bot/flows") && path != modulePath+"/bot/flows"
}

// testHelper reports whether path is a test-helper package (bottest,
// sessiontest, communitytest), which may wire anything its tests need.
func testHelper(path string) bool {
	return strings.HasSuffix(path, "test")
}

func within(path, dir string) bool {
	p := modulePath + "/" + dir
	return path == p || strings.HasPrefix(path, p+"/")
}

// matchesAny reports whether path is one of prefixes or a package below one,
// so that major-version suffixes (/v2, /v9) and sub-packages match too.
func matchesAny(path string, prefixes []string) bool {
	for _, pre := range prefixes {
		if path == pre || strings.HasPrefix(path, pre+"/") {
			return true
		}
	}
	return false
}

// TestImportRulesCatchViolations proves the rules fire, since a checker that
// never fails would pass on a broken layout too.
func TestImportRulesCatchViolations(t *testing.T) {
	m := modulePath
	pkgs := []listedPackage{
		{ImportPath: m + "/bot", Imports: []string{"context", m + "/bot/inner"}},
		{ImportPath: m + "/bot/inner", Imports: []string{"net/http", m + "/storage"}},
		{ImportPath: m + "/bot/flows", Imports: []string{m + "/bot", "github.com/redis/go-redis/v9"}},
		{ImportPath: m + "/bot/ok", Imports: []string{m + "/bot", "strings", "net/httpish"}},
		{ImportPath: m + "/bot/viathirdparty", Imports: []string{m + "/bot/ok", "example.com/lib"}},
		{ImportPath: m + "/config", Imports: []string{m + "/bot"}},
		{ImportPath: m + "/storage", Imports: []string{m + "/bot", "github.com/jmoiron/sqlx", m + "/cmd/tongxin/wire"}},
		{ImportPath: m + "/handlers", Imports: []string{"github.com/silenceper/wechat/v2/officialaccount"}},
		{ImportPath: m + "/wechat", Imports: []string{"github.com/silenceper/wechat/v2"}},
		{ImportPath: m + "/wechat/crypt", Imports: []string{"github.com/silenceper/wechat/v2/util"}},
		{ImportPath: m + "/cmd/tongxin", Imports: []string{m + "/cmd/tongxin/wire", m + "/handlers"}},
		{ImportPath: m + "/cmd/tongxin/wire"},
		{ImportPath: m + "/bot/flows/report", Imports: []string{m + "/bot", m + "/bot/flows", m + "/bot/flows/profile"}},
		{ImportPath: m + "/bot/flows/profile", Imports: []string{m + "/bot", m + "/bot/input"}},
		{ImportPath: m + "/bot/ticket", Imports: []string{m + "/bot/flows/report"}},
		{ImportPath: m + "/storage/redisstate", Imports: []string{m + "/tickets"}},
		{ImportPath: m + "/community", Imports: []string{m + "/storage", m + "/tickets"}},
		{ImportPath: m + "/tickets", Imports: []string{m + "/community", m + "/notify"}},
		{ImportPath: m + "/jobs", Imports: []string{m + "/storage", m + "/notify", "github.com/riverqueue/river/riverdriver/riversqlite", "github.com/riverqueue/river/rivermigrate"}},
		{ImportPath: m + "/notify", Imports: []string{m + "/jobs", "github.com/riverqueue/river", "github.com/riverqueue/river/riverdriver/riverdatabasesql"}},
		{ImportPath: m + "/blobs", Imports: []string{m + "/bot", m + "/storage"}},
		{ImportPath: m + "/storage/blobkeys", Imports: []string{m + "/media"}},
		{ImportPath: "context", DepOnly: true},
		{ImportPath: "net/httpish", DepOnly: true},
		{ImportPath: "example.com/lib", DepOnly: true, Imports: []string{"strings", "net/http"}},
		{ImportPath: "net/http", DepOnly: true, Imports: []string{"context"}},
		{ImportPath: "github.com/redis/go-redis/v9", DepOnly: true, Imports: []string{"net"}},
		{ImportPath: "github.com/jmoiron/sqlx", DepOnly: true},
		{ImportPath: "github.com/silenceper/wechat/v2", DepOnly: true, Imports: []string{"net/http"}},
	}
	got := violations(pkgs)
	want := []string{
		m + "/bot/viathirdparty imports net/http (via " + m + "/bot/viathirdparty -> example.com/lib -> net/http):",
		m + "/bot/inner imports net/http:",
		m + "/bot/inner imports " + m + "/storage:",
		m + "/bot/flows imports github.com/redis/go-redis/v9:",
		m + "/config imports " + m + "/bot:",
		m + "/storage imports " + m + "/cmd/tongxin/wire:",
		m + "/handlers imports github.com/silenceper/wechat/v2/officialaccount:",
		m + "/bot/flows/report imports " + m + "/bot/flows/profile:",
		m + "/bot/ticket imports " + m + "/bot/flows/report:",
		m + "/storage/redisstate imports " + m + "/tickets:",
		m + "/community imports " + m + "/tickets:",
		m + "/jobs imports " + m + "/notify:",
		m + "/notify imports github.com/riverqueue/river/riverdriver/riverdatabasesql:",
		m + "/blobs imports " + m + "/storage:",
		m + "/storage/blobkeys imports " + m + "/media:",
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(v string) bool { return strings.HasPrefix(v, w) }) {
			t.Errorf("no violation starting %q", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}

// TestEveryFlowRegisters holds each feature to the one way of joining the
// bot: a package bot/flows/<verb> declares
// func Register(r *bot.Router, d flows.Deps) error.
func TestEveryFlowRegisters(t *testing.T) {
	dirs, err := filepath.Glob("bot/flows/*")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		found++
		if !declaresRegister(t, dir) {
			t.Errorf("%s: no func Register(r *bot.Router, d flows.Deps) error; every feature joins the bot through one", dir)
		}
	}
	if found == 0 {
		t.Fatal("no flow packages under bot/flows")
	}
}

func declaresRegister(t *testing.T, dir string) bool {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Name.Name != "Register" {
				continue
			}
			var params []string
			for _, p := range fn.Type.Params.List {
				for range max(1, len(p.Names)) {
					params = append(params, types(p.Type))
				}
			}
			res := fn.Type.Results
			return slices.Equal(params, []string{"*bot.Router", "flows.Deps"}) &&
				res != nil && len(res.List) == 1 && types(res.List[0].Type) == "error"
		}
	}
	return false
}

// types renders a parameter type as written: *bot.Router, flows.Deps.
func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "*" + types(e.X)
	case *ast.SelectorExpr:
		return types(e.X) + "." + e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return "?"
}

// TestRegisterCheckCatchesMismatches proves declaresRegister can fail.
func TestRegisterCheckCatchesMismatches(t *testing.T) {
	for src, want := range map[string]bool{
		"package x\nfunc Register(r *bot.Router, d flows.Deps) error { return nil }\n":           true,
		"package x\nfunc Register(r *bot.Router, svc ticket.Service) error { return nil }\n":     false,
		"package x\nfunc (d *desk) Register(r *bot.Router, d flows.Deps) error { return nil }\n": false,
		"package x\nfunc New() {}\n": false,
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := declaresRegister(t, dir); got != want {
			t.Errorf("declaresRegister(%q) = %v, want %v", src, got, want)
		}
	}
}
