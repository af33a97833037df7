package redisstate_test

import (
	"context"
	"testing"

	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/storage/redisstate/redistest"
)

func TestNoncesBindBodies(t *testing.T) {
	client, prefix, _ := redistest.New(t)
	n := &redisstate.Nonces{Client: client, Prefix: prefix}
	ctx := context.Background()
	check := func(sig, body string) bool {
		t.Helper()
		ok, err := n.Check(ctx, sig, "1764000000", "nonce1", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !check("sig1", "<xml>a</xml>") {
		t.Error("first use refused")
	}
	if !check("sig1", "<xml>a</xml>") {
		t.Error("a retry with the same body refused")
	}
	if check("sig1", "<xml>forged</xml>") {
		t.Error("another body under the same signature accepted")
	}
	if !check("sig2", "<xml>forged</xml>") {
		t.Error("another signature refused")
	}
}
