package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
)

// tripCounter is a go-redis hook counting round trips (a command or a
// pipeline each) made on behalf of webhook requests: calls whose context
// came from the HTTP server. Background work (jobs, token refresh, lock
// renewal) is not counted.
type tripCounter struct {
	mu    sync.Mutex
	trips int
	cmds  []string
}

func (c *tripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *tripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.count(ctx, cmd.Name())
		return next(ctx, cmd)
	}
}

func (c *tripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		names := make([]string, len(cmds))
		for i, cmd := range cmds {
			names[i] = cmd.Name()
		}
		c.count(ctx, "pipeline("+strings.Join(names, " ")+")")
		return next(ctx, cmds)
	}
}

func (c *tripCounter) count(ctx context.Context, what string) {
	if ctx.Value(http.ServerContextKey) == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trips++
	c.cmds = append(c.cmds, what)
}

func (c *tripCounter) take() (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, cmds := c.trips, c.cmds
	c.trips, c.cmds = 0, nil
	return n, cmds
}

// TestTwoRedisRoundTripsPerMessage holds the hot path to its budget: one
// round trip to Redis before the bot and one after, for a keyword reply
// and for each step of a service request, counted at the go-redis client
// of a real `serve` (SQLite, the embedded Redis's code path or the real
// one).
func TestTwoRedisRoundTripsPerMessage(t *testing.T) {
	counter := &tripCounter{}
	redisHook = counter
	t.Cleanup(func() { redisHook = nil })
	e := newEnv(t, storagetest.SQLiteURL(t))
	e.vars["TONGXIN_QUIET_HOURS"] = "off"
	base := e.start(t)
	sim := e.sim(base, wechat.ModeSafe)
	openid := newOpenID("trips")
	// Warm up: the first message of a resident loads what every later
	// one finds ready (scripts are loaded at start-up).
	say(t, sim, wechat.SimMessage{OpenID: openid, Text: "你好"})
	counter.take()

	steps := []struct{ what, text string }{
		{"keyword reply", "帮助"},
		{"keyword again", "帮助"},
		{"flow start", "报修"},
		{"flow step: category", "1"},
		{"flow step: description", "楼道灯不亮了"},
		{"flow step: photos", "跳过"},
		{"flow step: address", "3号楼2单元201"},
		{"flow step: phone", "13800138000"},
		{"flow step: confirm", "1"},
		{"after the flow", "我的诉求"},
		{"understood words", "电梯坏了"},
		{"flow step: cancel", "取消"},
	}
	for _, s := range steps {
		reply := say(t, sim, wechat.SimMessage{OpenID: openid, Text: s.text})
		n, cmds := counter.take()
		t.Logf("%s (%q → %.40q…): %d round trips %v", s.what, s.text, reply, n, cmds)
		if n > 2 {
			t.Errorf("%s: %d Redis round trips, want at most 2: %v", s.what, n, cmds)
		}
	}
}
