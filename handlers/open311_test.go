package handlers_test

import (
	"encoding/json"
	"net/url"
	"testing"
)

// TestServerMountsOpen311 checks the wiring only: the Server serves
// package open311 under /open311/v2/ with its Open311Key, outside the
// admin token. What Open311 answers is tested in its own package.
func TestServerMountsOpen311(t *testing.T) {
	r := newTicketRig(t)
	r.community()
	code, _, raw := r.do("GET", "/open311/v2/services.json", nil, false)
	var services []map[string]any
	if err := json.Unmarshal(raw, &services); code != 200 || err != nil || len(services) != len(r.svc.Categories()) {
		t.Errorf("GET services.json: %d %s", code, raw)
	}
	form := url.Values{"service_code": {"repair"}, "address_id": {"3"}, "description": {"灯坏了"}}
	for key, want := range map[string]int{"": 403, "wrong": 403, open311Key: 201} {
		form.Set("api_key", key)
		if code, _, raw := r.do("POST", "/open311/v2/requests.json", form, false); code != want {
			t.Errorf("POST with api_key %q: %d %s, want %d", key, code, raw, want)
		}
	}
	if code, _, raw := r.do("GET", "/open311/v2/requests/123.xml", nil, false); code != 400 {
		t.Errorf("GET an .xml form: %d %s, want Open311's 400", code, raw)
	}
}
