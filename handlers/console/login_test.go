package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/bot/community"
	cs "github.com/tongxin/tongxin/community"
	"github.com/tongxin/tongxin/handlers/console"
)

func TestSignedOutGoesToLogin(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	code, loc, _ := b.get(console.Path + "/tickets?status=open")
	if code != http.StatusSeeOther || loc != console.Path+"/login?next="+url.QueryEscape("/console/tickets?status=open") {
		t.Fatalf("got %d to %q", code, loc)
	}
	code, _, body := b.get(console.Path + "/login")
	if code != http.StatusOK || !strings.Contains(body, "登录后台") || !strings.Contains(body, `name="token"`) {
		t.Fatalf("login page: %d\n%s", code, body)
	}
}

func TestAdminTokenSignIn(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	code, loc, _ := b.post(console.Path+"/login/token", url.Values{"token": {"wrong-token-0123456789abcdef0123456"}})
	if code != http.StatusSeeOther || loc != console.Path+"/login" {
		t.Fatalf("wrong token: %d to %q", code, loc)
	}
	if _, _, body := b.get(console.Path + "/login"); !strings.Contains(body, "令牌不正确") {
		t.Fatalf("wrong token not told:\n%s", body)
	}
	b = r.operator()
	code, _, body := b.get(console.Path)
	if code != http.StatusOK || !strings.Contains(body, "管理员（令牌）") {
		t.Fatalf("dashboard: %d\n%s", code, body)
	}
	// Changing the admin token ends the sessions signed in with the old one.
	r.console.AdminToken = "another-admin-0123456789abcdef0123456"
	if code, loc, _ := b.get(console.Path); code != http.StatusSeeOther || !strings.HasPrefix(loc, console.Path+"/login") {
		t.Fatalf("old token's session still works: %d to %q", code, loc)
	}
}

func TestOneTimeLink(t *testing.T) {
	r := newRig(t)
	st := r.staff("张网格", community.RoleGridWorker)
	link, err := r.console.IssueLink(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	tok := u.Query().Get("t")
	b := r.browser()
	// Opening the link (or a preview fetching it) does not spend it.
	for range 2 {
		if code, _, body := b.get(u.RequestURI()); code != http.StatusOK || !strings.Contains(body, "进入后台") {
			t.Fatalf("link page: %d\n%s", code, body)
		}
	}
	if code, loc, _ := b.post(console.Path+"/login/link", url.Values{"t": {tok}}); code != http.StatusSeeOther || loc != console.Path {
		t.Fatalf("link login: %d to %q", code, loc)
	}
	if code, _, body := b.get(console.Path); code != http.StatusOK || !strings.Contains(body, "网格员 张网格") {
		t.Fatalf("dashboard: %d\n%s", code, body)
	}
	// Used once: a second browser cannot use it again.
	other := r.browser()
	if code, loc, _ := other.post(console.Path+"/login/link", url.Values{"t": {tok}}); code != http.StatusSeeOther || loc != console.Path+"/login" {
		t.Fatalf("second use: %d to %q", code, loc)
	}
	if code, _, _ := other.get(console.Path); code != http.StatusSeeOther {
		t.Fatalf("second use signed in: %d", code)
	}
}

func TestSessionsEndWhenStaffLeaveOrUnbind(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	left := r.staff("李离职", community.RoleGridWorker)
	unbound := r.staff("王解绑", community.RoleDuty)
	a, b := r.as(left), r.as(unbound)
	if code, _, _ := a.get(console.Path); code != http.StatusOK {
		t.Fatal("not signed in")
	}
	inactive := false
	if _, err := r.dir.PatchStaff(ctx, left.ID, cs.StaffPatch{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.dir.Unbind(ctx, unbound.ID); err != nil {
		t.Fatal(err)
	}
	for name, br := range map[string]interface {
		get(string) (int, string, string)
	}{"deactivated": a, "unbound": b} {
		code, loc, _ := br.get(console.Path)
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, console.Path+"/login") {
			t.Errorf("%s: still signed in: %d to %q", name, code, loc)
		}
		if _, _, body := br.get(console.Path + "/login"); !strings.Contains(body, "登录已失效") {
			t.Errorf("%s: not told the session ended", name)
		}
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	r := newRig(t)
	req, _ := http.NewRequest(http.MethodPost, r.url+console.Path+"/login/token", strings.NewReader("token="+adminToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
}
