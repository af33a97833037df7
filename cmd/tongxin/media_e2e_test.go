package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	"github.com/tongxin/tongxin/storage/storagetest"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// TestPhotosAndVoiceAreKept is issue #8 end to end, on both engines: a
// resident describes a problem by voice and sends two photos; the server
// copies all three from WeChat while the ticket is filed, and staff read
// them back through the admin API exactly as they were sent.
func TestPhotosAndVoiceAreKept(t *testing.T) {
	storagetest.EngineURLs(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		base := e.start(t)
		sim := e.sim(base, wechat.ModeSafe)
		resident := newOpenID("res")
		send := func(m wechat.SimMessage) string {
			t.Helper()
			m.OpenID = resident
			reply, status, err := sim.Send(context.Background(), m)
			if err != nil || status != 200 {
				t.Fatalf("%+v: %d %v", m, status, err)
			}
			return reply
		}
		say := func(text string) string { t.Helper(); return send(wechat.SimMessage{Text: text}) }

		one, two, voice := wechattest.JPEG(1), wechattest.JPEG(2), wechattest.AMR()
		// WeChat gives an image message both a PicUrl and a MediaId; the
		// flow keeps the PicUrl.
		pic1 := e.fake.AddPicture("e2e-1", "image/jpeg", one)
		pic2 := e.fake.AddPicture("e2e-2", "image/jpeg", two)
		e.fake.AddMedia("voice-e2e", "audio/amr", voice)

		say("报修")
		say("1")
		send(wechat.SimMessage{Kind: bot.KindVoice, MediaID: "voice-e2e", Recognition: "楼道灯不亮了"})
		send(wechat.SimMessage{Kind: bot.KindImage, PicURL: pic1, MediaID: "img-1"})
		send(wechat.SimMessage{Kind: bot.KindImage, PicURL: pic2, MediaID: "img-2"})
		say("好了")
		say("公共区域 东门广场")
		say("13800138000")
		m := numberRe.FindStringSubmatch(say("1"))
		if m == nil {
			t.Fatal("no 编号 in the confirmation")
		}
		number := m[1]

		var media []any
		bottest.WaitFor(t, 30*time.Second, "three copies kept", func() bool {
			code, tk := admin(t, base, "GET", "/api/v1/tickets/"+number, nil)
			media, _ = tk["media"].([]any)
			if code != 200 || len(media) != 3 {
				return false
			}
			for _, it := range media {
				if it.(map[string]any)["status"] != "stored" {
					return false
				}
			}
			return true
		})

		for i, want := range []struct {
			kind, ctype string
			body        []byte
		}{{"photo", "image/jpeg", one}, {"photo", "image/jpeg", two}, {"voice", "audio/amr", voice}} {
			item := media[i].(map[string]any)
			url := fmt.Sprintf("/api/v1/tickets/%s/media/%d", number, i+1)
			if item["kind"] != want.kind || item["url"] != url {
				t.Errorf("media %d listed as %v", i+1, item)
			}
			resp, body := fetch(t, base+url, adminToken)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want.ctype || !bytes.Equal(body, want.body) {
				t.Errorf("GET %s: %d %s, %d bytes; want %s, the %d bytes WeChat served",
					url, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), want.ctype, len(want.body))
			}
		}
		if resp, _ := fetch(t, base+"/api/v1/tickets/"+number+"/media/1", ""); resp.StatusCode != 401 {
			t.Errorf("without the admin token: %d, want 401", resp.StatusCode)
		}
		if resp, _ := fetch(t, base+"/api/v1/tickets/2001010001/media/1", adminToken); resp.StatusCode != 404 {
			t.Errorf("an unknown ticket: %d, want 404", resp.StatusCode)
		}
	})
}

// fetch GETs url, with the admin token when one is given.
func fetch(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}
