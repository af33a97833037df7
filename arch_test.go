package tongxin_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
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
		{ImportPath: m + "/jobs", Imports: []string{m + "/storage", m + "/notify", "github.com/riverqueue/river/riverdriver/riversqlite", "github.com/riverqueue/river/rivermigrate"}},
		{ImportPath: m + "/notify", Imports: []string{m + "/jobs", "github.com/riverqueue/river", "github.com/riverqueue/river/riverdriver/riverdatabasesql"}},
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
		m + "/jobs imports " + m + "/notify:",
		m + "/notify imports github.com/riverqueue/river/riverdriver/riverdatabasesql:",
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
