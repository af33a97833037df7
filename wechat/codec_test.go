package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/wechat"
)

const (
	testAppID   = "wx0123456789fake"
	testToken   = "tongxin-token"
	testAESKey  = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testAccount = "gh_jianlin00001"
	testOpenID  = "oJianlin_resident_0001"
)

var testNow = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

func newCodec() *wechat.Codec {
	return &wechat.Codec{AppID: testAppID, Token: testToken, AESKey: testAESKey, Now: fixedNow}
}

func newSim(mode wechat.Mode) *wechat.Simulator {
	return &wechat.Simulator{
		URL:     "http://127.0.0.1:1/wechat",
		AppID:   testAppID,
		Token:   testToken,
		AESKey:  testAESKey,
		Mode:    mode,
		Account: testAccount,
		Now:     fixedNow,
	}
}

var modes = []wechat.Mode{wechat.ModePlain, wechat.ModeCompat, wechat.ModeSafe}

// decodeSim builds m with sim and decodes it with c, as the webhook would.
func decodeSim(t *testing.T, c *wechat.Codec, sim *wechat.Simulator, m wechat.SimMessage) (*wechat.Inbound, error) {
	t.Helper()
	req, err := sim.BuildRequest(context.Background(), m)
	if err != nil {
		t.Fatalf("BuildRequest: %v", err)
	}
	return c.Decode(req.URL.Query(), req.Body)
}

func TestDecodeRoundTrip(t *testing.T) {
	created := testNow.Add(-30 * time.Second)
	base := func(kind bot.Kind, id string) bot.Message {
		return bot.Message{ID: id, OpenID: testOpenID, Account: testAccount, Kind: kind, Time: created}
	}
	eventID := func(ev bot.Event, key string) string {
		return testOpenID + "|" + strconv.FormatInt(created.Unix(), 10) + "|" + string(ev) + "|" + key
	}
	tests := []struct {
		name string
		sim  wechat.SimMessage
		want func() bot.Message
	}{
		{
			name: "text",
			sim:  wechat.SimMessage{Kind: bot.KindText, Text: "我要报修 <水管> & ]]> 漏水", MsgID: 24601},
			want: func() bot.Message {
				m := base(bot.KindText, "24601")
				m.Text = "我要报修 <水管> & ]]> 漏水"
				return m
			},
		},
		{
			name: "default kind is text",
			sim:  wechat.SimMessage{Text: "你好", MsgID: 1},
			want: func() bot.Message { m := base(bot.KindText, "1"); m.Text = "你好"; return m },
		},
		{
			name: "image",
			sim:  wechat.SimMessage{Kind: bot.KindImage, PicURL: "http://mmbiz.qpic.cn/x.jpg", MediaID: "media_img", MsgID: 2},
			want: func() bot.Message {
				m := base(bot.KindImage, "2")
				m.PicURL, m.MediaID = "http://mmbiz.qpic.cn/x.jpg", "media_img"
				return m
			},
		},
		{
			name: "voice with recognition",
			sim:  wechat.SimMessage{Kind: bot.KindVoice, MediaID: "media_voice", Recognition: "报名参加活动", MsgID: 3},
			want: func() bot.Message {
				m := base(bot.KindVoice, "3")
				m.MediaID, m.Text = "media_voice", "报名参加活动"
				return m
			},
		},
		{
			name: "voice without recognition",
			sim:  wechat.SimMessage{Kind: bot.KindVoice, MediaID: "media_voice", MsgID: 4},
			want: func() bot.Message { m := base(bot.KindVoice, "4"); m.MediaID = "media_voice"; return m },
		},
		{
			name: "video",
			sim:  wechat.SimMessage{Kind: bot.KindVideo, MediaID: "media_video", MsgID: 5},
			want: func() bot.Message { m := base(bot.KindVideo, "5"); m.MediaID = "media_video"; return m },
		},
		{
			name: "shortvideo",
			sim:  wechat.SimMessage{Kind: bot.KindShortVideo, MediaID: "media_sv", MsgID: 6},
			want: func() bot.Message { m := base(bot.KindShortVideo, "6"); m.MediaID = "media_sv"; return m },
		},
		{
			name: "location",
			sim:  wechat.SimMessage{Kind: bot.KindLocation, Lat: 39.786529, Lng: 98.289152, Scale: 15, Label: "嘉峪关市建林社区", MsgID: 7},
			want: func() bot.Message {
				m := base(bot.KindLocation, "7")
				m.Location = &bot.Location{Lat: 39.786529, Lng: 98.289152, Scale: 15, Label: "嘉峪关市建林社区"}
				return m
			},
		},
		{
			name: "link",
			sim:  wechat.SimMessage{Kind: bot.KindLink, Title: "社区通知", Description: "停水", URL: "https://example.org/n?a=1&b=2", MsgID: 8},
			want: func() bot.Message {
				m := base(bot.KindLink, "8")
				m.Link = &bot.Link{Title: "社区通知", Description: "停水", URL: "https://example.org/n?a=1&b=2"}
				return m
			},
		},
		{
			name: "unknown type",
			sim:  wechat.SimMessage{Kind: "miniprogrampage", MsgID: 9},
			want: func() bot.Message { return base(bot.KindUnknown, "9") },
		},
		{
			name: "subscribe",
			sim:  wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventSubscribe},
			want: func() bot.Message {
				m := base(bot.KindEvent, eventID(bot.EventSubscribe, ""))
				m.Event = bot.EventSubscribe
				return m
			},
		},
		{
			name: "subscribe with scene",
			sim:  wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventSubscribe, EventKey: "grid_3"},
			want: func() bot.Message {
				m := base(bot.KindEvent, eventID(bot.EventSubscribe, "grid_3"))
				m.Event, m.EventKey = bot.EventSubscribe, "grid_3"
				return m
			},
		},
		{
			name: "unsubscribe",
			sim:  wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventUnsubscribe},
			want: func() bot.Message {
				m := base(bot.KindEvent, eventID(bot.EventUnsubscribe, ""))
				m.Event = bot.EventUnsubscribe
				return m
			},
		},
		{
			name: "scan keeps its key",
			sim:  wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventScan, EventKey: "grid_3"},
			want: func() bot.Message {
				m := base(bot.KindEvent, eventID(bot.EventScan, "grid_3"))
				m.Event, m.EventKey = bot.EventScan, "grid_3"
				return m
			},
		},
		{
			name: "click",
			sim:  wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventClick, EventKey: "MENU_REPAIR"},
			want: func() bot.Message {
				m := base(bot.KindEvent, eventID(bot.EventClick, "MENU_REPAIR"))
				m.Event, m.EventKey = bot.EventClick, "MENU_REPAIR"
				return m
			},
		},
		{
			name: "view",
			sim:  wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventView, EventKey: "https://example.org/clinic"},
			want: func() bot.Message {
				m := base(bot.KindEvent, eventID(bot.EventView, "https://example.org/clinic"))
				m.Event, m.EventKey = bot.EventView, "https://example.org/clinic"
				return m
			},
		},
		{
			name: "location event",
			sim:  wechat.SimMessage{Kind: bot.KindEvent, Event: bot.EventLocation, Lat: 39.8, Lng: 98.3},
			want: func() bot.Message {
				m := base(bot.KindEvent, eventID(bot.EventLocation, ""))
				m.Event = bot.EventLocation
				m.Location = &bot.Location{Lat: 39.8, Lng: 98.3}
				return m
			},
		},
		{
			name: "other event passes through",
			sim:  wechat.SimMessage{Kind: bot.KindEvent, Event: "TEMPLATESENDJOBFINISH"},
			want: func() bot.Message {
				m := base(bot.KindEvent, eventID("TEMPLATESENDJOBFINISH", ""))
				m.Event = "TEMPLATESENDJOBFINISH"
				return m
			},
		},
	}
	c := newCodec()
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				m := tt.sim
				m.OpenID = testOpenID
				m.CreateTime = created
				in, err := decodeSim(t, c, newSim(mode), m)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if in.Mode != mode {
					t.Errorf("Mode = %v, want %v", in.Mode, mode)
				}
				if diff := cmp.Diff(tt.want(), *in.Msg); diff != "" {
					t.Errorf("message mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestDecodeRandomMsgIDIsStableAcrossRetries(t *testing.T) {
	c := newCodec()
	for _, mode := range modes {
		sim := newSim(mode)
		req, err := sim.BuildRequest(context.Background(), wechat.SimMessage{OpenID: testOpenID, Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for range 2 {
			body, err := req.GetBody()
			if err != nil {
				t.Fatal(err)
			}
			in, err := c.Decode(req.URL.Query(), body)
			if err != nil {
				t.Fatalf("%v: Decode: %v", mode, err)
			}
			ids = append(ids, in.Msg.ID)
		}
		if ids[0] == "" || ids[0] == "0" || ids[0] != ids[1] {
			t.Errorf("%v: IDs of a retried delivery = %q", mode, ids)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	msg := wechat.SimMessage{OpenID: testOpenID, Text: "你好", MsgID: 42}
	type tc struct {
		name string
		mode wechat.Mode
		// build returns the query and body to decode.
		build func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte)
		codec func(c *wechat.Codec)
		want  error
	}
	built := func(t *testing.T, sim *wechat.Simulator, m wechat.SimMessage) *wechat.SimRequest {
		t.Helper()
		sr, err := sim.Build(m)
		if err != nil {
			t.Fatal(err)
		}
		return sr
	}
	var tests []tc
	for _, mode := range modes {
		tests = append(tests,
			tc{name: "wrong signature", mode: mode, want: wechat.ErrSignature,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, msg)
					sr.Query.Set("signature", strings.Repeat("0", 40))
					return sr.Query, sr.Body
				}},
			tc{name: "no signature", mode: mode, want: wechat.ErrSignature,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, msg)
					sr.Query.Del("signature")
					return sr.Query, sr.Body
				}},
			tc{name: "signed with another token", mode: mode, want: wechat.ErrSignature,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sim.Token = "someone-else"
					sr := built(t, sim, msg)
					return sr.Query, sr.Body
				}},
			tc{name: "stale timestamp", mode: mode, want: wechat.ErrReplay,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sim.Now = func() time.Time { return testNow.Add(-6 * time.Minute) }
					sr := built(t, sim, msg)
					return sr.Query, sr.Body
				}},
			tc{name: "future timestamp", mode: mode, want: wechat.ErrReplay,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sim.Now = func() time.Time { return testNow.Add(6 * time.Minute) }
					sr := built(t, sim, msg)
					return sr.Query, sr.Body
				}},
			tc{name: "timestamp outside a shorter MaxSkew", mode: mode, want: wechat.ErrReplay,
				codec: func(c *wechat.Codec) { c.MaxSkew = time.Minute },
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sim.Now = func() time.Time { return testNow.Add(-2 * time.Minute) }
					sr := built(t, sim, msg)
					return sr.Query, sr.Body
				}},
			tc{name: "missing timestamp", mode: mode, want: wechat.ErrReplay,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, msg)
					return sim.SignQuery("", sr.Nonce, sr.Encrypt), sr.Body
				}},
			tc{name: "unparsable timestamp", mode: mode, want: wechat.ErrReplay,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, msg)
					return sim.SignQuery("yesterday", sr.Nonce, sr.Encrypt), sr.Body
				}},
			tc{name: "body over 64 KiB", mode: mode, want: wechat.ErrTooLarge,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, wechat.SimMessage{OpenID: testOpenID, Text: strings.Repeat("水", 25<<10)})
					return sr.Query, sr.Body
				}},
			tc{name: "body over a smaller MaxBody", mode: mode, want: wechat.ErrTooLarge,
				codec: func(c *wechat.Codec) { c.MaxBody = 100 },
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, msg)
					return sr.Query, sr.Body
				}},
		)
	}
	for _, mode := range []wechat.Mode{wechat.ModeCompat, wechat.ModeSafe} {
		tests = append(tests,
			tc{name: "wrong msg_signature", mode: mode, want: wechat.ErrSignature,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, msg)
					sr.Query.Set("msg_signature", strings.Repeat("f", 40))
					return sr.Query, sr.Body
				}},
			tc{name: "Encrypt swapped for another message's", mode: mode, want: wechat.ErrSignature,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, msg)
					other := built(t, sim, wechat.SimMessage{OpenID: "oAttacker", Text: "x"})
					return sr.Query, other.Body
				}},
			tc{name: "undecryptable Encrypt", mode: mode, want: wechat.ErrMalformed,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					enc := "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0IGF0IGFsbCEhISEhISEhISEhISEhISEhIQ=="
					return sim.SignQuery("1740823200", "123", enc), []byte("<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
				}},
			tc{name: "Encrypt not base64", mode: mode, want: wechat.ErrMalformed,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					enc := "%%%"
					return sim.SignQuery("1740823200", "123", enc), []byte("<xml><Encrypt>" + enc + "</Encrypt></xml>")
				}},
			tc{name: "wrong appid inside", mode: mode, want: wechat.ErrMalformed,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sim.AppID = "wxsomeotheraccount"
					sr := built(t, sim, msg)
					return sr.Query, sr.Body
				}},
			tc{name: "encrypted with another key", mode: mode, want: wechat.ErrMalformed,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sim.AESKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
					sr := built(t, sim, msg)
					return sr.Query, sr.Body
				}},
			tc{name: "no Encrypt element", mode: mode, want: wechat.ErrMalformed,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, msg)
					return sr.Query, sr.Plain
				}},
			tc{name: "encrypted payload not XML", mode: mode, want: wechat.ErrMalformed,
				build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
					sr := built(t, sim, msg)
					safe := &wechat.Simulator{AppID: testAppID, AESKey: testAESKey, Mode: wechat.ModeSafe}
					body, enc, err := safe.Envelope([]byte("<xml><FromUserName>"))
					if err != nil {
						t.Fatal(err)
					}
					return sim.SignQuery(sr.Timestamp, sr.Nonce, enc), body
				}},
		)
	}
	plainBodies := map[string]string{
		"not xml":                 "hello",
		"truncated":               "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o",
		"other root":              "<msg><FromUserName>o</FromUserName><MsgType>text</MsgType></msg>",
		"no FromUserName":         "<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType><Content>x</Content></xml>",
		"no MsgType":              "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><Content>x</Content></xml>",
		"MsgId not a number":      "<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><MsgId>abc</MsgId></xml>",
		"CreateTime not a number": "<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><CreateTime>now</CreateTime></xml>",
		"empty":                   "",
	}
	for name, body := range plainBodies {
		tests = append(tests, tc{name: "malformed " + name, mode: wechat.ModePlain, want: wechat.ErrMalformed,
			build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
				return sim.SignQuery("1740823200", "123", ""), []byte(body)
			}})
	}
	tests = append(tests, tc{name: "unknown encrypt_type", mode: wechat.ModePlain, want: wechat.ErrMalformed,
		build: func(t *testing.T, sim *wechat.Simulator) (url.Values, []byte) {
			sr := built(t, sim, msg)
			sr.Query.Set("encrypt_type", "rot13")
			return sr.Query, sr.Body
		}})

	for _, tt := range tests {
		t.Run(tt.mode.String()+"/"+tt.name, func(t *testing.T) {
			c := newCodec()
			if tt.codec != nil {
				tt.codec(c)
			}
			q, body := tt.build(t, newSim(tt.mode))
			in, err := c.Decode(q, bytes.NewReader(body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %v, %v; want %v", in, err, tt.want)
			}
			for _, other := range []error{wechat.ErrSignature, wechat.ErrReplay, wechat.ErrTooLarge, wechat.ErrMalformed} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("Decode error %v also matches %v", err, other)
				}
			}
		})
	}
}

func TestDecodeAcceptsSkewWithinLimit(t *testing.T) {
	for _, d := range []time.Duration{-4 * time.Minute, 4 * time.Minute} {
		sim := newSim(wechat.ModeSafe)
		sim.Now = func() time.Time { return testNow.Add(d) }
		if _, err := decodeSim(t, newCodec(), sim, wechat.SimMessage{OpenID: testOpenID, Text: "x"}); err != nil {
			t.Errorf("skew %v: %v", d, err)
		}
	}
}

func TestDecodeBodyAtLimit(t *testing.T) {
	sim := newSim(wechat.ModePlain)
	sr, err := sim.Build(wechat.SimMessage{OpenID: testOpenID, Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	c := newCodec()
	c.MaxBody = int64(len(sr.Body))
	if _, err := c.Decode(sr.Query, bytes.NewReader(sr.Body)); err != nil {
		t.Fatalf("body of exactly MaxBody: %v", err)
	}
}

func TestDecodeMaxBytesReader(t *testing.T) {
	sim := newSim(wechat.ModePlain)
	sr, err := sim.Build(wechat.SimMessage{OpenID: testOpenID, Text: strings.Repeat("x", 500)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, io.NopCloser(bytes.NewReader(sr.Body)), 100)
	if _, err := newCodec().Decode(sr.Query, body); !errors.Is(err, wechat.ErrTooLarge) {
		t.Fatalf("Decode through MaxBytesReader = %v, want ErrTooLarge", err)
	}
}

func TestVerifyURL(t *testing.T) {
	c := newCodec()
	sim := newSim(wechat.ModePlain)
	got, err := c.VerifyURL(sim.VerifyQuery("5843245098412345"))
	if err != nil || got != "5843245098412345" {
		t.Fatalf("VerifyURL = %q, %v", got, err)
	}

	q := sim.VerifyQuery("e")
	q.Set("signature", "bad")
	if _, err := c.VerifyURL(q); !errors.Is(err, wechat.ErrSignature) {
		t.Errorf("bad signature: %v", err)
	}

	stale := newSim(wechat.ModePlain)
	stale.Now = func() time.Time { return testNow.Add(-time.Hour) }
	if _, err := c.VerifyURL(stale.VerifyQuery("e")); !errors.Is(err, wechat.ErrReplay) {
		t.Errorf("stale: %v", err)
	}

	if _, err := c.VerifyURL(sim.VerifyQuery("")); !errors.Is(err, wechat.ErrMalformed) {
		t.Errorf("no echostr: %v", err)
	}
}

func TestNewCodecValidates(t *testing.T) {
	for _, mode := range modes {
		if _, err := wechat.NewCodec(testAppID, testToken, testAESKey, mode); err != nil {
			t.Errorf("valid, %s mode: %v", mode, err)
		}
	}
	if _, err := wechat.NewCodec(testAppID, testToken, "", wechat.ModePlain); err != nil {
		t.Errorf("plain only: %v", err)
	}
	for name, args := range map[string][3]string{
		"no token":       {testAppID, "", ""},
		"short key":      {testAppID, testToken, "abc"},
		"key not base64": {testAppID, testToken, strings.Repeat("!", 43)},
		"key no appid":   {"", testToken, testAESKey},
	} {
		if _, err := wechat.NewCodec(args[0], args[1], args[2], wechat.ModePlain); err == nil {
			t.Errorf("%s: NewCodec succeeded", name)
		}
	}
	for _, mode := range []wechat.Mode{wechat.ModeCompat, wechat.ModeSafe} {
		if _, err := wechat.NewCodec(testAppID, testToken, "", mode); err == nil {
			t.Errorf("%s mode without an AES key: NewCodec succeeded", mode)
		}
	}
	if _, err := wechat.NewCodec(testAppID, testToken, testAESKey, wechat.Mode(7)); err == nil {
		t.Error("an unknown mode: NewCodec succeeded")
	}
}

// TestDecodeRefusesWeakerModes: a codec accepts messages in its Min mode
// and stronger ones, and refuses weaker ones with ErrWeakMode before
// looking at the message: a plain message has no body signature, so an
// account in compat or safe mode that took one would take forged XML.
func TestDecodeRefusesWeakerModes(t *testing.T) {
	for _, weakest := range modes {
		c := newCodec()
		c.Min = weakest
		for _, mode := range modes {
			in, err := decodeSim(t, c, newSim(mode), wechat.SimMessage{OpenID: testOpenID, Text: "你好"})
			switch {
			case mode < weakest && !errors.Is(err, wechat.ErrWeakMode):
				t.Errorf("%s message to a %s codec: %v, want ErrWeakMode", mode, weakest, err)
			case mode >= weakest && (err != nil || in.Mode != mode || in.Msg.Text != "你好"):
				t.Errorf("%s message to a %s codec: %+v, %v", mode, weakest, in, err)
			}
		}
	}
}

// echoServer is a minimal webhook: it answers "收到：" + the text, or
// nothing for "silent".
func echoServer(t *testing.T, c *wechat.Codec) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := c.Decode(r.URL.Query(), r.Body)
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		var reply bot.Reply
		if in.Msg.Text != "silent" {
			reply = bot.Text("收到：" + in.Msg.Text)
		}
		out, err := c.EncodeReply(in, reply)
		if err != nil {
			t.Errorf("EncodeReply: %v", err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestReplyRoundTrip(t *testing.T) {
	c := newCodec()
	srv := echoServer(t, c)
	ctx := context.Background()
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			sim := newSim(mode)
			sim.URL = srv.URL + "/wechat"
			text := "报修：3号楼2单元 <漏水> & ]]> 急"
			got, status, err := sim.Send(ctx, wechat.SimMessage{OpenID: testOpenID, Text: text})
			if err != nil || status != http.StatusOK {
				t.Fatalf("Send = %q, %d, %v", got, status, err)
			}
			if want := "收到：" + text; got != want {
				t.Errorf("reply = %q, want %q", got, want)
			}

			got, status, err = sim.Send(ctx, wechat.SimMessage{OpenID: testOpenID, Text: "silent"})
			if err != nil || status != http.StatusOK || got != "" {
				t.Errorf("empty reply: Send = %q, %d, %v", got, status, err)
			}

			// A retry of the very same request gets the same answer.
			req, err := sim.BuildRequest(ctx, wechat.SimMessage{OpenID: testOpenID, Text: "again"})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if got, status, err := sim.Do(req); err != nil || status != http.StatusOK || got != "收到：again" {
					t.Errorf("Do = %q, %d, %v", got, status, err)
				}
			}

			// A rejected request reports its status, not an error.
			bad := newSim(mode)
			bad.URL, bad.Token = sim.URL, "wrong"
			if _, status, err := bad.Send(ctx, wechat.SimMessage{OpenID: testOpenID, Text: "x"}); err != nil || status != http.StatusForbidden {
				t.Errorf("wrong token: status %d, err %v", status, err)
			}
		})
	}
}

func TestEncodeReply(t *testing.T) {
	c := newCodec()
	for _, mode := range modes {
		in, err := decodeSim(t, c, newSim(mode), wechat.SimMessage{OpenID: testOpenID, Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.EncodeReply(in, bot.Reply{})
		if err != nil || string(out) != "success" {
			t.Errorf("%v: empty reply = %q, %v", mode, out, err)
		}
		out, err = c.EncodeReply(in, bot.Text("您好，已收到"))
		if err != nil {
			t.Fatal(err)
		}
		plain := bytes.Contains(out, []byte("您好，已收到"))
		if plain != (mode == wechat.ModePlain) {
			t.Errorf("%v: reply %s; plaintext visible = %v", mode, out, plain)
		}
		sim := newSim(mode)
		got, err := sim.DecodeReply(testOpenID, mode != wechat.ModePlain, out)
		if err != nil || got != "您好，已收到" {
			t.Errorf("%v: DecodeReply = %q, %v", mode, got, err)
		}
		if mode == wechat.ModePlain {
			want := "<xml><ToUserName><![CDATA[" + testOpenID + "]]></ToUserName><FromUserName><![CDATA[" + testAccount +
				"]]></FromUserName><CreateTime>1740823200</CreateTime><MsgType>text</MsgType><Content><![CDATA[您好，已收到]]></Content></xml>"
			if diff := cmp.Diff(want, string(out)); diff != "" {
				t.Errorf("plain reply mismatch (-want +got):\n%s", diff)
			}
			continue
		}
		// A reply whose signature was tampered with is refused.
		tampered := bytes.Replace(out, []byte("<MsgSignature>"), []byte("<MsgSignature>0"), 1)
		if _, err := sim.DecodeReply(testOpenID, true, tampered); err == nil {
			t.Errorf("%v: tampered reply signature accepted", mode)
		}
	}
}

func TestCheckAESKey(t *testing.T) {
	if err := wechat.CheckAESKey(testAESKey); err != nil {
		t.Errorf("CheckAESKey(%q) = %v, want nil", testAESKey, err)
	}
	for _, bad := range []string{
		"",
		"tooshort",
		strings.Repeat("a", 44),
		"!!!defghijklmnopqrstuvwxyz0123456789ABCDEFG", // 43 characters, not base64
	} {
		if err := wechat.CheckAESKey(bad); err == nil {
			t.Errorf("CheckAESKey(%q) = nil, want an error", bad)
		}
	}
	if err := wechat.CheckAESKey("tooshort"); err == nil || !strings.Contains(err.Error(), "got 8 characters") {
		t.Errorf("CheckAESKey(tooshort) = %v, want one that counts the characters", err)
	}
}
