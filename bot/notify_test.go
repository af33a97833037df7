package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
)

// notices records what a handler asked to be delivered.
type notices []bot.Notice

func (n *notices) Notify(_ context.Context, x bot.Notice) error {
	*n = append(*n, x)
	return nil
}

// residents is a fixed set of residents by openid.
type residents map[string]bot.Resident

func (r residents) Resident(_ context.Context, openid string) (bot.Resident, error) {
	if x, ok := r[openid]; ok {
		return x, nil
	}
	return bot.Resident{}, bot.ErrNotFound
}

func (residents) SaveProfile(context.Context, bot.Resident) error { return nil }

func (residents) SetSubscribed(context.Context, string, bool, time.Time) error { return nil }

// TestHumanNoticeIsMasked: 人工 goes to the duty staff's group robot, which
// everyone in the group reads. The notice must carry the resident's name,
// phone and address masked (王*, 138****8000, the building only) and say
// where the full record is, never the record itself.
func TestHumanNoticeIsMasked(t *testing.T) {
	const openid = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"
	var sent notices
	h := bot.HumanHandler(&sent, residents{openid: {
		OpenID: openid, Name: "王芳", Phone: "13800138000", Address: "3号楼2单元201室",
	}}, time.Now)
	if _, err := h.Handle(t.Context(), &bot.Message{OpenID: openid, Kind: bot.KindText, Text: "人工"}); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 {
		t.Fatalf("sent %d notices, want 1", len(sent))
	}
	n := sent[0]
	if n.To != bot.DutyStaff {
		t.Fatalf("notice to %q, want the duty staff", n.To)
	}
	// Whatever the group robot shows: GroupText when set, else Text.
	group := n.GroupText
	if group == "" {
		group = n.Text
	}
	shown := []string{n.Text, group}
	for _, v := range n.Fields {
		shown = append(shown, v)
	}
	for _, s := range shown {
		for _, secret := range []string{"王芳", "13800138000", "2单元", "201"} {
			if strings.Contains(s, secret) {
				t.Errorf("the duty group sees %q in %q", secret, s)
			}
		}
	}
	for _, want := range []string{"王*", "138****8000", "3号楼", "/api/v1/residents/" + openid, "管理后台"} {
		if !strings.Contains(group, want) {
			t.Errorf("group text %q lacks %q", group, want)
		}
	}
}

// TestHumanNoticeUnregistered: without a profile the group learns the
// openid's tail (to find the conversation in the customer-service console)
// and nothing else.
func TestHumanNoticeUnregistered(t *testing.T) {
	var sent notices
	h := bot.HumanHandler(&sent, residents{}, time.Now)
	if _, err := h.Handle(t.Context(), &bot.Message{OpenID: "o-nobody-9876", Kind: bot.KindText, Text: "人工"}); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || !strings.Contains(sent[0].Text, "9876") || !strings.Contains(sent[0].Text, "未登记") {
		t.Errorf("notices %+v, want one naming the openid's tail as unregistered", sent)
	}
}

func TestMasks(t *testing.T) {
	for in, want := range map[string]string{"王芳": "王*", "欧阳娜娜": "欧*", "买买提·艾力": "买*", "": ""} {
		if got := bot.MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"3号楼2单元201室": "3号楼", "12号楼": "12号楼", "3号楼201室": "3号楼", "幸福小区5栋": "", "": "",
	} {
		if got := bot.MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
