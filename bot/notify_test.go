package bot_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
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

// duty is the roster the 人工 tests reach: 王值班 bound, 李值班 not yet,
// 赵离职 no longer active.
func duty(context.Context) ([]community.Staff, error) {
	return []community.Staff{
		{ID: 1, Name: "王值班", OpenID: "o-duty", Roles: []community.Role{community.RoleDuty}, Active: true},
		{ID: 2, Name: "李值班", Roles: []community.Role{community.RoleDuty}, Active: true},
		{ID: 3, Name: "赵离职", OpenID: "o-gone", Roles: []community.Role{community.RoleDuty}},
	}, nil
}

var lines = bot.Lines{
	CommunityPhone: "0937-6220000", OfficeHours: "工作日 9:00–12:00，14:30–17:30", PropertyHotline: "0937-6888888",
	// Open 9:00–17:30 on every day, for the tests.
	Office: func(t time.Time) (bool, time.Time) {
		l := t.In(bot.Shanghai)
		open := time.Date(l.Year(), l.Month(), l.Day(), 9, 0, 0, 0, bot.Shanghai)
		switch {
		case l.Before(open):
			return false, open
		case l.Hour()*60+l.Minute() >= 17*60+30:
			return false, open.AddDate(0, 0, 1)
		}
		return true, t
	},
}

func ask(t *testing.T, h bot.HumanDesk, openid string) string {
	t.Helper()
	reply, err := h.Handle(t.Context(), &bot.Message{OpenID: openid, Kind: bot.KindText, Text: "人工"})
	if err != nil {
		t.Fatal(err)
	}
	return reply.Text
}

// TestHumanRequestReachesDutyStaff: 人工 reaches each bound, active duty
// staff member in their own WeChat with what they need to call back (phone,
// address, 特殊情况, the last few messages), and the group robot with the
// same news masked, since everyone in the group reads it. The resident is
// told who was notified.
func TestHumanRequestReachesDutyStaff(t *testing.T) {
	const openid = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"
	var sent notices
	recent := &bot.MemoryRecent{}
	for _, s := range []string{"你好", "楼道灯坏了三天了", "怎么还没人来修"} {
		_ = recent.Remember(t.Context(), openid, s)
	}
	h := bot.HumanDesk{
		Duty: bot.Duty{Notifier: &sent, Roster: duty, Robot: true},
		Residents: residents{openid: {
			OpenID: openid, Name: "王芳", Phone: "13800138000", Address: "3号楼2单元201室", Note: "独居老人，行动不便",
		}},
		Recent: recent, Lines: lines,
		Now: func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai) },
	}
	reply := ask(t, h, openid)
	if !strings.Contains(reply, "已通知值班人员 王值班") || strings.Contains(reply, "李值班") || strings.Contains(reply, "赵离职") {
		t.Errorf("reply %q, want it to name 王值班 only", reply)
	}
	if len(sent) != 2 {
		t.Fatalf("sent %d notices, want 2 (王值班's WeChat, the group): %+v", len(sent), sent)
	}
	person, group := sent[0], sent[1]
	if person.To != "o-duty" || !person.Staff || !person.Urgent || person.About != openid {
		t.Errorf("personal notice %+v", person)
	}
	for _, want := range []string{"王芳", "13800138000", "3号楼2单元201室", "独居老人，行动不便", "楼道灯坏了三天了", "怎么还没人来修"} {
		if !strings.Contains(person.Text, want) {
			t.Errorf("the duty staff's WeChat lacks %q:\n%s", want, person.Text)
		}
	}
	if group.To != bot.DutyStaff || group.About != openid {
		t.Errorf("group notice %+v", group)
	}
	shown := []string{group.Text, group.GroupText}
	for _, v := range group.Fields {
		shown = append(shown, v)
	}
	for _, s := range shown {
		for _, secret := range []string{"王芳", "13800138000", "2单元", "201", "独居", "楼道灯"} {
			if strings.Contains(s, secret) {
				t.Errorf("the duty group sees %q in %q", secret, s)
			}
		}
	}
	for _, want := range []string{"王*", "138****8000", "3号楼", "/api/v1/residents/" + openid} {
		if !strings.Contains(group.Text, want) {
			t.Errorf("group text %q lacks %q", group.Text, want)
		}
	}
	// Asking again within ten minutes notifies nobody twice: same keys.
	ask(t, h, openid)
	if len(sent) != 4 || sent[2].Key != person.Key || sent[3].Key != group.Key {
		t.Errorf("a repeat within ten minutes has new keys: %q %q", sent[2].Key, sent[3].Key)
	}
}

// TestHumanRequestUnregistered: without a profile the staff learn the
// openid's tail (to find the conversation in the customer-service
// console), and the resident is asked to 登记 a number.
func TestHumanRequestUnregistered(t *testing.T) {
	var sent notices
	h := bot.HumanDesk{Duty: bot.Duty{Notifier: &sent, Roster: duty}, Residents: residents{}, Lines: lines,
		Now: func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai) }}
	reply := ask(t, h, "o-nobody-9876")
	if len(sent) != 1 || !strings.Contains(sent[0].Text, "9876") || !strings.Contains(sent[0].Text, "未登记") {
		t.Errorf("notices %+v, want one naming the openid's tail as unregistered", sent)
	}
	if !strings.Contains(reply, "登记") {
		t.Errorf("reply %q does not ask for a number", reply)
	}
}

// TestHumanRequestReachesNobody: with no duty staff bound and no group
// robot, nobody can be told. The resident must not read that someone was
// notified; they get the numbers to call instead.
func TestHumanRequestReachesNobody(t *testing.T) {
	var sent notices
	h := bot.HumanDesk{Duty: bot.Duty{Notifier: &sent, Roster: func(context.Context) ([]community.Staff, error) {
		return []community.Staff{{ID: 2, Name: "李值班", Active: true, Roles: []community.Role{community.RoleDuty}}}, nil
	}}, Residents: residents{}, Lines: lines, Now: func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai) }}
	reply := ask(t, h, "o-a")
	if len(sent) != 0 {
		t.Errorf("sent %+v to nobody", sent)
	}
	if strings.Contains(reply, "已通知") {
		t.Errorf("reply %q claims a notification", reply)
	}
	for _, want := range []string{"0937-6220000", "119", "120", "110", "0937-6888888"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply %q lacks %s", reply, want)
		}
	}
}

// TestHumanRequestAfterHours: at 23:23 the duty staff are told, and the
// resident reads when to expect a call and the emergency numbers.
func TestHumanRequestAfterHours(t *testing.T) {
	var sent notices
	h := bot.HumanDesk{Duty: bot.Duty{Notifier: &sent, Roster: duty}, Residents: residents{}, Lines: lines,
		Now: func() time.Time { return time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai) }}
	reply := ask(t, h, "o-a")
	if len(sent) != 1 {
		t.Errorf("sent %d notices, want 1", len(sent))
	}
	for _, want := range []string{"下班时间", "明天 9:00 后联系您", "119", "物业 24 小时电话 0937-6888888"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply %q lacks %q", reply, want)
		}
	}
}

func TestLater(t *testing.T) {
	now := time.Date(2026, 11, 26, 23, 23, 0, 0, bot.Shanghai)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 26, 23, 50, 0, 0, bot.Shanghai), "今天 23:50"},
		{time.Date(2026, 11, 27, 9, 0, 0, 0, bot.Shanghai), "明天 9:00"},
		{time.Date(2026, 11, 28, 14, 30, 0, 0, bot.Shanghai), "后天 14:30"},
		{time.Date(2026, 11, 30, 9, 0, 0, 0, bot.Shanghai), "11月30日 9:00"},
	} {
		if got := bot.Later(now, tc.t); got != tc.want {
			t.Errorf("Later(%s) = %q, want %q", tc.t, got, tc.want)
		}
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

// TestRememberTextsSkipsBindCodes: a staff member's "绑定 <code>" is a
// secret; it is never kept, so no 人工 request shows it to the duty staff.
func TestRememberTextsSkipsBindCodes(t *testing.T) {
	recent := &bot.MemoryRecent{}
	check := bot.RememberTexts(recent, nil)
	for _, text := range []string{"绑定 K7M2Q9XHPR", "绑定：K7M2Q9XHPR", "绑定k7m2q9xhpr", " 绑定 K7M2Q9XHPR", "楼道灯坏了"} {
		if _, ok, err := check(t.Context(), &bot.Message{OpenID: "o-a", Kind: bot.KindText, Text: text}, bot.Normalize(text)); ok || err != nil {
			t.Fatalf("%q: answered %v, %v", text, ok, err)
		}
	}
	kept, _ := recent.Recent(t.Context(), "o-a")
	if len(kept) != 1 || kept[0] != "楼道灯坏了" {
		t.Errorf("kept %q, want only 楼道灯坏了", kept)
	}
}

// failingNotifier refuses every notice: the queue's database is down.
type failingNotifier struct{}

func (failingNotifier) Notify(context.Context, bot.Notice) error { return errors.New("queue is down") }

// brokenResidents and brokenRecent fail: the database and Redis are down.
type brokenResidents struct{ residents }

func (brokenResidents) Resident(context.Context, string) (bot.Resident, error) {
	return bot.Resident{}, errors.New("database is down")
}

type brokenRecent struct{ bot.MemoryRecent }

func (*brokenRecent) Recent(context.Context, string) ([]string, error) {
	return nil, errors.New("redis is down")
}

// TestHumanRequestWhenThingsFail: 人工 still reaches the duty staff when
// the profile or the last messages cannot be read (they only add context),
// and when the alert cannot be sent the resident gets the numbers to call
// rather than an error; each failure is logged.
func TestHumanRequestWhenThingsFail(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	now := func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, bot.Shanghai) }
	var sent notices
	h := bot.HumanDesk{Duty: bot.Duty{Notifier: &sent, Roster: duty}, Residents: brokenResidents{}, Recent: &brokenRecent{},
		Lines: lines, Now: now, Log: log}
	if reply := ask(t, h, "o-a"); !strings.Contains(reply, "已通知值班人员 王值班") || len(sent) != 1 {
		t.Errorf("reply %q, sent %d; want 王值班 told", reply, len(sent))
	}
	h = bot.HumanDesk{Duty: bot.Duty{Notifier: failingNotifier{}, Roster: duty}, Residents: residents{}, Lines: lines, Now: now, Log: log}
	reply := ask(t, h, "o-a")
	if strings.Contains(reply, "已通知") {
		t.Errorf("reply %q claims a notification", reply)
	}
	for _, want := range []string{"0937-6220000", "119"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply %q lacks %s", reply, want)
		}
	}
	for _, want := range []string{"database is down", "redis is down", "queue is down"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("not logged: %s", want)
		}
	}
}

// pickyNotifier refuses notices to one recipient.
type pickyNotifier struct {
	refuse string
	sent   notices
}

func (p *pickyNotifier) Notify(ctx context.Context, n bot.Notice) error {
	if n.To == p.refuse {
		return errors.New("refused")
	}
	return p.sent.Notify(ctx, n)
}

// TestDutyAlertGoesOnAfterAFailure: one duty staff member's notice
// failing does not keep the alert from the others and the group, nor a
// roster that cannot be read from the group.
func TestDutyAlertGoesOnAfterAFailure(t *testing.T) {
	roster := func(context.Context) ([]community.Staff, error) {
		return []community.Staff{
			{ID: 1, Name: "王值班", OpenID: "o-duty", Active: true},
			{ID: 2, Name: "陈值班", OpenID: "o-duty2", Active: true},
		}, nil
	}
	p := &pickyNotifier{refuse: "o-duty"}
	reach, err := bot.Duty{Notifier: p, Roster: roster, Robot: true}.Alert(t.Context(), bot.Notice{Text: "【紧急】", Key: "k"})
	if err == nil || len(reach.Names) != 1 || reach.Names[0] != "陈值班" || !reach.Group || len(p.sent) != 2 {
		t.Errorf("reach %+v, err %v, sent %d; want 陈值班 and the group reached and the failure returned", reach, err, len(p.sent))
	}
	p = &pickyNotifier{}
	reach, err = bot.Duty{Notifier: p, Roster: func(context.Context) ([]community.Staff, error) { return nil, errors.New("database is down") }, Robot: true}.
		Alert(t.Context(), bot.Notice{Text: "【紧急】", Key: "k"})
	if err == nil || !reach.Group || len(p.sent) != 1 {
		t.Errorf("reach %+v, err %v; want the group reached despite the roster", reach, err)
	}
}
