package bot

import (
	"context"
	"fmt"
	"strings"
)

// LinkText is a text message naming a page and linking to it: WeChat
// shows an <a href> in a text message as a link the resident taps, so the
// numbered menu's link entries need no custom menu to open their page.
// The link is percent-encoded where it could end the attribute or the
// tag, not HTML-escaped: WeChat is not known to decode "&amp;" in a text
// message, and a link with a query has "&" in it.
func LinkText(label, url string) string {
	return fmt.Sprintf("%s：<a href=\"%s\">点击打开</a>", label, hrefSafe.Replace(url))
}

var hrefSafe = strings.NewReplacer(`"`, "%22", "<", "%3C", ">", "%3E", " ", "%20")

// LinkAction is a main-menu action that opens a page (社区公告, 办事指南):
// its custom menu button is a "view" button opening url, and choosing it
// in the numbered menu, or typing its keywords, answers with the link.
// The operator configures these; no feature stands behind them.
func LinkAction(key, label, url string) MenuEntry {
	text := LinkText(label, url)
	return MenuEntry{Key: key, Label: label, URL: url,
		Handler: HandlerFunc(func(context.Context, *Message) (Reply, error) { return Text(text), nil })}
}
