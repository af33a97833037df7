package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	swcache "github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	swconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	swmessage "github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/tongxin/tongxin/wechat"
)

// runPeers runs the keyword load against the two reference servers, each
// started here on a loopback port for the length of its run: what tongxin
// is measured against.
func runPeers(ctx context.Context, b *bencher) ([]benchSummary, error) {
	peers := []struct {
		name    string
		handler http.Handler
		check   replyCheck
		want    string
	}{
		// The echo answers 帮助 with 帮助, signed and encrypted as the
		// request was.
		{"silenceper", silenceperEcho(b.o), replyDecoded, "帮助"},
		{"net/http", http.HandlerFunc(bareEcho), replyRaw, ""},
	}
	var out []benchSummary
	for _, p := range peers {
		if ctx.Err() != nil {
			break
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("bench: peer %s: %w", p.name, err)
		}
		srv := &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		s := b.run(ctx, p.name, "http://"+ln.Addr().String()+"/wechat", "keyword", p.check, p.want)
		b.client.CloseIdleConnections()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		if err != nil {
			return nil, fmt.Errorf("bench: stop peer %s: %w", p.name, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// silenceperEcho is the officialaccount server of silenceper/wechat's
// README (v2.1.10), echoing the text, on the bench's credentials. The
// account is built once, as a real service would; only GetServer is per
// request, as in the README.
//
// officialaccount.NewOfficialAccount is what the README's
// wechat.NewWechat().GetOfficialAccount(cfg) returns when cfg has a
// cache. The root package is not imported: it needs modules go.sum does
// not list (its payment API), and its init turns logrus to debug level
// on stdout, which would print three lines a message into -json.
func silenceperEcho(o benchOptions) http.Handler {
	cfg := &swconfig.Config{
		AppID:     o.appID,
		AppSecret: "bench",
		Token:     o.token,
		Cache:     swcache.NewMemory(),
	}
	if o.mode != wechat.ModePlain {
		cfg.EncodingAESKey = o.aesKey
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

// bareEchoReply is the net/http echo's fixed answer: a passive text reply
// of about the size of tongxin's menu, so both move similar bytes.
var bareEchoReply = []byte(`<xml><ToUserName><![CDATA[o-bench]]></ToUserName><FromUserName><![CDATA[gh_tongxin0sim]]></FromUserName>` +
	`<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[请回复数字：1 报修/诉求 2 活动报名 3 法律咨询 4 我的信息]]></Content></xml>`)

// bareEcho reads the body and answers bareEchoReply: the floor of what
// any Go webhook costs (HTTP, no signature, no XML, no crypto).
func bareEcho(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(bareEchoReply)
}
