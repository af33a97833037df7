package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/wechat"
)

// Channel names, as recorded on ledger rows and in metrics.
const (
	ChannelCustomer = "customer_service"
	ChannelTemplate = "template"
	ChannelRobot    = "wecom_robot"
	ChannelLog      = "log"
)

// channel is one way of sending a notification.
type channel struct {
	name string
	send func(ctx context.Context, n storage.Notification, p payload) error
}

// errNoTemplate makes a channel step aside for a notification it has
// nothing to send for (no text, no template for the kind).
var errNoTemplate = errors.New("no template configured")

// plan lists the channels to try for n, in order; a channel answering
// "fall back" hands over to the next.
func (o *Outbox) plan(n storage.Notification) []channel {
	if o.cfg.LogOnly {
		return []channel{{ChannelLog, o.sendLog}}
	}
	if o.simOnly(n) {
		return []channel{{ChannelSim, o.sendInbox}}
	}
	robot := channel{ChannelRobot, o.sendRobot}
	if isRole(n.Recipient) {
		// With real credentials a staff alert that only reached the log
		// reached nobody: with no robot the row fails, visibly.
		return []channel{robot}
	}
	// Text first: it says the most and costs nothing within the 48-hour
	// window; outside it (45015) or over quota (45047) the template
	// message takes over, and for staff the group robot after that.
	out := []channel{{ChannelCustomer, o.sendCustomer}, {ChannelTemplate, o.sendTemplate}}
	if n.Staff && o.cfg.RobotKey != "" {
		out = append(out, robot)
	}
	return out
}

func (o *Outbox) sendCustomer(ctx context.Context, n storage.Notification, p payload) error {
	if p.Text == "" {
		return errNoTemplate
	}
	return o.wx.SendText(ctx, n.Recipient, withLink(p.Text, o.link(p.URL), n.Staff))
}

func (o *Outbox) sendTemplate(ctx context.Context, n storage.Notification, p payload) error {
	t, ok := o.cfg.Templates[n.Kind]
	if !ok {
		return errNoTemplate
	}
	link := o.link(p.URL)
	if link == "" {
		link = t.URL
	}
	_, err := o.wx.SendTemplate(ctx, wechat.Template{
		ToUser:      n.Recipient,
		TemplateID:  t.ID,
		URL:         link,
		Data:        templateData(t, p),
		ClientMsgID: clientMsgID(n),
	})
	return err
}

// clientMsgID is WeChat's 防重入 id, derived from the notification's
// idempotency key: a send repeated after a crash in mid-send carries the
// same one and WeChat drops it. Hashed to keep it short and free of the
// key's contents.
func clientMsgID(n storage.Notification) string {
	sum := sha256.Sum256([]byte(n.IdemKey))
	return "tx" + hex.EncodeToString(sum[:15])
}

// templateData renders the template's fields within the 2023 rules.
func templateData(t Template, p payload) map[string]string {
	data := map[string]string{}
	if len(t.Fields) == 0 {
		for k, v := range p.Fields {
			data[k] = FieldValue(v)
		}
		return data
	}
	for key, field := range t.Fields {
		data[key] = FieldValue(p.Fields[field])
	}
	return data
}

// MaxFieldRunes is WeChat's limit on a template field since 2023.
const MaxFieldRunes = 20

// FieldValue makes s fit a template field: one line, no emoji or other
// pictographs, at most 20 characters (cut with "…").
func FieldValue(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r) || unicode.Is(unicode.Cs, r) ||
			unicode.In(r, unicode.Variation_Selector) || r == '\u200d' || (r >= 0x1F000 && r <= 0x1FAFF):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := []rune(b.String())
	if len(out) > MaxFieldRunes {
		return string(out[:MaxFieldRunes-1]) + "…"
	}
	return string(out)
}

// robotError is a refusal by the WeCom robot (it answers HTTP 200 with an
// errcode, which its SDK call reports as success).
type robotError struct {
	code int
	msg  string
}

func (e *robotError) Error() string {
	if e.code == 0 {
		return e.msg
	}
	return fmt.Sprintf("wecom robot errcode %d: %s", e.code, e.msg)
}

// errNoStaffChannel fails staff alerts when no WeCom robot is configured.
var errNoStaffChannel = &robotError{code: 0, msg: "no WeCom robot configured (TONGXIN_WECOM_ROBOT_KEY) to reach the staff"}

func (o *Outbox) sendRobot(ctx context.Context, _ storage.Notification, p payload) error {
	if o.cfg.RobotKey == "" {
		return errNoStaffChannel
	}
	text := p.Text
	if p.GroupText != "" {
		// The group sees what one person was meant to: mask it.
		text = p.GroupText
	}
	body, err := json.Marshal(map[string]any{"msgtype": "text", "text": map[string]string{"content": text}})
	if err != nil {
		return err
	}
	u := strings.TrimRight(o.cfg.RobotBase, "/") + "/cgi-bin/webhook/send?key=" + url.QueryEscape(o.cfg.RobotKey)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := robotHTTP.Do(req)
	if err != nil {
		// The URL carries the robot key: keep it out of errors and logs.
		return fmt.Errorf("wecom robot: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("wecom robot: HTTP %d", resp.StatusCode)
	}
	var res struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return fmt.Errorf("wecom robot: HTTP %d: unreadable answer", resp.StatusCode)
	}
	if res.ErrCode != 0 {
		return &robotError{code: res.ErrCode, msg: res.ErrMsg}
	}
	return nil
}

var robotHTTP = &http.Client{Timeout: 10 * time.Second}

func unwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
