// Package redistest gives tests a Redis to run against: the real server
// named by TONGXIN_TEST_REDIS_URL when it is set, an in-process miniredis
// otherwise.
//
// Tests on a real server share it with other packages' tests, so each test
// gets a random key prefix and removes its own keys afterwards; nothing here
// ever flushes a database.
package redistest

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Environment variables read by this package.
const (
	// EnvURL names the real Redis to test against (redis://host:port/db).
	EnvURL = "TONGXIN_TEST_REDIS_URL"
	// EnvRequire, set to 1 (as in CI), turns a missing EnvURL into a test
	// failure instead of a fallback or skip.
	EnvRequire = "TONGXIN_TEST_REQUIRE_SERVICES"
)

// New returns a client, a key prefix of the test's own and a function that
// lets time pass for key expiry: the real server of EnvURL when set (advance
// sleeps), a fresh miniredis otherwise (advance fast-forwards its clock).
// With EnvRequire=1 and no EnvURL the test fails.
func New(t testing.TB) (client *redis.Client, prefix string, advance func(time.Duration)) {
	t.Helper()
	if os.Getenv(EnvURL) != "" {
		return Real(t)
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s=1 but %s is not set", EnvRequire, EnvURL)
	}
	mr, c := Miniredis(t)
	return c, randomPrefix(), mr.FastForward
}

// Real is New without the fallback: it skips the test when EnvURL is not set
// (fails it with EnvRequire=1), for tests meant to exercise a real server in
// addition to miniredis.
func Real(t testing.TB) (client *redis.Client, prefix string, advance func(time.Duration)) {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s=1 but %s is not set", EnvRequire, EnvURL)
		}
		t.Skipf("%s not set", EnvURL)
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvURL, err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s does not answer: %v", opt.Addr, err)
	}
	prefix = randomPrefix()
	// Registered after Close, so it runs before it.
	t.Cleanup(func() {
		if err := DeletePrefix(context.Background(), c, prefix); err != nil {
			t.Errorf("clean up test keys: %v", err)
		}
	})
	return c, prefix, time.Sleep
}

// Miniredis starts a miniredis for this test alone and returns it with a
// client to it, for tests that need to look inside the server or steer its
// clock.
func Miniredis(t testing.TB) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { c.Close() })
	return mr, c
}

// DeletePrefix deletes every key starting with prefix, in batches, with SCAN
// rather than KEYS so a shared server is not blocked.
func DeletePrefix(ctx context.Context, c redis.UniversalClient, prefix string) error {
	iter := c.Scan(ctx, 0, globEscape(prefix)+"*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := c.Del(ctx, batch...).Err(); err != nil {
				return fmt.Errorf("redistest: delete keys: %w", err)
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("redistest: scan keys: %w", err)
	}
	if len(batch) > 0 {
		if err := c.Del(ctx, batch...).Err(); err != nil {
			return fmt.Errorf("redistest: delete keys: %w", err)
		}
	}
	return nil
}

func randomPrefix() string {
	return "tongxin-test:" + strings.ToLower(rand.Text()[:12]) + ":"
}

// globEscape quotes the characters SCAN MATCH treats as patterns.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
