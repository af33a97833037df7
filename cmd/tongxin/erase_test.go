package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/storagetest"
)

func TestEraseHelpDoesNothing(t *testing.T) {
	// A configuration that would not load: -h must not need one.
	getenv := func(k string) string {
		return map[string]string{"TONGXIN_DATABASE_URL": "mysql://nowhere", "TONGXIN_LOG_FORMAT": "xml"}[k]
	}
	for _, args := range [][]string{{"erase", "-h"}, {"erase", "--help"}, {"erase", "-openid", "oX", "-h"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, getenv, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if out := stdout.String(); !strings.Contains(out, "usage: tongxin erase -openid OPENID") || !strings.Contains(out, "-openid") {
			t.Errorf("%v printed:\n%s", args, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"erase"}, "-openid is required"},
		{[]string{"erase", "-openid", "o x"}, "openid"},
		{[]string{"erase", "-openid", "oX", "extra"}, `unexpected argument "extra"`},
		{[]string{"erase", "-bogus"}, "not defined"},
		{[]string{"erase", "-openid", "oX"}, "TONGXIN_DATABASE_URL"}, // only now is the configuration read
	} {
		err := run(context.Background(), c.args, getenv, strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
}

func TestEraseCommand(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		e := newEnv(t, dbURL)
		const (
			openid = "oEraseCLI_0123456789abcdefgh"
			other  = "oEraseAPI_0123456789abcdefgh"
		)
		// A resident with a profile and a conversation under way, stored
		// where the servers keep them.
		if err := run(ctx, []string{"migrate"}, e.getenv, nil, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		store, err := storage.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		for _, id := range []string{openid, other} {
			if err := store.SaveProfile(ctx, bot.Resident{OpenID: id, Name: "阿依古丽", Phone: "13800138000"}); err != nil {
				t.Fatal(err)
			}
		}
		opt, err := redis.ParseURL(e.vars["TONGXIN_REDIS_URL"])
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		sessions := &redisstate.Sessions{Client: rdb}
		// The last messages kept for 人工 go with the rest.
		recent := &redisstate.Recent{Client: rdb}
		for _, text := range []string{"你好", "我家在3号楼201"} {
			if err := recent.Remember(ctx, openid, text); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() { _, _ = recent.Forget(context.Background(), openid) })
		if err := sessions.Save(ctx, &bot.Session{OpenID: openid, Flow: "profile"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sessions.Delete(context.Background(), openid) })

		erase := func() string {
			t.Helper()
			var stdout bytes.Buffer
			if err := run(ctx, []string{"erase", "-openid", openid}, e.getenv, nil, &stdout, io.Discard); err != nil {
				t.Fatalf("erase: %v", err)
			}
			return stdout.String()
		}
		if out := erase(); !strings.Contains(out, "notifications=0 recent_messages=2 residents=1 ticket_notes=0 tickets=0") {
			t.Errorf("erase printed %q", out)
		}
		if _, err := store.Resident(ctx, openid); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("resident after erase: %v", err)
		}
		if kept, err := recent.Recent(ctx, openid); err != nil || len(kept) != 0 {
			t.Errorf("messages kept for 人工 after erase: %q, %v", kept, err)
		}
		if _, _, err := sessions.Load(ctx, openid); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("session after erase: %v", err)
		}
		if out := erase(); !strings.Contains(out, "residents=0") {
			t.Errorf("second erase printed %q", out)
		}
		audit, err := store.ListErasures(ctx, 10, 0)
		if err != nil || len(audit) != 2 || audit[0].Actor != "cli" {
			t.Errorf("audit = %+v, %v", audit, err)
		}

		// serve wires the same erasure behind the admin API.
		base := e.start(t)
		req, _ := http.NewRequest("DELETE", base+"/api/v1/residents/"+other, nil)
		req.Header.Set("Authorization", "Bearer "+e.vars["TONGXIN_ADMIN_TOKEN"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("DELETE through serve: %d", resp.StatusCode)
		}
		if _, err := store.Resident(ctx, other); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("resident after DELETE through serve: %v", err)
		}
	})
}
