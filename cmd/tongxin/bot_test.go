package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/storage/storagetest"
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
