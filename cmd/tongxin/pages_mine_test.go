package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// TestMinePagesServed opens /my/ on a running server as a resident in
// WeChat would: through the web authorisation of the (fake) API it is
// configured with, back to 我的; another resident's ticket number is a 404.
func TestMinePagesServed(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	base := e.start(t)
	e.fake.SetOAuthUser(newOpenID("mine"))
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Request.URL.String(), string(body)
	}
	code, last, body := get("/my")
	if code != http.StatusOK || last != base+"/my/" || !strings.Contains(body, "<h1>我的</h1>") {
		t.Fatalf("/my: %d at %s\n%s", code, last, body)
	}
	if n := e.fake.Count(wechattest.PathOAuthToken); n != 1 {
		t.Errorf("%d codes exchanged, want 1", n)
	}
	if code, _, _ := get("/my/tickets/2601019999"); code != http.StatusNotFound {
		t.Errorf("an unknown ticket: %d", code)
	}
}

// TestMenuMineLink: with TONGXIN_PUBLIC_URL the menu's 我的 opens the
// resident pages; the other buttons stay clicks.
func TestMenuMineLink(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	e.vars["TONGXIN_PUBLIC_URL"] = "https://tongxin.example.org"
	if _, err := config.Load(e.getenv); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"menu", "push"}, e.getenv, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests(wechattest.PathMenuCreate)
	if len(reqs) != 1 {
		t.Fatalf("menu/create called %d times", len(reqs))
	}
	type button struct {
		Type string   `json:"type"`
		Name string   `json:"name"`
		Key  string   `json:"key"`
		URL  string   `json:"url"`
		Sub  []button `json:"sub_button"`
	}
	var menu struct {
		Button []button `json:"button"`
	}
	if err := json.Unmarshal(reqs[0], &menu); err != nil {
		t.Fatal(err)
	}
	var all []button
	for _, b := range menu.Button {
		all = append(all, b)
		all = append(all, b.Sub...)
	}
	found := false
	for _, b := range all {
		switch {
		case b.Name == "我的信息":
			found = true
			if b.Type != "view" || b.URL != "https://tongxin.example.org/my/" || b.Key != "" {
				t.Errorf("我的信息: %+v", b)
			}
		case b.Key == "REPORT" && b.Type != "click":
			t.Errorf("REPORT: %+v", b)
		}
	}
	if !found {
		t.Errorf("no 我的信息 button: %s", reqs[0])
	}
}
