package wechat

import (
	"net/http"

	swcache "github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	swconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	swmessage "github.com/silenceper/wechat/v2/officialaccount/message"
)

// SDKEcho is the official-account server of silenceper/wechat's README
// (v2.1.10), echoing each text back, on the given credentials: the
// reference `tongxin bench -peer` measures the webhook against. It lives
// here because only this package may import the SDK. The account is built
// once, as a real service would; only GetServer is per request, as in the
// README.
//
// officialaccount.NewOfficialAccount is what the README's
// wechat.NewWechat().GetOfficialAccount(cfg) returns when cfg has a
// cache. The SDK's root package is not imported: it needs modules go.sum
// does not list (its payment API), and its init turns logrus to debug
// level on stdout.
func SDKEcho(appID, token, aesKey string, mode Mode) http.Handler {
	cfg := &swconfig.Config{
		AppID:     appID,
		AppSecret: "bench",
		Token:     token,
		Cache:     swcache.NewMemory(),
	}
	if mode != ModePlain {
		cfg.EncodingAESKey = aesKey
	}
	oa := officialaccount.NewOfficialAccount(cfg)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		server := oa.GetServer(r, w)
		server.SetMessageHandler(func(msg *swmessage.MixMessage) *swmessage.Reply {
			text := swmessage.NewText(msg.Content)
			return &swmessage.Reply{MsgType: swmessage.MsgTypeText, MsgData: text}
		})
		if err := server.Serve(); err != nil {
			return
		}
		_ = server.Send()
	})
}
