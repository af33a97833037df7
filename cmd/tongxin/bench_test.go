package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/alicebob/miniredis/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// benchJSON runs `tongxin bench -json args...` against url and returns its
// summary; stdout must hold nothing but the JSON.
func benchJSON(t *testing.T, url string, args ...string) benchSummary {
	t.Helper()
	args = append([]string{"bench", "-json", "-url", url, "-appid", wechattest.AppID, "-token", testToken,
		"-aes-key", testAESKey, "-admin-token", adminToken, "-duration", "2m", "-timeout", "1m"}, args...)
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("tongxin %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	var s benchSummary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("stdout is not the JSON summary: %v\n%s", err, stdout.String())
	}
	return s
}

// checkSane fails unless s counted exactly want messages, none failed, and
// its percentiles are positive and in order.
func checkSane(t *testing.T, s benchSummary, want int64) {
	t.Helper()
	if s.Messages != want {
		t.Errorf("%s %s: %d messages, want %d", s.Target, s.Scenario, s.Messages, want)
	}
	if s.Errors.Total != 0 {
		t.Errorf("%s %s: %+v errors, want none; samples: %q; latency %+v", s.Target, s.Scenario, s.Errors, s.Samples, s.LatencyMS)
	}
	if s.Rounds == 0 || s.MsgPerSec <= 0 {
		t.Errorf("%s %s: %d rounds at %.1f msg/s, want some", s.Target, s.Scenario, s.Rounds, s.MsgPerSec)
	}
	l := s.LatencyMS
	if !(0 < l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("%s %s: latency percentiles out of order: %+v", s.Target, s.Scenario, l)
	}
}

// TestBench plays every scenario briefly against an in-process server,
// in safe mode and (keyword) in plain, and the keyword load against the
// two peers: every message answered as the flow expects.
func TestBench(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	// Plain accepts every mode; the limiter stays on but never refuses.
	e.vars["TONGXIN_WECHAT_MODE"] = "plain"
	e.vars["TONGXIN_RATE_PER_MINUTE"] = "1000000"
	// What is checked is the bench, not the server's speed: on a busy
	// machine under -race a sign-up can pass the 4 s deadline, and the
	// "success" the webhook then answers would count as an error.
	e.vars["TONGXIN_HANDLER_TIMEOUT"] = "1m"
	url := e.start(t) + "/wechat"
	const n = 60
	for _, tc := range []struct{ scenario, mode string }{
		{"keyword", "plain"}, {"keyword", "safe"}, {"profile", "safe"}, {"request", "safe"},
		{"signup", "safe"}, {"mix", "safe"},
	} {
		t.Run(tc.scenario+"/"+tc.mode, func(t *testing.T) {
			s := benchJSON(t, url, "-scenario", tc.scenario, "-mode", tc.mode, "-n", "4", "-messages", strconv.Itoa(n))
			checkSane(t, s, n)
			if tc.scenario == "keyword" && s.Rounds != s.Messages {
				t.Errorf("keyword: %d rounds for %d messages, want one each", s.Rounds, s.Messages)
			}
			if s.Target != "tongxin" || s.Scenario != tc.scenario || s.Mode != tc.mode || s.Residents != 4 {
				t.Errorf("summary names %s %s %s %d residents, want tongxin %s %s 4", s.Target, s.Scenario, s.Mode, s.Residents, tc.scenario, tc.mode)
			}
			if len(s.Peers) != 0 || len(s.Ratios) != 0 {
				t.Errorf("peers ran without -peer: %+v", s.Peers)
			}
		})
	}

	// With -alternate the runs take turns; a flow cut at the end of one
	// turn must not meet the next turn's residents (profile, 10 messages a
	// resident a turn: one round and a cut one).
	t.Run("peer", func(t *testing.T) {
		for _, tc := range []struct{ scenario, mode string }{{"keyword", "plain"}, {"profile", "safe"}} {
			s := benchJSON(t, url, "-peer", "-alternate", "3", "-scenario", tc.scenario, "-mode", tc.mode, "-n", "2", "-messages", strconv.Itoa(n))
			checkSane(t, s, n)
			if len(s.Peers) != 2 || len(s.Ratios) != 2 {
				t.Fatalf("%s: %d peers and %d ratios, want 2 each", tc.mode, len(s.Peers), len(s.Ratios))
			}
			for i, p := range s.Peers {
				checkSane(t, p, n)
				if r := s.Ratios[i]; r.Peer != p.Target || r.Scenario != tc.scenario || r.MsgPerSec <= 0 || r.P99 <= 0 {
					t.Errorf("%s: ratio %+v against %s", tc.mode, r, p.Target)
				}
			}
			if s.Peers[0].Target != "silenceper" || s.Peers[1].Target != "net/http" {
				t.Errorf("%s: peers %s, %s; want silenceper, net/http", tc.mode, s.Peers[0].Target, s.Peers[1].Target)
			}
		}
	})

	// -peer-redis adds the echo making tongxin's two Redis round trips.
	t.Run("peer-redis", func(t *testing.T) {
		mr := miniredis.RunT(t)
		s := benchJSON(t, url, "-peer", "-peer-redis", "redis://"+mr.Addr()+"/0", "-scenario", "keyword", "-mode", "safe", "-n", "2", "-messages", strconv.Itoa(n))
		checkSane(t, s, n)
		if len(s.Peers) != 3 || s.Peers[2].Target != "silenceper+redis" {
			t.Fatalf("peers %+v, want a third, silenceper+redis", s.Peers)
		}
		checkSane(t, s.Peers[2], n)
		if keys := mr.Keys(); len(keys) == 0 {
			t.Error("the gated echo left nothing in Redis: it made no round trips")
		}
	})
}

// TestBenchCountsErrors points the bench at servers that answer wrongly:
// each kind of wrong answer is counted, none passes as a reply.
func TestBenchCountsErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		count   func(benchErrors) int64
	}{
		{"non-200", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) },
			func(e benchErrors) int64 { return e.Status }},
		{"success", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("success")) },
			func(e benchErrors) int64 { return e.Empty }},
		{"garbage", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<xml><Encrypt>nope")) },
			func(e benchErrors) int64 { return e.Decode }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			s := benchJSON(t, srv.URL+"/wechat", "-scenario", "keyword", "-mode", "safe", "-n", "2", "-messages", "10")
			if s.Messages != 10 || s.Errors.Total != 10 || tc.count(s.Errors) != 10 {
				t.Errorf("%d messages, errors %+v; want all 10 counted as %s", s.Messages, s.Errors, tc.name)
			}
			if len(s.Samples) == 0 {
				t.Error("no error samples")
			}
		})
	}

	// A real server whose answers are not what the steps expect: a
	// resident limited to one message a minute gets 发送得太快 after the
	// first, and every such reply is an unexpected one.
	e := newEnv(t, storagetest.SQLiteURL(t))
	e.vars["TONGXIN_RATE_PER_MINUTE"] = "1"
	url := e.start(t) + "/wechat"
	s := benchJSON(t, url, "-scenario", "keyword", "-mode", "safe", "-n", "2", "-messages", "10")
	if s.Errors.Unexpected != 8 || s.Errors.RateLimited != 8 || s.Rounds != 2 {
		t.Errorf("errors %+v, %d rounds; want 8 rate-limited replies and 2 good ones", s.Errors, s.Rounds)
	}
}

// TestBenchDecodeReply holds the bench's tag-finding decoder to the
// Simulator's: the same text out of what the webhook's codec encodes,
// escapes and split CDATA included, in plain and safe mode, and the same
// refusal of a tampered signature.
func TestBenchDecodeReply(t *testing.T) {
	codec, err := wechat.NewCodec(wechattest.AppID, testToken, testAESKey, wechat.ModePlain)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []wechat.Mode{wechat.ModePlain, wechat.ModeSafe} {
		sim := &wechat.Simulator{AppID: wechattest.AppID, Token: testToken, AESKey: testAESKey, Mode: mode}
		for _, text := range []string{"请回复数字：\n1 报修", "a]]>b <c> & \"d\" ]]]]>", "帮助"} {
			sr, err := sim.Build(wechat.SimMessage{OpenID: "o-dec", Text: "帮助"})
			if err != nil {
				t.Fatal(err)
			}
			in, err := codec.Decode(sr.Query, bytes.NewReader(sr.Body))
			if err != nil {
				t.Fatal(err)
			}
			body, err := codec.EncodeReply(in, bot.Text(text))
			if err != nil {
				t.Fatal(err)
			}
			encrypted := mode != wechat.ModePlain
			want, werr := sim.DecodeReply("o-dec", encrypted, body)
			got, gerr := decodeReply(sim, "o-dec", encrypted, body)
			if werr != nil || gerr != nil || got != want || got != text {
				t.Errorf("%s %q: decodeReply %q (%v), Simulator %q (%v)", mode, text, got, gerr, want, werr)
			}
			if _, err := decodeReply(sim, "o-other", encrypted, body); err == nil {
				t.Errorf("%s: a reply to o-dec decoded for o-other", mode)
			}
			if encrypted {
				bad := bytes.Replace(body, []byte("<MsgSignature>"), []byte("<MsgSignature>0"), 1)
				if _, err := decodeReply(sim, "o-dec", true, bad); err == nil || bytes.Equal(bad, body) {
					t.Errorf("%s: tampered MsgSignature accepted", mode)
				}
			}
		}
	}
}

// TestBenchHelp: bench answers -h like every command, without sending
// anything, and refuses what it cannot run before it starts.
func TestBenchHelp(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	getenv := func(k string) string { return map[string]string{"TONGXIN_ADMIN_TOKEN": adminToken}[k] }
	for _, args := range [][]string{{"bench", "-h"}, {"help", "bench"}, {"bench", "-url", srv.URL, "-scenario", "signup", "-h"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, getenv, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Errorf("%q: %v", args, err)
		}
		if !strings.Contains(stdout.String(), "usage: tongxin bench") || !strings.Contains(stdout.String(), "-peer") || stderr.Len() > 0 {
			t.Errorf("%q: stdout %q, stderr %q", args, stdout.String(), stderr.String())
		}
	}
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"help"}, getenv, nil, &stdout, &stdout); err != nil || !strings.Contains(stdout.String(), "bench") {
		t.Errorf("help lists no bench: %v %q", err, stdout.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-bogus"}, "not defined: -bogus"},
		{[]string{"-scenario", "dance"}, `-scenario "dance"`},
		{[]string{"-n", "0"}, "-n must be at least 1"},
		{[]string{"-mode", "loud"}, "parse mode"},
		{[]string{"-mode", "safe", "-aes-key", "short"}, "-aes-key"},
		{[]string{"now"}, `unexpected argument "now"`},
	} {
		args := append([]string{"bench", "-url", srv.URL + "/wechat", "-scenario", "signup"}, c.args...)
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, getenv, strings.NewReader(""), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error containing %q", c.args, err, c.want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("help or a refused flag sent %d requests", n)
	}
}
