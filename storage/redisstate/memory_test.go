package redisstate_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

// EnvMeasureMemory, set to a number of conversations (e.g. 20000), makes
// TestMemoryPerConversation store that many and log the bytes each costs,
// for docs/SCALING.md. Unset, the test stores a few, to keep the
// accounting from rotting without slowing the suite.
const EnvMeasureMemory = "TONGXIN_MEASURE_REDIS_MEMORY"

// messagesInWindow is how many messages a resident in the middle of a form
// sent in the last 11 minutes (the nonce TTL; dedup results live 10): one
// answer every minute or two, as a person types an address or takes a
// photo.
const messagesInWindow = 6

// TestMemoryPerConversation measures what one resident talking to the bot
// right now costs in Redis: the session of a half-filled service request
// (a few answers, frozen choices, a form put aside) with its expiry
// marker, the last messages kept for 人工, and per message a nonce binding
// and a stored reply, plus the rate counter and the lock while a message
// is processed. It writes them through the Gate and the bot's stores, as
// the webhook does, and reads MEMORY USAGE per key and INFO
// memory before and after.
func TestMemoryPerConversation(t *testing.T) {
	c, prefix, _ := redistest.Real(t)
	ctx := context.Background()
	n := 200
	measuring := false
	if v := os.Getenv(EnvMeasureMemory); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a positive number of conversations", EnvMeasureMemory, v)
		}
		measuring = true
	}

	before := usedMemory(t, c)
	writeConversations(t, ctx, c, prefix, n)
	after := usedMemory(t, c)

	kinds := keyUsage(t, ctx, c, prefix)
	want := map[string]int{
		"session": n, "session-expired": n, "recent": n,
		"nonce": n * messagesInWindow, "dedup": n * messagesInWindow,
		"rate": n, "lock": n,
	}
	// The lock lives only while a message is processed: it is reported
	// per key, not added to what a conversation keeps.
	var total int64
	names := make([]string, 0, len(kinds))
	for k, u := range kinds {
		names = append(names, k)
		if k != "lock" {
			total += u.bytes
		}
	}
	sort.Strings(names)
	for k, w := range want {
		if got := kinds[k].keys; got != w {
			t.Errorf("%s keys: got %d, want %d", k, got, w)
		}
	}
	if len(kinds) != len(want) {
		t.Errorf("key kinds: got %v, want those of %v", names, want)
	}
	perConv := float64(total) / float64(n)
	// A conversation holds a JSON session of several hundred bytes and
	// twenty-odd keys: less than 2 KB or more than 64 KB means the
	// accounting is broken, not that Redis got better or worse.
	if perConv < 2<<10 || perConv > 64<<10 {
		t.Errorf("MEMORY USAGE per conversation = %.0f bytes, outside any plausible range", perConv)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%d conversations, %d messages each in the nonce/dedup window\n", n, messagesInWindow)
	fmt.Fprintf(&b, "%-16s %8s %12s %14s\n", "kind", "keys", "bytes/key", "bytes/conv")
	for _, k := range names {
		u := kinds[k]
		fmt.Fprintf(&b, "%-16s %8d %12.0f %14.0f\n", k, u.keys, float64(u.bytes)/float64(u.keys), float64(u.bytes)/float64(n))
	}
	lock := kinds["lock"]
	fmt.Fprintf(&b, "MEMORY USAGE total per conversation, lock apart: %.0f bytes\n", perConv)
	fmt.Fprintf(&b, "INFO used_memory delta per conversation, lock included: %.0f bytes (server-wide: noisy on a shared server)\n", float64(after-before)/float64(n))
	fmt.Fprintf(&b, "a lock held while a message is processed: %.0f bytes\n", float64(lock.bytes)/float64(max(lock.keys, 1)))
	if measuring {
		t.Log("\n" + b.String())
	} else {
		t.Logf("small run (set %s=20000 to measure):\n%s", EnvMeasureMemory, b.String())
	}
}

// writeConversations stores n conversations under prefix, from a few
// goroutines so that a large n takes seconds.
func writeConversations(t *testing.T, ctx context.Context, c *redis.Client, prefix string, n int) {
	t.Helper()
	sessions := &redisstate.Sessions{Client: c, Prefix: prefix}
	// The webhook's Gate and the bot's stores, as serve wires them.
	gate := &redisstate.Gate{Client: c, Sessions: sessions, Limit: 20, Window: time.Minute}
	recent := &redisstate.Recent{Client: c, Prefix: prefix}
	locker := &redisstate.Locker{Client: c, Prefix: prefix}
	const workers = 16
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := writeConversation(ctx, i, gate, recent, locker); err != nil {
					errs <- fmt.Errorf("conversation %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// writeConversation stores what the webhook and the bot leave in Redis for
// resident i mid-way through a service request: each message a turn of
// the Gate (nonce binding, claim, rate count, lock, session) whose bot
// saves the session and remembers the text, and whose end stores the
// reply.
func writeConversation(ctx context.Context, i int, gate *redisstate.Gate, recent *redisstate.Recent, locker *redisstate.Locker) error {
	openid := fakeOpenID(i)
	for m := range messagesInWindow {
		// A signed query: a 40-hex signature, a Unix timestamp and WeChat's
		// ten-digit nonce; a MsgId of 19 digits.
		id := 7_000_000_000_000_000_000 + int64(i)*messagesInWindow + int64(m)
		sig := sha1.Sum([]byte(strconv.FormatInt(id, 10)))
		ts := strconv.FormatInt(1796100000+int64(i), 10)
		nonce := strconv.FormatInt(1000000000+id%8999999999, 10)
		turn, err := gate.Begin(ctx, redisstate.Arrival{
			OpenID: openid, ID: strconv.FormatInt(id, 10),
			Signature: hex.EncodeToString(sig[:]), Timestamp: ts, Nonce: nonce, Body: []byte("<xml>" + ts + "</xml>"),
			Limit: true,
		})
		if err != nil {
			return err
		}
		if turn.Admission != redisstate.Admitted || !turn.Locked() {
			return fmt.Errorf("message %d: admission %v, locked %v", m, turn.Admission, turn.Locked())
		}
		tctx := turn.Context(ctx)
		sess := midRequest(openid, i)
		if old, _, err := gate.Sessions.Load(tctx, openid); err == nil {
			sess.Rev = old.Rev
		}
		if err := gate.Sessions.Save(tctx, sess); err != nil {
			return err
		}
		if err := recent.Remember(tctx, openid, residentSaid[m%len(residentSaid)]); err != nil {
			return err
		}
		reply, err := json.Marshal(map[string]string{"text": botSaid[m%len(botSaid)]})
		if err != nil {
			return err
		}
		if err := turn.Finish(ctx, true, reply); err != nil {
			return err
		}
	}
	// The lock lives only while one message is processed (3 s, deleted at
	// the end): one is left here, at the Gate's key and with a TTL that
	// outlasts a large run, to be measured and counted apart.
	_, err := locker.Lock(ctx, "{"+openid+"}", 10*time.Minute)
	return err
}

// fakeOpenID has the shape of a real openid: 28 characters starting with o.
func fakeOpenID(i int) string { return fmt.Sprintf("oX3kT5%022d", i) }

// residentSaid is what the resident typed, kept for 人工 (bot.RecentKept).
var residentSaid = []string{"报修", "1", "楼道灯坏了，晚上看不见，老人上下楼不方便", "好了", "3号楼2单元201"}

// botSaid are replies stored for retries, as the webhook stores them.
var botSaid = []string{
	"您好，我来帮您登记诉求，社区工作人员会尽快处理。\n请选择问题类型：\n1 维修报修\n2 环境卫生\n3 矛盾纠纷\n4 帮就业\n5 帮救助\n6 帮找房\n7 帮就医\n8 意见建议\n请回复数字。",
	"请简单描述问题，打字或发语音都可以；也可以直接发照片。",
	"可以发现场照片（最多 6 张），发完请回复 好了；没有照片请回复 跳过。",
	"收到第 1 张照片。可以继续发，发完请回复 好了。",
	"问题在哪里？请回复楼栋房号（如 3号楼2单元201）或地点（如 小区东门），也可以发送位置。",
	"请留下联系电话（11 位手机号）。\n回复 1 使用 138****8000",
}

// midRequest is a resident's session half-way through 报修: four answers
// (a photo among them, with WeChat's long picture URL and its media ID), the
// remembered phone offered, and an event sign-up put aside with the events
// it showed still frozen as choices.
func midRequest(openid string, i int) *bot.Session {
	now := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	pic := "http://mmbiz.qpic.cn/mmbiz_jpg/Qd8dUibrT0sFq2VjYyEzv6bYbxX1c0bR7ibK4gqj3YDoMm1Vb0c8GJ3c2ZrWicOPia9k7YtpjNqpFicm2Qm4x2yK1bA/0"
	media := "media:6Dg2y8Yq0xK1o3jWkB9vJZcT4aRr5nHmLsPf7iUeQwEt-Xb2MhNdVpCzGy0kIa"
	return &bot.Session{
		OpenID: openid,
		Flow:   "report",
		Step:   "phone",
		Answers: map[string]bot.Answer{
			"category":    {Value: "repair", Display: "维修报修"},
			"description": {Value: "楼道灯坏了，晚上看不见，老人上下楼不方便"},
			"photos":      {Value: "1", Display: "1 张", Items: []string{media}},
			"where":       {Value: `{"t":"3号楼2单元201","b":3,"u":2,"r":"201"}`, Display: "3号楼2单元201"},
		},
		Suggested: &bot.Answer{Value: "13800138000", Display: "138****8000"},
		Key:       "XDM7HDLNA252DEFCIGCCYPIK4D",
		Data:      map[string]json.RawMessage{"photos": json.RawMessage(`["` + pic + `"]`)},
		Draft: &bot.Session{
			Flow: "signup",
			Step: "activity",
			Choices: []bot.Choice{
				{Value: "41", Label: "12月6日 重阳敬老包饺子（剩 8 位）"},
				{Value: "42", Label: "12月7日 少儿书法体验课（剩 3 位）"},
				{Value: "43", Label: "12月13日 反诈宣传讲座"},
				{Value: "44", Label: "12月14日 广场舞比赛报名"},
				{Value: "45", Label: "12月20日 冬季义诊"},
			},
			Key:       "Q4ZP7JX2M3NAKV6RCWYTBE5HLD",
			StartedAt: now.Add(-20 * time.Minute),
			UpdatedAt: now.Add(-19 * time.Minute),
		},
		StartedAt: now.Add(-4 * time.Minute),
		UpdatedAt: now,
	}
}

// usage is what the keys of one kind hold.
type usage struct {
	keys  int
	bytes int64
}

// keyUsage sums MEMORY USAGE (all samples) over the keys under prefix, by
// kind: the segment after the prefix (session, dedup, nonce, ...).
func keyUsage(t *testing.T, ctx context.Context, c *redis.Client, prefix string) map[string]usage {
	t.Helper()
	out := map[string]usage{}
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	flush := func() {
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.MemoryUsage(ctx, k, 0)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("MEMORY USAGE: %v", err)
		}
		for i, cmd := range cmds {
			kind, _, _ := strings.Cut(strings.TrimPrefix(batch[i], prefix), ":")
			u := out[kind]
			u.keys++
			u.bytes += cmd.(*redis.IntCmd).Val()
			out[kind] = u
		}
		batch = batch[:0]
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			flush()
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	flush()
	return out
}

// usedMemory reads used_memory from INFO memory.
func usedMemory(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatalf("INFO memory: %v", err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("used_memory %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("INFO memory has no used_memory")
	return 0
}
