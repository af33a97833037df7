package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

// event sends a menu click or a scan from openid and returns the reply.
func (f *understandFixture) event(openid string, ev Event, key string) string {
	f.t.Helper()
	reply, err := f.r.Handle(context.Background(), &Message{OpenID: openid, Kind: KindEvent, Event: ev, EventKey: key, Time: f.now})
	if err != nil {
		f.t.Fatalf("event %s %s: %v", ev, key, err)
	}
	return reply.Text
}

// TestPauseThenSureIntentActs: the first message after a pause, a new
// matter understood for sure, is acted on; the form waits as a draft and
// the resident is told 继续 takes it up.
func TestPauseThenSureIntentActs(t *testing.T) {
	f := newUnderstandFixture(t, true)
	if got := f.send("o1", "楼道灯坏了"); got != "在哪里？" {
		t.Fatalf("start: %q", got)
	}
	f.now = f.now.Add(SessionTTL + time.Minute)
	want := "法律咨询：想咨询律师\n\n（您上次的「报修」还没填完，回复 继续 可接着填。）"
	if got := f.send("o1", "想咨询律师"); got != want {
		t.Errorf("after a pause → %q, want %q", got, want)
	}
	if s := f.session("o1"); s == nil || s.Flow != "" || s.Draft == nil || s.Draft.Flow != "fix" || s.Resume {
		t.Fatalf("session %+v: want the form kept as a draft, no offer pending", s)
	}
	if got := f.send("o1", "继续"); got != "好的，继续「报修」：\n在哪里？" {
		t.Errorf("继续 → %q", got)
	}
}

// TestPauseThenNewProblemStartsItKeepingTheDraft: a new problem after a
// pause starts its own form with what was said; the old one is kept.
func TestPauseThenNewProblemStartsItKeepingTheDraft(t *testing.T) {
	f := newUnderstandFixture(t, true)
	f.send("o1", "房东不退押金还漏水")
	f.send("o1", "1")
	f.now = f.now.Add(SessionTTL + time.Minute)
	got := f.send("o1", "楼道灯坏了")
	if !strings.Contains(got, "在哪里？") || !strings.Contains(got, "已为您保存") {
		t.Errorf("reply %q: want the new form's question and the draft kept", got)
	}
	s := f.session("o1")
	if s == nil || s.Flow != "fix" || s.Answers["desc"].Value != "楼道灯坏了" || s.Draft == nil || s.Draft.Answers["desc"].Value != "房东不退押金还漏水" {
		t.Errorf("session %+v: want the new form with its description and the old as draft", s)
	}
}

// TestClickAndScanEndTheQuestion: a menu click or a QR scan after the
// router's "您是要办理…吗？" ends the question: the next "1" picks from
// the menu, not the question.
func TestClickAndScanEndTheQuestion(t *testing.T) {
	for _, tc := range []struct {
		ev  Event
		key string
	}{{EventClick, "B"}, {EventScan, "nothing"}} {
		t.Run(string(tc.ev), func(t *testing.T) {
			f := newUnderstandFixture(t, true)
			if got := f.send("o1", "谁管这个"); got != askOne {
				t.Fatalf("question %q", got)
			}
			f.event("o1", tc.ev, tc.key)
			if s := f.session("o1"); s != nil && s.Pending != nil {
				t.Errorf("the question outlived the %s: %+v", tc.ev, s.Pending)
			}
			if got := f.send("o1", "1"); got != "menu 1" {
				t.Errorf("1 after the %s → %q, want the menu's item 1", tc.ev, got)
			}
			if len(f.got) != 0 {
				t.Errorf("the intent ran: %+v", f.got)
			}
		})
	}
}

// TestYesNoQuestionTakesYao: "要" answers the router's yes-or-no
// question, though it is no longer a shared yes word.
func TestYesNoQuestionTakesYao(t *testing.T) {
	f := newUnderstandFixture(t, true)
	f.send("o1", "谁管这个")
	if got := f.send("o1", "要"); got != "在哪里？" {
		t.Errorf("要 → %q, want the intent started", got)
	}
	if IsYes("要") || IsYes("对了") {
		t.Error(`"要" and "对了" must not be shared yes words`)
	}
}
