package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

func loadFile(t *testing.T, toml string) config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tongxin.toml")
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(k string) string {
		if k == config.EnvConfigFile {
			return path
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func ask(t *testing.T, r *bot.Router, text string) string {
	t.Helper()
	reply, err := r.Handle(context.Background(), &bot.Message{OpenID: "o-cfg", Kind: bot.KindText, Text: text})
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return reply.Text
}

// TestExampleConfigBuildsTheBot keeps the shipped example file working: its
// menu, keywords and replies must not collide with the built-in ones.
func TestExampleConfigBuildsTheBot(t *testing.T) {
	raw, err := os.ReadFile("../../config/tongxin.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadFile(t, string(raw))
	store := storagetest.Open(t)
	r, err := buildBot(cfg, &bot.MemorySessions{}, flows.Deps{Residents: store}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := ask(t, r, "停车"); !strings.Contains(got, "物业服务中心") {
		t.Errorf("configured reply: %q", got)
	}
	if got := ask(t, r, "物业电话"); !strings.Contains(got, "联系方式") {
		t.Errorf("the contact card: %q", got)
	}
	if got := ask(t, r, "你好"); !strings.Contains(got, "1 诉求报修") || !strings.Contains(got, "4 我的") {
		t.Errorf("configured menu labels: %q", got)
	}
	if got := ask(t, r, "律师"); !strings.Contains(got, "法律诊所预约") {
		t.Errorf("configured menu keyword: %q", got)
	}
	if got := ask(t, r, "个人信息"); !strings.Contains(got, "还没有登记") {
		t.Errorf("configured MY keyword: %q", got)
	}
	if got := ask(t, r, "我的社保怎么交"); !strings.Contains(got, "党群服务中心") {
		t.Errorf("configured contains reply: %q", got)
	}
	if got := ask(t, r, "5"); !strings.Contains(got, `<a href="https://`) {
		t.Errorf("configured menu link: %q", got)
	}
}

func TestConfigCollisionsFailAtStartup(t *testing.T) {
	for name, toml := range map[string]string{
		"reply shadows a command": "[bot.replies]\n\"取消\" = \"x\"\n",
		"reply shadows a keyword": "[bot.replies]\n\"登记\" = \"x\"\n",
		"menu keyword twice":      "[[bot.menu]]\nkey = \"MY\"\nlabel = \"我的\"\nkeywords = [\"登记\"]\n",
		"unknown menu key":        "[[bot.menu]]\nkey = \"SHOP\"\nlabel = \"商城\"\n",
	} {
		cfg := loadFile(t, toml)
		if _, err := buildBot(cfg, &bot.MemorySessions{}, flows.Deps{Residents: storagetest.Open(t)}, nil, slog.Default()); err == nil {
			t.Errorf("%s: the bot was built, want a start-up error", name)
		}
	}
}

// TestContainsReplies: the operator's half-match replies answer any message
// containing their word, after exact keywords, and the longest contained
// word wins whoever registered it.
func TestContainsReplies(t *testing.T) {
	cfg := loadFile(t, `
[bot.replies]
"停车" = "EXACT停车"

[bot.contains]
"停车位" = "CONTAINS停车位"
"社保" = "CONTAINS社保"
"社保卡" = "CONTAINS社保卡"
"维修基金" = "CONTAINS维修基金"
`)
	r, err := buildBot(cfg, &bot.MemorySessions{}, flows.Deps{Residents: storagetest.Open(t)}, nil, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ say, want string }{
		{"停车", "EXACT停车"},
		{"小区停车位怎么租", "CONTAINS停车位"},
		{"社保怎么交", "CONTAINS社保"},
		{"社保卡丢了", "CONTAINS社保卡"},
		// Longer than the report feature's 维修: the operator's answer.
		{"维修基金怎么查", "CONTAINS维修基金"},
		// Normalised as keywords are.
		{"  社保  ", "CONTAINS社保"},
	} {
		if got := ask(t, r, tc.say); got != tc.want {
			t.Errorf("%q answered %q, want %q", tc.say, got, tc.want)
		}
	}
}

// TestOperatorConfigFailsAtStartup: a word another part already uses, or
// words for an intent nobody registered, stop the start with an error
// naming the configuration key and what took the word.
func TestOperatorConfigFailsAtStartup(t *testing.T) {
	for name, tc := range map[string]struct{ toml, want string }{
		"contains a feature's word": {"[bot.contains]\n\"物业电话\" = \"x\"\n", `bot.contains "物业电话"`},
		"contains a command":        {"[bot.contains]\n\"人工\" = \"x\"\n", `bot.contains "人工": bot: keyword "人工" of contains keyword is already taken by global command`},
		"contains a menu keyword":   {"[[bot.menu]]\nkey = \"MY\"\nlabel = \"我的\"\nkeywords = [\"个人信息\"]\n[bot.contains]\n\"个人信息\" = \"x\"\n", `bot.contains "个人信息"`},
		"words for no intent":       {"[bot.words]\n\"report:plumbing\" = [\"水表\"]\n", `bot.words "report:plumbing"`},
		"link on a feature's key":   {"[[bot.menu]]\nkey = \"REPORT\"\nlabel = \"报修\"\nurl = \"https://jianlin.example.org/\"\n", "bot.menu[0]"},
	} {
		cfg := loadFile(t, tc.toml)
		_, err := buildBot(cfg, &bot.MemorySessions{}, flows.Deps{Residents: storagetest.Open(t)}, nil, slog.Default())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: buildBot error %v, want one containing %q", name, err, tc.want)
		}
	}
}

// TestOperatorWords: [bot.words] reaches the classifier of the intent it
// names.
func TestOperatorWords(t *testing.T) {
	// The feature intents need their services; the router's own
	// greeting takes operator words the same way.
	const word = "咕噜咕噜"
	build := func(toml string) *bot.Router {
		t.Helper()
		r, err := buildBot(loadFile(t, toml), &bot.MemorySessions{}, flows.Deps{Residents: storagetest.Open(t)}, nil, slog.Default())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	before, err := build("").Understand(word)
	if err != nil {
		t.Fatal(err)
	}
	after, err := build("[bot.words]\ngreeting = [\"" + word + "\"]\n").Understand(word)
	if err != nil {
		t.Fatal(err)
	}
	if before.Intent == "greeting" || after.Intent != "greeting" {
		t.Errorf("%q understood as %q without the operator's word and %q with it, want greeting only with it", word, before.Intent, after.Intent)
	}
}

// TestMenuLinkInTextMenu: a link entry is numbered like the others and
// answers with its link, chosen by number or keyword.
func TestMenuLinkInTextMenu(t *testing.T) {
	cfg := loadFile(t, `
[[bot.menu]]
key = "REPORT"
label = "诉求报修"

[[bot.menu]]
key = "GUIDE"
label = "办事指南"
url = "https://jianlin.example.org/guide?a=1&b=2"
keywords = ["办事指南"]
`)
	r, err := buildBot(cfg, &bot.MemorySessions{}, flows.Deps{Residents: storagetest.Open(t)}, nil, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if got := ask(t, r, "你好"); !strings.Contains(got, "2 办事指南") {
		t.Errorf("the numbered menu lacks the link entry: %q", got)
	}
	const want = `办事指南：<a href="https://jianlin.example.org/guide?a=1&b=2">点击打开</a>`
	for _, say := range []string{"2", "办事指南", "GUIDE"} {
		if got := ask(t, r, say); got != want {
			t.Errorf("%q answered %q, want %q", say, got, want)
		}
	}
	entries := r.MenuEntries()
	buttons := menuButtons(entries)
	if len(buttons) != 2 || buttons[1].Type != "view" || buttons[1].URL != "https://jianlin.example.org/guide?a=1&b=2" || buttons[1].Key != "" {
		t.Errorf("menu buttons: %+v", buttons)
	}
}

// TestMenuPushWithLinks publishes a menu with link entries to the fake
// WeChat API: links become "view" buttons, on the top level and under 更多.
func TestMenuPushWithLinks(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	path := filepath.Join(t.TempDir(), "tongxin.toml")
	if err := os.WriteFile(path, []byte(`
[[bot.menu]]
key = "REPORT"
label = "诉求报修"

[[bot.menu]]
key = "NEWS"
label = "社区公告"
url = "https://jianlin.example.org/news?a=1&b=2"

[[bot.menu]]
key = "EVENTS"
label = "活动报名"

[[bot.menu]]
key = "GUIDE"
label = "办事指南"
url = "https://jianlin.example.org/guide"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars[config.EnvConfigFile] = path
	if err := run(context.Background(), []string{"menu", "push"}, e.getenv, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests(wechattest.PathMenuCreate)
	if len(reqs) != 1 {
		t.Fatalf("menu/create called %d times", len(reqs))
	}
	type button struct {
		Type string   `json:"type,omitempty"`
		Name string   `json:"name"`
		Key  string   `json:"key,omitempty"`
		URL  string   `json:"url,omitempty"`
		Sub  []button `json:"sub_button,omitempty"`
	}
	var got struct {
		Button []button `json:"button"`
	}
	if err := json.Unmarshal(reqs[0], &got); err != nil {
		t.Fatal(err)
	}
	want := []button{
		{Type: "click", Name: "诉求报修", Key: "REPORT"},
		{Type: "view", Name: "社区公告", URL: "https://jianlin.example.org/news?a=1&b=2"},
		{Name: "更多", Sub: []button{
			{Type: "click", Name: "活动报名", Key: "EVENTS"},
			{Type: "view", Name: "办事指南", URL: "https://jianlin.example.org/guide"},
		}},
	}
	if diff := cmp.Diff(want, got.Button); diff != "" {
		t.Errorf("menu pushed mismatch (-want +got):\n%s\n%s", diff, reqs[0])
	}
}

// TestMenuPushRefusesLongLabels: a label WeChat would refuse is named
// before any call is made.
func TestMenuPushRefusesLongLabels(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	path := filepath.Join(t.TempDir(), "tongxin.toml")
	if err := os.WriteFile(path, []byte("[[bot.menu]]\nkey = \"NEWS\"\nlabel = \"社区公告与通知\"\nurl = \"https://jianlin.example.org/news\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars[config.EnvConfigFile] = path
	err := run(context.Background(), []string{"menu", "push"}, e.getenv, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"社区公告与通知" is 21 bytes`) {
		t.Errorf("menu push error %v, want the long label named", err)
	}
	if reqs := e.fake.Requests(wechattest.PathMenuCreate); len(reqs) != 0 {
		t.Errorf("menu/create called %d times", len(reqs))
	}
}

// TestOperatorWordWithABadWeightStopsTheStart: a word the classifier
// cannot read is a start-up error, not a failure of every message after.
func TestOperatorWordWithABadWeightStopsTheStart(t *testing.T) {
	cfg := loadFile(t, "[bot.words]\ngreeting = [\"咕噜:很多\"]\n")
	_, err := buildBot(cfg, &bot.MemorySessions{}, flows.Deps{Residents: storagetest.Open(t)}, nil, slog.Default())
	if err == nil || !strings.Contains(err.Error(), "bot.words") {
		t.Fatalf("buildBot with a bad weight: %v, want an error naming bot.words", err)
	}
}
