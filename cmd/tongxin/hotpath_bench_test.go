package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// BenchmarkHotPath measures one message through a real `serve` (SQLite,
// and the Redis of TONGXIN_TEST_REDIS_URL, else a miniredis), client and
// server in one process: a keyword reply, and a flow step (a wrong answer
// to the first step of a service request, asked again: the step's whole
// path without filing anything). Run with -benchmem to see allocations:
//
//	go test ./cmd/tongxin -run '^$' -bench HotPath -benchmem
func BenchmarkHotPath(b *testing.B) {
	for _, mode := range []wechat.Mode{wechat.ModePlain, wechat.ModeSafe} {
		e := newEnv(b, storagetest.SQLiteURL(b))
		e.vars["TONGXIN_QUIET_HOURS"] = "off"
		e.vars["TONGXIN_RATE_PER_MINUTE"] = "0"
		e.vars["TONGXIN_LOG_LEVEL"] = "error"
		e.vars["TONGXIN_WECHAT_MODE"] = "plain"
		base := e.start(b)
		sim := e.sim(base, mode)
		send := func(b *testing.B, openid, text string, want string) {
			reply, status, err := sim.Send(context.Background(), wechat.SimMessage{OpenID: openid, Text: text})
			if err != nil || status != 200 || !strings.Contains(reply, want) {
				b.Fatalf("%s: %d %v %q", text, status, err, reply)
			}
		}
		b.Run("keyword/"+mode.String(), func(b *testing.B) {
			openid := newOpenID("bench-kw")
			b.ReportAllocs()
			for b.Loop() {
				send(b, openid, "帮助", "报修")
			}
		})
		b.Run("flowstep/"+mode.String(), func(b *testing.B) {
			openid := newOpenID("bench-step")
			send(b, openid, "报修", "请选择")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				// A number out of range: the step answers and asks again.
				send(b, openid, fmt.Sprint(90+i%9), "")
			}
		})
	}
}
