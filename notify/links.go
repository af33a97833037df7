package notify

import "strings"

// This file is how a notice's link (bot.Notice.URL) reaches the resident.
// Services name the page relative to tongxin ("/my/tickets/2612010001"),
// since they do not know where it is served; the outbox makes the link
// whole with Config.PublicURL when it sends.

// link is u as the recipient can open it: a path made whole with the
// public URL, an absolute URL as it is. A path with no public URL to put
// in front of it is no link at all ("" — WeChat opens nothing relative).
func (o *Outbox) link(u string) string {
	if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
		return u
	}
	if o.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(o.cfg.PublicURL, "/") + u
}

// withLink is a resident's customer-service text with the page it is
// about, as a link WeChat shows in the message; staff texts, and texts
// without a page, stay as they are (staff work from their own commands
// and the console).
func withLink(text, link string, staff bool) string {
	if link == "" || staff {
		return text
	}
	return text + "\n<a href=\"" + htmlAttr(link) + "\">点击查看详情</a>"
}

// htmlAttr escapes the characters that would end an attribute or start
// markup in WeChat's text rendering.
func htmlAttr(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&quot;", `<`, "&lt;", `>`, "&gt;").Replace(s)
}
