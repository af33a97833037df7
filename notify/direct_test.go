package notify

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tongxin/tongxin/bot"
)

func TestRobotErrcodeIsAnError(t *testing.T) {
	var got []string
	answer := `{"errcode":0,"errmsg":"ok"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != "k1" {
			t.Errorf("robot called at %s", r.URL)
		}
		var body struct {
			MsgType string `json:"msgtype"`
			Text    struct{ Content string }
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.MsgType != "text" {
			t.Errorf("msgtype %q", body.MsgType)
		}
		got = append(got, body.Text.Content)
		_, _ = w.Write([]byte(answer))
	}))
	defer srv.Close()
	d := &Direct{RobotKey: "k1", RobotBase: srv.URL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	n := bot.Notice{Kind: "human_request", To: bot.RoleDuty, Text: "居民请求人工服务"}
	if err := d.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	// The robot answers HTTP 200 with an errcode when it refuses.
	answer = `{"errcode":93000,"errmsg":"invalid webhook url"}`
	if err := d.Notify(context.Background(), n); err == nil {
		t.Error("errcode 93000 was taken for success")
	}
	if len(got) != 2 || got[0] != "居民请求人工服务" {
		t.Errorf("robot got %q", got)
	}
	// Without a key or a WeChat client, notices only go to the log.
	quiet := &Direct{Logger: d.Logger}
	if err := quiet.Notify(context.Background(), n); err != nil {
		t.Error(err)
	}
	if err := quiet.Notify(context.Background(), bot.Notice{To: "o-resident", Text: "x"}); err != nil {
		t.Error(err)
	}
}
