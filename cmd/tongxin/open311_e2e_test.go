package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestConfiguredPublicCategory follows `public = true` from the config
// file to what Open311 publishes: an operator's own category marked
// public shows the description and coordinates, an unmarked one does not.
func TestConfiguredPublicCategory(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	cfgFile := filepath.Join(t.TempDir(), "tongxin.toml")
	const categories = `
[[tickets.categories]]
key = "noise"
name = "噪音扰民"
role = "duty"
response_hours = 4
resolve_hours = 8
public = true

[[tickets.categories]]
key = "legal_aid"
name = "法律援助"
role = "duty"
response_hours = 4
resolve_hours = 8
`
	if err := os.WriteFile(cfgFile, []byte(categories), 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars["TONGXIN_CONFIG_FILE"] = cfgFile
	e.vars["TONGXIN_OPEN311_API_KEY"] = "e2e-open311"
	base := e.start(t)

	const desc = "孙小红和房东打官司"
	published := func(code string) map[string]any {
		t.Helper()
		resp, err := http.PostForm(base+"/open311/v2/requests.json", url.Values{"api_key": {"e2e-open311"}, "service_code": {code},
			"address_string": {"公共区域：东门"}, "lat": {"39.7733"}, "long": {"98.2896"}, "description": {desc}})
		if err != nil {
			t.Fatal(err)
		}
		var filed []map[string]any
		err = json.NewDecoder(resp.Body).Decode(&filed)
		resp.Body.Close()
		if resp.StatusCode != 201 || err != nil || len(filed) != 1 {
			t.Fatalf("POST %s: %d %v %v", code, resp.StatusCode, filed, err)
		}
		resp, err = http.Get(base + "/open311/v2/requests/" + filed[0]["service_request_id"].(string) + ".json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var got []map[string]any
		if err := json.Unmarshal(raw, &got); err != nil || len(got) != 1 {
			t.Fatalf("GET %s request: %d %s", code, resp.StatusCode, raw)
		}
		if code == "legal_aid" && strings.Contains(string(raw), "孙小红") {
			t.Errorf("the request not public shows the description: %s", raw)
		}
		return got[0]
	}
	if got := published("legal_aid"); got["description"] == desc || got["lat"] != nil || got["long"] != nil {
		t.Errorf("legal_aid, not marked: %v, want no description or coordinates", got)
	}
	if got := published("noise"); got["description"] != desc || got["lat"] == nil {
		t.Errorf("noise, marked public: %v, want the description and coordinates", got)
	}
}

// TestOpen311RateLimit: the Open311 endpoints are public, so one address
// sending requests as fast as it can is answered 429, in Open311's error
// shape, once past TONGXIN_OPEN311_RATE_PER_MINUTE. The server sits
// behind a trusted proxy (this host), which names each client in
// X-Forwarded-For: a random documentation address per run, so runs
// sharing a Redis do not share a count, and a second address keeps its
// own allowance.
func TestOpen311RateLimit(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	e.vars["TONGXIN_OPEN311_RATE_PER_MINUTE"] = "5"
	e.vars["TONGXIN_TRUSTED_PROXIES"] = "127.0.0.1,::1"
	base := e.start(t)
	// Two /64s of their own, the second next to the first.
	a, b := rand.Uint32()&0xffff, rand.Uint32()&0xffff
	client, other := fmt.Sprintf("2001:db8:%x:%x::1", a, b), fmt.Sprintf("2001:db8:%x:%x::1", a, b^1)
	get := func(from string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+"/open311/v2/requests.json", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", from)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}
	codes := map[int]int{}
	var last []byte
	for range 8 {
		var code int
		code, last = get(client)
		codes[code]++
	}
	if codes[200] != 5 || codes[429] != 3 {
		t.Fatalf("8 requests from one address: %v, want 5 answered and 3 refused with 429", codes)
	}
	var body []map[string]any
	if err := json.Unmarshal(last, &body); err != nil || len(body) != 1 || body[0]["code"] != float64(429) {
		t.Errorf("429 body %s, want Open311's error array", last)
	}
	if code, raw := get(other); code != 200 {
		t.Errorf("another address: %d %s, want 200", code, raw)
	}
}
