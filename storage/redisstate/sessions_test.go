package redisstate_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/sessiontest"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

func TestSessionsContract(t *testing.T) {
	t.Parallel()
	t.Run("miniredis", func(t *testing.T) {
		sessiontest.Run(t, func(t *testing.T, ttl, draftTTL time.Duration) (bot.SessionStore, func(time.Duration)) {
			mr, c := redistest.Miniredis(t)
			return &redisstate.Sessions{Client: c, TTL: ttl, DraftTTL: draftTTL}, mr.FastForward
		})
	})
	t.Run("redis", func(t *testing.T) {
		sessiontest.Run(t, func(t *testing.T, ttl, draftTTL time.Duration) (bot.SessionStore, func(time.Duration)) {
			c, prefix, advance := redistest.Real(t)
			return &redisstate.Sessions{Client: c, Prefix: prefix, TTL: ttl, DraftTTL: draftTTL}, advance
		})
	})
}

func TestSessionsKeys(t *testing.T) {
	mr, c := redistest.Miniredis(t)
	st := &redisstate.Sessions{Client: c, TTL: time.Second, DraftTTL: time.Minute, NoticeTTL: time.Hour}
	if err := st.Save(t.Context(), &bot.Session{OpenID: "o1", Flow: "report"}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got := map[string]time.Duration{}
	for _, k := range mr.Keys() {
		got[k] = mr.TTL(k)
	}
	want := map[string]time.Duration{
		"tongxin:session:{o1}":         time.Minute,
		"tongxin:session-expired:{o1}": time.Minute + time.Hour,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys and TTLs mismatch (-want +got):\n%s", diff)
	}
}

func TestSessionsDropsUnreadable(t *testing.T) {
	tests := []struct {
		name   string
		stored string
	}{
		{name: "other schema version", stored: `{"v":2,"rev":4,"openid":"o1","flow":"repair"}`},
		{name: "no version", stored: `{"rev":4,"openid":"o1"}`},
		{name: "not json", stored: `v1|o1|repair`},
		{name: "wrong field type", stored: `{"v":1,"rev":4,"openid":"o1","answers":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, prefix, _ := redistest.New(t)
			st := &redisstate.Sessions{Client: c, Prefix: prefix, TTL: time.Minute}
			ctx := t.Context()
			// A marker from an earlier session must not turn the drop into
			// an expiry notice.
			if err := c.Set(ctx, prefix+"session-expired:{o1}", "1", time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.Set(ctx, prefix+"session:{o1}", tt.stored, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}

			s, expired, err := st.Load(ctx, "o1")
			if !errors.Is(err, bot.ErrNotFound) || expired || s != nil {
				t.Errorf("Load = %v, %v, %v; want nil, false, ErrNotFound", s, expired, err)
			}
			n, err := c.Exists(ctx, prefix+"session:{o1}", prefix+"session-expired:{o1}").Result()
			if err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d keys left after dropping an unreadable session, want 0", n)
			}
			_, expired, err = st.Load(ctx, "o1")
			if !errors.Is(err, bot.ErrNotFound) || expired {
				t.Errorf("second Load = %v, %v; want false, ErrNotFound", expired, err)
			}
		})
	}
}

func TestSessionsSaveOverUnreadable(t *testing.T) {
	tests := []struct {
		name   string
		stored string
	}{
		{name: "other schema version", stored: `{"v":2,"rev":4,"openid":"o1"}`},
		{name: "not json", stored: `garbage`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, prefix, _ := redistest.New(t)
			st := &redisstate.Sessions{Client: c, Prefix: prefix, TTL: time.Minute}
			if err := c.Set(t.Context(), prefix+"session:{o1}", tt.stored, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			s := &bot.Session{OpenID: "o1", Flow: "repair"}
			if err := st.Save(t.Context(), s); err != nil {
				t.Fatalf("Save from rev 0 over an unreadable value: %v", err)
			}
			got, _, err := st.Load(t.Context(), "o1")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(s, got); diff != "" {
				t.Errorf("session mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSessionsDefaultTTL(t *testing.T) {
	mr, c := redistest.Miniredis(t)
	st := &redisstate.Sessions{Client: c}
	if err := st.Save(t.Context(), &bot.Session{OpenID: "o1", Flow: "report"}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got := []time.Duration{mr.TTL("tongxin:session:{o1}"), mr.TTL("tongxin:session-expired:{o1}")}
	want := []time.Duration{bot.DraftTTL, bot.DraftTTL + redisstate.DefaultNoticeTTL}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TTLs mismatch (-want +got):\n%s", diff)
	}
	// Without a form: short-lived, and no marker.
	if err := st.Save(t.Context(), &bot.Session{OpenID: "o2", Held: []string{"media:m1"}}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got = []time.Duration{mr.TTL("tongxin:session:{o2}"), mr.TTL("tongxin:session-expired:{o2}")}
	if diff := cmp.Diff([]time.Duration{bot.SessionTTL, 0}, got); diff != "" {
		t.Errorf("TTLs without a form mismatch (-want +got):\n%s", diff)
	}
}
