package bot_test

import (
	"context"
	"testing"

	"github.com/tongxin/tongxin/bot"
)

func TestLinkAction(t *testing.T) {
	e := bot.LinkAction("GUIDE", "办事指南", `https://jianlin.example.org/g?a=1&b="x" y`)
	reply, err := e.Handler.Handle(context.Background(), &bot.Message{OpenID: "o1", Kind: bot.KindText, Text: "办事指南"})
	if err != nil {
		t.Fatal(err)
	}
	// The query's & stays; what would end the attribute is encoded.
	const want = `办事指南：<a href="https://jianlin.example.org/g?a=1&b=%22x%22%20y">点击打开</a>`
	if reply.Text != want || e.URL != `https://jianlin.example.org/g?a=1&b="x" y` || e.Key != "GUIDE" || e.Label != "办事指南" {
		t.Errorf("LinkAction = %+v answering %q, want %q", e, reply.Text, want)
	}
}
