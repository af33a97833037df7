// Package backoffice is how staff reach the web console from WeChat: a
// scan of the console's login QR code (scene "login:<nonce>") signs the
// waiting browser in, and 登录后台 answers a one-time sign-in link. Both
// are for active staff bound to WeChat; the console decides who that is.
package backoffice

import (
	"context"
	"errors"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
)

// Scene is the login QR code's scene name: its EventKey is
// "login:<nonce>" ("qrscene_login:<nonce>" when the scan follows the
// account, which the router strips).
const Scene = "login"

// Keyword asks for a one-time sign-in link.
const Keyword = "登录后台"

// Replies.
const (
	// SignedIn answers a confirmed scan; the browser moves on by itself.
	SignedIn = "已登录同心后台，请回到电脑查看。"
	// LinkText starts the answer to 登录后台; the link follows.
	LinkText = "点击登录后台（5分钟内有效，仅可使用一次）："
	// NotStaff answers a resident's 登录后台.
	NotStaff = "抱歉，同心后台仅供本社区工作人员使用。\n居民办事请直接在这里留言，或回复 帮助 查看可办理的事项。"
	// Unavailable answers when this instance has no console.
	Unavailable = "后台暂时无法登录，请稍后再试。"
)

// Register adds the login scene and 登录后台 to r.
func Register(r *bot.Router, d flows.Deps) error {
	f := feature{d: d}
	if err := r.Scene(Scene, f.scan); err != nil {
		return err
	}
	return r.Exact(Keyword, bot.HandlerFunc(f.link))
}

type feature struct{ d flows.Deps }

// scan confirms the login code the staff member scanned; the console
// refuses a used or expired code and anyone who is not active staff.
func (f feature) scan(ctx context.Context, m *bot.Message, nonce string) (bot.Reply, error) {
	if f.d.Console == nil {
		return bot.Text(Unavailable), nil
	}
	if _, err := f.d.Console.ConfirmScan(ctx, nonce, m.OpenID); err != nil {
		return bot.Reply{}, err
	}
	return bot.Text(SignedIn), nil
}

// link answers 登录后台 with a one-time link, to staff only: a resident
// is told kindly that it is not for them.
func (f feature) link(ctx context.Context, m *bot.Message) (bot.Reply, error) {
	if f.d.Console == nil {
		return bot.Text(Unavailable), nil
	}
	u, err := f.d.Console.Link(ctx, m.OpenID)
	if errors.Is(err, bot.ErrNotFound) {
		// Not staff, no longer active, or not bound to this account.
		return bot.Text(NotStaff), nil
	}
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Text(LinkText + u), nil
}
