package wechattest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/wechat/wechattest"
)

func get(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func post(t *testing.T, u, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v: %s", resp.StatusCode, err, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

func errcode(m map[string]any) int {
	f, _ := m["errcode"].(float64)
	return int(f)
}

func token(t *testing.T, f *wechattest.FakeAPI, appid, secret string) map[string]any {
	t.Helper()
	q := url.Values{"grant_type": {"client_credential"}, "appid": {appid}, "secret": {secret}}
	return get(t, f.URL()+wechattest.PathToken+"?"+q.Encode())
}

func TestFakeAPI(t *testing.T) {
	f := wechattest.NewFakeAPI(t)
	if m := token(t, f, "wxwrong", wechattest.Secret); errcode(m) != 40013 {
		t.Errorf("wrong appid: %v", m)
	}
	if m := token(t, f, wechattest.AppID, "wrong"); errcode(m) == 0 {
		t.Errorf("wrong secret: %v", m)
	}
	m := token(t, f, wechattest.AppID, wechattest.Secret)
	tok, _ := m["access_token"].(string)
	if tok == "" || m["expires_in"] != float64(7200) {
		t.Fatalf("token: %v", m)
	}
	if n := f.TokenFetches(); n != 1 {
		t.Errorf("TokenFetches = %d", n)
	}

	send := f.URL() + wechattest.PathCustomSend + "?access_token=" + tok
	tmpl := f.URL() + wechattest.PathTemplate + "?access_token=" + tok
	if m := post(t, f.URL()+wechattest.PathCustomSend+"?access_token=nope", `{}`); errcode(m) != 40001 {
		t.Errorf("unknown token: %v", m)
	}
	if m := post(t, send, `{"touser":"o1","msgtype":"text","text":{"content":"hi"}}`); errcode(m) != 0 {
		t.Errorf("send: %v", m)
	}
	if m := post(t, send, `not json`); errcode(m) != 47001 {
		t.Errorf("bad json: %v", m)
	}
	if m := post(t, tmpl, `{"touser":"o1","template_id":"t"}`); errcode(m) != 0 || m["msgid"] == nil {
		t.Errorf("template: %v", m)
	}

	f.FailNext(wechattest.PathCustomSend, 45015, 2)
	for range 2 {
		if m := post(t, send, `{"touser":"o1","msgtype":"text","text":{"content":"late"}}`); errcode(m) != 45015 {
			t.Errorf("injected fault: %v", m)
		}
	}
	f.ExpireTokens()
	if m := post(t, send, `{}`); errcode(m) != 40001 {
		t.Errorf("expired token: %v", m)
	}

	if got := f.WaitCustomTexts(t, 1, time.Minute); len(got) != 1 || got[0] != (wechattest.CustomText{ToUser: "o1", Content: "hi"}) {
		t.Errorf("CustomTexts = %v", got)
	}
	if n := len(f.Requests(wechattest.PathTemplate)); n != 1 {
		t.Errorf("template requests = %d", n)
	}
}
