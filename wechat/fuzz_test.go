package wechat_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/wechat"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzDecode seeds")

// Fuzz query modes: how the harness signs the fuzzed body, so the fuzzer
// can get past the signature checks into parsing and decryption.
const (
	fuzzPlain      = 0 // valid signature, no encrypt_type
	fuzzAES        = 1 // valid signature and msg_signature over the body's Encrypt
	fuzzBadMsgSig  = 2 // encrypt_type=aes with a wrong msg_signature
	fuzzNoSigStale = 3 // unsigned, stale timestamp
)

func fuzzQuery(mode byte, body []byte) (q map[string][]string) {
	sim := newSim(wechat.ModePlain)
	const ts, nonce = "1740823200", "1320562132"
	switch mode % 4 {
	case fuzzPlain:
		return sim.SignQuery(ts, nonce, "")
	case fuzzAES:
		var env message.EncryptedXMLMsg
		_ = xml.Unmarshal(body, &env)
		q := sim.SignQuery(ts, nonce, env.EncryptedMsg)
		q.Set("encrypt_type", "aes")
		return q
	case fuzzBadMsgSig:
		q := sim.SignQuery(ts, nonce, "x")
		q.Set("msg_signature", "0")
		return q
	default:
		return map[string][]string{"timestamp": {"1"}}
	}
}

func FuzzDecode(f *testing.F) {
	c := newCodec()
	sentinels := []error{wechat.ErrSignature, wechat.ErrReplay, wechat.ErrTooLarge, wechat.ErrMalformed}
	f.Fuzz(func(t *testing.T, body []byte, mode byte) {
		in, err := c.Decode(fuzzQuery(mode, body), bytes.NewReader(body))
		if err != nil {
			n := 0
			for _, s := range sentinels {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 || in != nil {
				t.Fatalf("Decode = %v, %v: want nil and exactly one sentinel", in, err)
			}
			return
		}
		if in == nil || in.Msg == nil || in.Msg.OpenID == "" || in.Msg.Kind == "" || in.Msg.ID == "" {
			t.Fatalf("Decode succeeded with an incomplete message: %+v", in)
		}
		if _, err := c.EncodeReply(in, bot.Text("ok")); err != nil {
			t.Fatalf("EncodeReply after a successful Decode: %v", err)
		}
	})
}

// TestWriteFuzzSeeds regenerates the seed corpus from the Simulator, so the
// seeds are exactly what WeChat sends: go test -run WriteFuzzSeeds -update-seeds
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite the corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, body []byte, mode byte) {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbyte(%q)\n", body, mode)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	msgs := map[string]wechat.SimMessage{
		"text":           {Kind: bot.KindText, Text: "我要报修", MsgID: 1},
		"image":          {Kind: bot.KindImage, PicURL: "http://mmbiz.qpic.cn/x.jpg", MediaID: "m", MsgID: 2},
		"voice":          {Kind: bot.KindVoice, MediaID: "m", Recognition: "报名", MsgID: 3},
		"video":          {Kind: bot.KindVideo, MediaID: "m", MsgID: 4},
		"location":       {Kind: bot.KindLocation, Lat: 39.78, Lng: 98.28, Scale: 15, Label: "建林社区", MsgID: 5},
		"link":           {Kind: bot.KindLink, Title: "t", Description: "d", URL: "https://example.org", MsgID: 6},
		"unknown":        {Kind: "miniprogrampage", MsgID: 7},
		"subscribe":      {Kind: bot.KindEvent, Event: bot.EventSubscribe},
		"subscribe_qr":   {Kind: bot.KindEvent, Event: bot.EventSubscribe, EventKey: "grid_3"},
		"unsubscribe":    {Kind: bot.KindEvent, Event: bot.EventUnsubscribe},
		"scan":           {Kind: bot.KindEvent, Event: bot.EventScan, EventKey: "grid_3"},
		"click":          {Kind: bot.KindEvent, Event: bot.EventClick, EventKey: "MENU_REPAIR"},
		"view":           {Kind: bot.KindEvent, Event: bot.EventView, EventKey: "https://example.org"},
		"location_event": {Kind: bot.KindEvent, Event: bot.EventLocation, Lat: 39.78, Lng: 98.28},
	}
	for name, m := range msgs {
		m.OpenID = testOpenID
		m.CreateTime = testNow
		for _, mode := range []wechat.Mode{wechat.ModePlain, wechat.ModeCompat, wechat.ModeSafe} {
			if mode != wechat.ModePlain && name != "text" && name != "click" && name != "subscribe_qr" {
				continue
			}
			sim := newSim(mode)
			plain := sim.PlainXML(m)
			body, _, err := sim.Envelope(plain)
			if err != nil {
				t.Fatal(err)
			}
			qm := byte(fuzzPlain)
			if mode != wechat.ModePlain {
				qm = fuzzAES
			}
			write(mode.String()+"_"+name, body, qm)
		}
	}
	safe := newSim(wechat.ModeSafe)
	text, _, _ := safe.Envelope(safe.PlainXML(wechat.SimMessage{OpenID: testOpenID, Text: "x", MsgID: 1, CreateTime: testNow}))
	write("safe_truncated", text[:len(text)/2], fuzzAES)
	write("safe_bad_msg_signature", text, fuzzBadMsgSig)
	write("safe_wrong_appid", func() []byte {
		s := newSim(wechat.ModeSafe)
		s.AppID = "wxother"
		b, _, _ := s.Envelope(s.PlainXML(wechat.SimMessage{OpenID: testOpenID, Text: "x", MsgID: 1}))
		return b
	}(), fuzzAES)
	write("safe_encrypt_not_base64", []byte("<xml><Encrypt>%%%</Encrypt></xml>"), fuzzAES)
	write("safe_encrypt_short", []byte("<xml><Encrypt>AAAA</Encrypt></xml>"), fuzzAES)
	write("plain_truncated", []byte("<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o"), fuzzPlain)
	write("plain_garbage", []byte("\x00\xff<<>>&&;;]]>"), fuzzPlain)
	write("plain_empty", nil, fuzzPlain)
	write("plain_no_msgtype", []byte("<xml><FromUserName>o</FromUserName></xml>"), fuzzPlain)
	write("plain_bad_number", []byte("<xml><FromUserName>o</FromUserName><MsgType>location</MsgType><Location_X>north</Location_X></xml>"), fuzzPlain)
	write("plain_nested", []byte("<xml><FromUserName>o</FromUserName><MsgType>event</MsgType><SendPicsInfo><PicList><item><PicMd5Sum>x</PicMd5Sum></item></PicList></SendPicsInfo></xml>"), fuzzPlain)
	write("unsigned", []byte("<xml/>"), fuzzNoSigStale)
}

// TestFuzzSeedsReachTheParser makes sure the seeds built from real messages
// get past the harness's signatures, so fuzzing starts from the deep paths.
func TestFuzzSeedsReachTheParser(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecode", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	c := newCodec()
	ok := 0
	for _, file := range files {
		body, mode, err := readSeed(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if _, err := c.Decode(fuzzQuery(mode, body), bytes.NewReader(body)); err == nil {
			ok++
		}
	}
	// 14 plain messages, text, click and subscribe_qr in compat and safe,
	// and plain_nested.
	if want := 14 + 2*3 + 1; ok != want {
		t.Errorf("%d seeds decode, want %d", ok, want)
	}
}

func readSeed(file string) ([]byte, byte, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 3 || lines[0] != "go test fuzz v1" {
		return nil, 0, errors.New("not a go test fuzz v1 file of two values")
	}
	body, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		return nil, 0, fmt.Errorf("body: %w", err)
	}
	mode, _, _, err := strconv.UnquoteChar(strings.TrimSuffix(strings.TrimPrefix(lines[2], "byte('"), "')"), '\'')
	if err != nil {
		return nil, 0, fmt.Errorf("mode: %w", err)
	}
	return []byte(body), byte(mode), nil
}
