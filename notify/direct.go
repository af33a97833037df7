// Package notify delivers bot.Notices to people: staff alerts to the WeCom
// group robot, resident and staff messages through the official account,
// and a log line in development.
//
// Direct sends at once and does not retry; it exists until the durable
// outbox (a later issue) takes its place behind the same bot.Notifier.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
)

// TextSender sends a customer-service text to an openid (wechat.Client).
type TextSender interface {
	SendText(ctx context.Context, openid, text string) error
}

// Direct is a bot.Notifier that sends immediately.
type Direct struct {
	// WeChat reaches openids; nil logs instead.
	WeChat TextSender
	// RobotKey and RobotBase address the staff WeCom group robot; an empty
	// key logs role notices instead.
	RobotKey  string
	RobotBase string
	HTTP      *http.Client
	Logger    *slog.Logger
}

// Notify implements bot.Notifier.
func (d *Direct) Notify(ctx context.Context, n bot.Notice) error {
	if strings.HasPrefix(n.To, "role:") {
		if d.RobotKey == "" {
			d.Logger.InfoContext(ctx, "notification (no WeCom robot configured)", "kind", n.Kind, "to", n.To)
			return nil
		}
		return d.robot(ctx, n.Text)
	}
	if d.WeChat == nil {
		d.Logger.InfoContext(ctx, "notification (development log channel)", "kind", n.Kind, "to", bot.ShortID(n.To))
		return nil
	}
	if err := d.WeChat.SendText(ctx, n.To, n.Text); err != nil {
		return fmt.Errorf("notify %s: %w", n.Kind, err)
	}
	return nil
}

// robot posts a text to the WeCom group robot. The robot answers HTTP 200
// with an errcode even on failure, so the body decides.
func (d *Direct) robot(ctx context.Context, text string) error {
	body, err := json.Marshal(map[string]any{"msgtype": "text", "text": map[string]string{"content": text}})
	if err != nil {
		return err
	}
	u := strings.TrimRight(d.RobotBase, "/") + "/cgi-bin/webhook/send?key=" + url.QueryEscape(d.RobotKey)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify robot: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := d.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("notify robot: %w", err)
	}
	defer resp.Body.Close()
	var res struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return fmt.Errorf("notify robot: HTTP %d: %w", resp.StatusCode, err)
	}
	if res.ErrCode != 0 {
		return fmt.Errorf("notify robot: errcode %d: %s", res.ErrCode, res.ErrMsg)
	}
	return nil
}
