package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/wechat"
)

const chatHelp = `Type a message and press Enter. Commands:
  /follow [SCENE]    follow the account (optionally from a QR scene, e.g. profile)
  /unfollow          unfollow
  /click KEY         tap a menu button (REPORT, EVENTS, LEGAL, MY)
  /scan SCENE        scan a QR code while following
  /image             send a photo
  /voice TEXT        send a voice message WeChat recognised as TEXT
  /location LAT LNG [LABEL]
  /as OPENID         continue as another resident
  /quit`

const chatUsage = `usage: tongxin chat [-openid OPENID] [-url URL] [-mode MODE]

A terminal WeChat: signs messages as WeChat's servers do, posts them to a
running tongxin serve and prints the replies. Run it with the server's
TONGXIN_* settings (its token and AES key sign the messages).

` + chatHelp

// chatCommand is a terminal WeChat: it signs messages like WeChat's
// servers do, posts them to a running server and prints the replies.
func chatCommand(ctx context.Context, inv *invocation) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	addr := fs.String("url", "", "webhook URL (default http://127.0.0.1<TONGXIN_HTTP_ADDR>/wechat)")
	openid := fs.String("openid", "o-chat-resident", "the resident's openid")
	// By default chat speaks the mode the server requires, so it works
	// against `tongxin serve` on the same configuration (safe with the
	// development defaults).
	modeName := fs.String("mode", "", "message mode: plain, compat or safe (default: the server's, TONGXIN_WECHAT_MODE)")
	if done, err := flags(fs, inv, chatUsage, false); done {
		return err
	}
	cfg, _, err := inv.load()
	if err != nil {
		return err
	}
	if *modeName == "" {
		*modeName = cfg.WeChat.MinMode()
	}
	mode, err := wechat.ParseMode(*modeName)
	if err != nil {
		return err
	}
	if *addr == "" {
		*addr = chatURL(cfg.HTTPAddr)
	}
	stdin, stdout := inv.stdin, inv.stdout
	sim := &wechat.Simulator{URL: *addr, AppID: cfg.WeChat.AppID, Token: cfg.WeChat.Token, AESKey: cfg.WeChat.AESKey, Mode: mode}
	fmt.Fprintf(stdout, "chatting with %s as %s (%s mode)\n%s\n", *addr, *openid, mode, chatHelp)
	in := bufio.NewScanner(stdin)
	for {
		fmt.Fprint(stdout, "\n你> ")
		if !in.Scan() {
			fmt.Fprintln(stdout)
			return in.Err()
		}
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		m, quit, err := chatMessage(line, openid)
		if err != nil {
			fmt.Fprintln(stdout, err)
			continue
		}
		if quit {
			return nil
		}
		if m == nil {
			continue
		}
		reply, status, err := sim.Send(ctx, *m)
		switch {
		case err != nil:
			fmt.Fprintln(stdout, "error:", err)
		case status != 200:
			fmt.Fprintln(stdout, "HTTP", status)
		case reply == "":
			fmt.Fprintln(stdout, "(no reply)")
		default:
			fmt.Fprintf(stdout, "同心> %s\n", strings.ReplaceAll(reply, "\n", "\n      "))
		}
	}
}

// chatURL is the webhook URL of a server listening on addr, as a client
// on the same machine reaches it.
func chatURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/wechat"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/wechat"
}

// chatMessage turns a typed line into the message to send; nil with no
// error means the line only changed local state.
func chatMessage(line string, openid *string) (m *wechat.SimMessage, quit bool, err error) {
	if !strings.HasPrefix(line, "/") {
		return &wechat.SimMessage{OpenID: *openid, Kind: bot.KindText, Text: line}, false, nil
	}
	f := strings.Fields(line)
	arg := strings.Join(f[1:], " ")
	ev := func(e bot.Event, key string) *wechat.SimMessage {
		return &wechat.SimMessage{OpenID: *openid, Kind: bot.KindEvent, Event: e, EventKey: key}
	}
	switch f[0] {
	case "/quit", "/exit":
		return nil, true, nil
	case "/follow":
		return ev(bot.EventSubscribe, arg), false, nil
	case "/unfollow":
		return ev(bot.EventUnsubscribe, ""), false, nil
	case "/click":
		return ev(bot.EventClick, arg), false, nil
	case "/scan":
		return ev(bot.EventScan, arg), false, nil
	case "/image":
		return &wechat.SimMessage{OpenID: *openid, Kind: bot.KindImage, PicURL: "http://127.0.0.1/chat.jpg", MediaID: "chat-media"}, false, nil
	case "/voice":
		return &wechat.SimMessage{OpenID: *openid, Kind: bot.KindVoice, MediaID: "chat-voice", Recognition: arg}, false, nil
	case "/location":
		if len(f) < 3 {
			return nil, false, fmt.Errorf("usage: /location LAT LNG [LABEL]")
		}
		lat, err1 := strconv.ParseFloat(f[1], 64)
		lng, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			return nil, false, fmt.Errorf("usage: /location LAT LNG [LABEL]")
		}
		return &wechat.SimMessage{OpenID: *openid, Kind: bot.KindLocation, Lat: lat, Lng: lng, Scale: 15, Label: strings.Join(f[3:], " ")}, false, nil
	case "/as":
		if arg == "" {
			return nil, false, fmt.Errorf("usage: /as OPENID")
		}
		*openid = arg
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("unknown command %s\n%s", f[0], chatHelp)
}
