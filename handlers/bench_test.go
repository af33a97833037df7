package handlers_test

import (
	"context"
	"testing"
	"time"

	"github.com/tongxin/tongxin/wechat"
)

// BenchmarkWebhook measures one signed message through the whole webhook:
// decode, de-duplication claim, rate limit, resident lock, bot, stored
// reply, encode. Run: go test -run '^$' -bench Webhook ./handlers/
func BenchmarkWebhook(b *testing.B) {
	for _, mode := range []wechat.Mode{wechat.ModePlain, wechat.ModeSafe} {
		b.Run(mode.String(), func(b *testing.B) {
			r := newRig(b, &counter{})
			in := r.start(4 * time.Second)
			sim := in.sim(mode)
			b.ResetTimer()
			for i := range b.N {
				_, status, err := sim.Send(context.Background(), wechat.SimMessage{OpenID: "o-bench", Text: "你好", MsgID: int64(i + 1)})
				if err != nil || status != 200 {
					b.Fatalf("status %d, %v", status, err)
				}
			}
		})
	}
}
