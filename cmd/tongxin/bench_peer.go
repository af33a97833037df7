package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/tongxin/tongxin/storage/redisstate"
	"github.com/tongxin/tongxin/wechat"
)

// benchPeer is a reference server the bench started, and how its
// answers to 帮助 are checked.
type benchPeer struct {
	name  string
	url   string
	check replyCheck
	want  string
}

// startPeers starts the two reference servers on loopback ports, for the
// keyword load tongxin is measured against; stop shuts them down.
func startPeers(o benchOptions) (peers []benchPeer, stop func() error, err error) {
	var servers []*http.Server
	var served []chan error
	var closers []func() error
	stop = func() error {
		var errs []error
		defer func() {
			for _, c := range closers {
				_ = c()
			}
		}()
		for i, srv := range servers {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			errs = append(errs, srv.Shutdown(ctx))
			cancel()
			if serr := <-served[i]; !errors.Is(serr, http.ErrServerClosed) {
				errs = append(errs, serr)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("bench: stop peers: %w", err)
		}
		return nil
	}
	type peer struct {
		name    string
		handler http.Handler
		check   replyCheck
		want    string
	}
	list := []peer{
		// The echo answers 帮助 with 帮助, signed and encrypted as the
		// request was.
		{"silenceper", silenceperEcho(o), replyDecoded, "帮助"},
		{"net/http", http.HandlerFunc(bareEcho), replyRaw, ""},
	}
	if o.peerRedis != "" {
		h, closeRedis, err := gatedEcho(o)
		if err != nil {
			return nil, nil, err
		}
		list = append(list, peer{"silenceper+redis", h, replyDecoded, "帮助"})
		closers = append(closers, closeRedis)
	}
	for _, p := range list {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("bench: peer %s: %w", p.name, err), stop())
		}
		srv := &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		servers, served = append(servers, srv), append(served, done)
		peers = append(peers, benchPeer{p.name, "http://" + ln.Addr().String() + "/wechat", p.check, p.want})
	}
	return peers, stop, nil
}

// silenceperEcho is silenceper/wechat's README echo server on the
// bench's credentials (wechat.SDKEcho: only package wechat imports the SDK).
func silenceperEcho(o benchOptions) http.Handler {
	return wechat.SDKEcho(o.appID, o.token, o.aesKey, o.mode)
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

// gatedEcho is silenceperEcho making, around each message, the two Redis
// round trips tongxin makes (redisstate.Gate: Begin before, Finish
// after), and nothing else of tongxin: no bot, no database. Its ratio to
// the plain echo is the most any webhook with tongxin's guarantees
// (retries acting once, one message of a resident at a time, the nonce
// binding, the rate limit) can reach on the machine; tongxin's own ratio
// is read against it.
func gatedEcho(o benchOptions) (http.Handler, func() error, error) {
	rdb, closeRedis, err := redisstate.Open(context.Background(), o.peerRedis)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: -peer-redis: %w", err)
	}
	g := &redisstate.Gate{Client: rdb, Sessions: &redisstate.Sessions{Client: rdb, Prefix: "tongxin-bench-peer:"},
		Limit: 1 << 30, Window: time.Minute}
	if err := g.Init(context.Background()); err != nil {
		_ = closeRedis()
		return nil, nil, err
	}
	echo := silenceperEcho(o)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		// The nonce is unique per message in the bench: it stands in for
		// the openid and the MsgId the echo does not decode.
		turn, err := g.Begin(r.Context(), redisstate.Arrival{
			OpenID: q.Get("nonce"), ID: q.Get("timestamp") + q.Get("nonce"),
			Signature: q.Get("signature"), Timestamp: q.Get("timestamp"), Nonce: q.Get("nonce"), Limit: true,
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		echo.ServeHTTP(w, r)
		_ = turn.Finish(context.WithoutCancel(r.Context()), true, []byte("echo"))
	}), closeRedis, nil
}
