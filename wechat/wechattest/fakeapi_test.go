package wechattest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
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

func TestFakeAPITemplateDeduplication(t *testing.T) {
	f := wechattest.NewFakeAPI(t)
	tok, _ := token(t, f, wechattest.AppID, wechattest.Secret)["access_token"].(string)
	tmpl := f.URL() + wechattest.PathTemplate + "?access_token=" + tok
	body := `{"touser":"o1","template_id":"T","url":"https://x/1","data":{"thing1":{"value":"报修已完成"}},"client_msg_id":"k1"}`
	first := post(t, tmpl, body)
	again := post(t, tmpl, body)
	if errcode(again) != 0 || again["msgid"] != first["msgid"] {
		t.Errorf("repeat answered %v, first %v", again, first)
	}
	// The id is per recipient, and sends without one are never merged.
	other := post(t, tmpl, `{"touser":"o2","template_id":"T","data":{},"client_msg_id":"k1"}`)
	plain1 := post(t, tmpl, `{"touser":"o1","template_id":"T","data":{}}`)
	plain2 := post(t, tmpl, `{"touser":"o1","template_id":"T","data":{}}`)
	if other["msgid"] == first["msgid"] || plain1["msgid"] == plain2["msgid"] {
		t.Errorf("distinct sends merged: %v %v %v", other, plain1, plain2)
	}
	if n := f.Count(wechattest.PathTemplate); n != 4 {
		t.Errorf("Count = %d, want 4", n)
	}
	if n := len(f.Requests(wechattest.PathTemplate)); n != 4 {
		t.Errorf("Requests = %d, want 4", n)
	}
	sends := f.WaitTemplateSends(t, 4, time.Minute)
	want := wechattest.TemplateSend{ToUser: "o1", TemplateID: "T", URL: "https://x/1", ClientMsgID: "k1", Data: map[string]string{"thing1": "报修已完成"}}
	if got := sends[0]; got.ToUser != want.ToUser || got.TemplateID != want.TemplateID || got.URL != want.URL ||
		got.ClientMsgID != want.ClientMsgID || len(got.Data) != 1 || got.Data["thing1"] != "报修已完成" {
		t.Errorf("TemplateSends[0] = %+v, want %+v", got, want)
	}
	// Callers get copies.
	sends[0].Data["thing1"] = "changed"
	if f.TemplateSends()[0].Data["thing1"] != "报修已完成" {
		t.Error("TemplateSends shares its maps")
	}

	if m := post(t, tmpl, `{"touser":"","template_id":"T"}`); errcode(m) != 40003 {
		t.Errorf("no touser: %v", m)
	}
	if m := post(t, tmpl, `{"touser":"o1"}`); errcode(m) != 40037 {
		t.Errorf("no template_id: %v", m)
	}
	f.FailNext(wechattest.PathTemplate, 43004, 1)
	if m := post(t, tmpl, `{"touser":"o3","template_id":"T","client_msg_id":"k9"}`); errcode(m) != 43004 || !strings.HasPrefix(m["errmsg"].(string), "require subscribe") {
		t.Errorf("injected 43004: %v", m)
	}
	// A refused send does not burn its client_msg_id.
	if m := post(t, tmpl, `{"touser":"o3","template_id":"T","client_msg_id":"k9"}`); errcode(m) != 0 {
		t.Errorf("after 43004: %v", m)
	}
	if n := f.Count(wechattest.PathTemplate); n != 5 {
		t.Errorf("Count = %d, want 5", n)
	}
}

func TestFakeAPIDown(t *testing.T) {
	f := wechattest.NewFakeAPI(t)
	tok, _ := token(t, f, wechattest.AppID, wechattest.Secret)["access_token"].(string)
	f.FailNext(wechattest.PathCustomSend, 45015, 1)
	f.SetDown(true)
	q := url.Values{"grant_type": {"client_credential"}, "appid": {wechattest.AppID}, "secret": {wechattest.Secret}}
	for _, req := range []func() (*http.Response, error){
		func() (*http.Response, error) { return http.Get(f.URL() + wechattest.PathToken + "?" + q.Encode()) },
		func() (*http.Response, error) {
			return http.Post(f.URL()+wechattest.PathCustomSend+"?access_token="+tok, "application/json", strings.NewReader(`{}`))
		},
		func() (*http.Response, error) {
			return http.Post(f.URL()+wechattest.PathTemplate+"?access_token="+tok, "application/json", strings.NewReader(`{"touser":"o1","template_id":"T"}`))
		},
	} {
		resp, err := req()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || json.Valid(b) {
			t.Errorf("while down: %d %s", resp.StatusCode, b)
		}
	}
	if f.TokenFetches() != 1 || f.Count(wechattest.PathToken) != 1 || f.Count(wechattest.PathTemplate) != 0 {
		t.Errorf("something was accepted while down")
	}
	f.SetDown(false)
	// The injected fault was kept for after the outage.
	send := f.URL() + wechattest.PathCustomSend + "?access_token=" + tok
	if m := post(t, send, `{"touser":"o1","msgtype":"text","text":{"content":"x"}}`); errcode(m) != 45015 {
		t.Errorf("fault after outage: %v", m)
	}
	if m := post(t, send, `{"touser":"o1","msgtype":"text","text":{"content":"x"}}`); errcode(m) != 0 {
		t.Errorf("after outage: %v", m)
	}
	if n := f.Count(wechattest.PathCustomSend); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
}

func TestFakeAPIDelay(t *testing.T) {
	f := wechattest.NewFakeAPI(t)
	const d = 150 * time.Millisecond
	f.SetDelay(d)
	start := time.Now()
	token(t, f, wechattest.AppID, wechattest.Secret)
	if el := time.Since(start); el < d {
		t.Errorf("answered after %v, want at least %v", el, d)
	}
	f.SetDelay(0)
	start = time.Now()
	token(t, f, wechattest.AppID, wechattest.Secret)
	if el := time.Since(start); el >= d {
		t.Errorf("answered after %v with no delay", el)
	}

	// A client that gives up does not keep the handler (or Close) waiting.
	f.SetDelay(time.Hour)
	c := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := c.Get(f.URL() + wechattest.PathToken); err == nil {
		t.Error("request to a delayed fake did not time out")
	}
}

func TestFakeAPIConcurrentTemplates(t *testing.T) {
	f := wechattest.NewFakeAPI(t)
	tok, _ := token(t, f, wechattest.AppID, wechattest.Secret)["access_token"].(string)
	tmpl := f.URL() + wechattest.PathTemplate + "?access_token=" + tok
	f.FailNext(wechattest.PathTemplate, -1, 5)
	const n = 40
	var wg sync.WaitGroup
	ids := make(chan any, n)
	for i := range n {
		wg.Go(func() {
			// Every request twice under the same id: a burst of retries.
			body := fmt.Sprintf(`{"touser":"o%d","template_id":"T","client_msg_id":"k"}`, i%20)
			for {
				resp, err := http.Post(tmpl, "application/json", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				var m map[string]any
				err = json.NewDecoder(resp.Body).Decode(&m)
				_ = resp.Body.Close()
				if err != nil {
					t.Error(err)
					return
				}
				if errcode(m) == 0 {
					ids <- m["msgid"]
					return
				}
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[any]int{}
	for id := range ids {
		seen[id]++
	}
	if len(seen) != 20 || f.Count(wechattest.PathTemplate) != 20 || len(f.TemplateSends()) != 20 {
		t.Errorf("%d distinct msgids, Count %d, %d sends; want 20 each", len(seen), f.Count(wechattest.PathTemplate), len(f.TemplateSends()))
	}
}
