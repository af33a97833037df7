package mine_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/bottest"
	cl "github.com/tongxin/tongxin/bot/clinic"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/handlers/mine"
	"github.com/tongxin/tongxin/wechat/wechattest"
)

// TestOAuthDance opens a template message's link without a session: the
// page sends the browser to WeChat's web authorisation (the fake), which
// comes back to /my/oauth with a code and the state, and from there to
// the page first opened, as its resident.
func TestOAuthDance(t *testing.T) {
	r := newRig(t)
	me := resident("dance")
	tk := r.file(me, "楼道灯坏了，晚上看不见")
	r.fake.SetOAuthUser(me)
	b := r.browser()
	page := mine.Path + "tickets/" + tk.Number

	code, loc, _ := b.get(page)
	if code != http.StatusFound || !strings.HasPrefix(loc, r.fake.URL()+wechattest.PathOAuthAuthorize+"?") {
		t.Fatalf("no session: %d to %q, want the authorisation page", code, loc)
	}
	au, _ := url.Parse(loc)
	q := au.Query()
	if q.Get("appid") != wechattest.AppID || q.Get("scope") != "snsapi_base" || q.Get("state") == "" ||
		q.Get("redirect_uri") != r.url+mine.Path+"oauth?next="+url.QueryEscape(page) || au.Fragment != "wechat_redirect" {
		t.Errorf("authorisation URL %s", loc)
	}

	code, back, _ := b.get(strings.TrimSuffix(loc, "#wechat_redirect"))
	bu, _ := url.Parse(back)
	if code != http.StatusFound || bu.Path != mine.Path+"oauth" || bu.Query().Get("state") != q.Get("state") || bu.Query().Get("code") == "" {
		t.Fatalf("the fake authorised with %d to %q", code, back)
	}
	// Someone else's browser cannot use the code: the state cookie is
	// not there.
	if code, _, body := r.browser().get(back); code != http.StatusBadRequest || strings.Contains(body, "楼道灯") {
		t.Errorf("the callback in another browser: %d", code)
	}
	code, loc, _ = b.get(back)
	if code != http.StatusSeeOther || loc != page {
		t.Fatalf("callback: %d to %q, want %s", code, loc, page)
	}
	code, _, body := b.get(page)
	if code != http.StatusOK || !strings.Contains(body, "楼道灯坏了") || !strings.Contains(body, tk.Number) {
		t.Fatalf("ticket page after signing in: %d\n%s", code, body)
	}
	// The callback again (a reload): its state is spent.
	if code, _, _ := b.get(back); code != http.StatusBadRequest {
		t.Errorf("the callback reloaded: %d, want 400", code)
	}
	if got := r.fake.Count(wechattest.PathOAuthToken); got != 1 {
		t.Errorf("%d codes exchanged, want 1", got)
	}
	// A next that leaves the pages is not followed, even with a good
	// state and code.
	b2 := r.browser()
	_, loc, _ = b2.get(mine.Path)
	_, back, _ = b2.get(strings.TrimSuffix(loc, "#wechat_redirect"))
	bu, _ = url.Parse(back)
	bq := bu.Query()
	bq.Set("next", "//evil.example/x")
	bu.RawQuery = bq.Encode()
	code, loc, _ = b2.get(bu.String())
	if code != http.StatusSeeOther || loc != mine.Path {
		t.Errorf("callback with a foreign next: %d to %q, want %s", code, loc, mine.Path)
	}
	code, loc, _ = r.browser().get(mine.Path + "oauth?next=https://evil.example/&state=x&code=y")
	if code != http.StatusBadRequest || loc != "" {
		t.Errorf("a forged callback: %d to %q", code, loc)
	}
}

// TestOAuthRefused: WeChat failing to name the resident is a page saying
// so, with a way to try again, and no session.
func TestOAuthRefused(t *testing.T) {
	r := newRig(t)
	r.fake.SetOAuthUser(resident("x"))
	b := r.browser()
	r.fake.FailNext(wechattest.PathOAuthToken, 40029, 1)
	code, _, body := b.follow(mine.Path)
	if code != http.StatusBadGateway || !strings.Contains(body, "暂时无法向微信确认您的身份") || !strings.Contains(body, `href="/my/"`) {
		t.Fatalf("exchange refused: %d\n%s", code, body)
	}
	if code, _, _ := b.get(mine.Path); code != http.StatusFound {
		t.Errorf("after a refused exchange the browser has a session: %d", code)
	}
	// A form posted without a session starts over, changing nothing.
	if code, loc, _ := b.post(mine.Path+"tickets/2601010001/rate", url.Values{"rating": {"1"}}); code != http.StatusSeeOther || loc != mine.Path {
		t.Errorf("post without a session: %d to %q", code, loc)
	}
}

// TestOtherResidentsTicket: another resident's ticket, its photos and its
// rating are a 404 that shows nothing of it.
func TestOtherResidentsTicket(t *testing.T) {
	r := newRig(t)
	owner, other := resident("owner"), resident("other")
	tk := r.file(owner, "邻居家漏水渗到我家天花板")
	r.resolve(tk.Number)
	b := r.as(other)
	for _, path := range []string{
		mine.Path + "tickets/" + tk.Number,
		mine.Path + "tickets/" + tk.Number + "/photos/1",
		mine.Path + "tickets/2601019999",
	} {
		code, _, body := b.get(path)
		if code != http.StatusNotFound || strings.Contains(body, "漏水") || strings.Contains(body, "阿依古丽") || strings.Contains(body, "13800138000") {
			t.Errorf("%s: %d\n%s", path, code, body)
		}
	}
	code, _, body := b.post(mine.Path+"tickets/"+tk.Number+"/rate", url.Values{"rating": {"3"}, "reason": {"乱评"}})
	if code != http.StatusNotFound || strings.Contains(body, "漏水") {
		t.Errorf("rating someone else's ticket: %d", code)
	}
	got, _, err := r.tickets.Get(context.Background(), tk.Number)
	if err != nil || got.Status != ticket.Resolved || got.Rating != 0 {
		t.Errorf("the ticket after another resident's rating: %+v, %v", got, err)
	}
	// Not on their 我的 either.
	if _, _, body := b.get(mine.Path); strings.Contains(body, tk.Number) {
		t.Errorf("我的 lists someone else's ticket")
	}
}

// TestRateFromPage rates a resolved ticket with a reason: the same call
// as WeChat's rating; 不满意 reopens it and the reason is on the
// timeline.
func TestRateFromPage(t *testing.T) {
	r := newRig(t)
	me := resident("rate")
	tk := r.file(me, "路灯不亮")
	b := r.as(me)
	page := mine.Path + "tickets/" + tk.Number
	if _, _, body := b.get(page); strings.Contains(body, "提交评价") {
		t.Errorf("an open ticket offers the rating")
	}
	r.resolve(tk.Number)
	_, _, body := b.get(page)
	if !strings.Contains(body, "提交评价") || !strings.Contains(body, "已更换灯泡") {
		t.Fatalf("resolved ticket page:\n%s", body)
	}
	code, loc, _ := b.post(page+"/rate", url.Values{"rating": {"3"}, "reason": {"灯还是一闪一闪的"}})
	if code != http.StatusSeeOther || loc != page {
		t.Fatalf("rate: %d to %q", code, loc)
	}
	_, _, body = b.get(page)
	if !strings.Contains(body, "重新交办") || !strings.Contains(body, "灯还是一闪一闪的") || !strings.Contains(body, ticket.Reopened.Label()) {
		t.Errorf("after 不满意:\n%s", body)
	}
	got, _, err := r.tickets.Get(context.Background(), tk.Number)
	if err != nil || got.Status != ticket.Reopened {
		t.Errorf("ticket %s after 不满意: %s, %v", tk.Number, got.Status, err)
	}
	// Resolved again and rated 满意, it closes and leaves 我的.
	r.resolve(tk.Number)
	b.post(page+"/rate", url.Values{"rating": {"1"}})
	_, _, body = b.get(page)
	if !strings.Contains(body, "感谢您的评价") || !strings.Contains(body, "<dd>满意</dd>") {
		t.Errorf("after 满意:\n%s", body)
	}
	if _, _, body := b.get(mine.Path); strings.Contains(body, tk.Number) {
		t.Errorf("我的 still lists the closed ticket")
	}
	// Rating twice is refused in words.
	b.post(page+"/rate", url.Values{"rating": {"2"}})
	if _, _, body := b.get(page); !strings.Contains(body, "已经评价过了") {
		t.Errorf("a second rating was not refused:\n%s", body)
	}
}

// TestHomeListsEverythingOpen: 我的 lists the open ticket, the sign-up and
// the booking, a ticket waiting for a rating first.
func TestHomeListsEverythingOpen(t *testing.T) {
	r := newRig(t)
	r.schedule()
	me := resident("home")
	open := r.file(me, "垃圾没人清")
	rated := r.file(me, "楼道灯坏了")
	r.resolve(rated.Number)
	r.signUp(me, "百家宴", 3)
	bk := r.book(me)
	ex, err := r.clinic.RequestExpert(context.Background(), cl.ExpertRequest{OpenID: me, Name: "王建国", Phone: "13912345678",
		Matter: cl.Mediation, Description: "宅基地纠纷"}, "k-expert-"+me)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.store.SaveProfile(context.Background(), bot.Resident{OpenID: me, Name: "王建国", Phone: "13912345678", Address: "3号楼2单元201"}); err != nil {
		t.Fatal(err)
	}
	b := r.as(me)
	_, _, body := b.get(mine.Path)
	if strings.Contains(body, "13912345678") || !strings.Contains(body, bot.MaskPhone("13912345678")) {
		t.Errorf("我的 shows the phone unmasked or not at all")
	}
	for _, want := range []string{"王建国", "3号楼2单元201", open.Number, rated.Number, "已办结，请评价", "百家宴", "法律咨询", "/my/bookings#booking-" + strconv.FormatInt(bk.ID, 10)} {
		if !strings.Contains(body, want) {
			t.Errorf("我的 lacks %q", want)
		}
	}
	if !strings.Contains(body, "专家会诊") || !strings.Contains(body, "/my/bookings#expert-"+strconv.FormatInt(ex.ID, 10)) {
		t.Errorf("我的 lacks the expert request")
	}
	if _, _, body := b.get(mine.Path + "bookings"); !strings.Contains(body, `id="expert-`+strconv.FormatInt(ex.ID, 10)+`"`) {
		t.Errorf("the bookings page lacks the expert request")
	}
	if i, j := strings.Index(body, rated.Number), strings.Index(body, "百家宴"); i < 0 || j < 0 || i > j {
		t.Errorf("the ticket waiting for a rating is not first")
	}
}

// TestSignupQR: the sign-up page shows the check-in code, and its QR
// image encodes exactly that code; another resident's is not served.
func TestSignupQR(t *testing.T) {
	r := newRig(t)
	me, other := resident("qr"), resident("qr-other")
	su := r.signUp(me, "广场舞比赛", 2)
	theirs := r.signUp(other, "书法课", 2)
	b := r.as(me)
	_, _, body := b.get(mine.Path + "signups")
	if !strings.Contains(body, su.CheckinCode) || !strings.Contains(body, "广场舞比赛") || strings.Contains(body, "书法课") {
		t.Fatalf("sign-ups page:\n%s", body)
	}
	code, _, png := b.get(mine.Path + "signups/" + strconv.FormatInt(su.ID, 10) + "/qr.png")
	want, err := qrcode.Encode(su.CheckinCode, qrcode.Medium, 240)
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusOK || !bytes.Equal([]byte(png), want) {
		t.Errorf("QR: %d, %d bytes; want the QR of %s", code, len(png), su.CheckinCode)
	}
	if code, _, _ := b.get(mine.Path + "signups/" + strconv.FormatInt(theirs.ID, 10) + "/qr.png"); code != http.StatusNotFound {
		t.Errorf("another resident's QR: %d", code)
	}
	// Cancelling someone else's sign-up is a 404 and changes nothing;
	// their own goes.
	if code, _, _ := b.post(mine.Path+"signups/"+strconv.FormatInt(theirs.ID, 10)+"/cancel", nil); code != http.StatusNotFound {
		t.Errorf("cancelling another's sign-up: %d", code)
	}
	code, loc, _ := b.post(mine.Path+"signups/"+strconv.FormatInt(su.ID, 10)+"/cancel", url.Values{})
	if code != http.StatusSeeOther || loc != mine.Path+"signups" {
		t.Fatalf("cancel: %d to %q", code, loc)
	}
	_, _, body = b.get(mine.Path + "signups")
	if !strings.Contains(body, "已取消报名") || strings.Contains(body, "广场舞比赛") {
		t.Errorf("after cancelling:\n%s", body)
	}
	bs, err := r.acts.Mine(context.Background(), other)
	if err != nil || len(bs) != 1 || !bs[0].Signup.Status.Active() {
		t.Errorf("the other resident's sign-up: %+v, %v", bs, err)
	}
}

// TestBookingChangeAndCancel moves a clinic booking to another free slot
// and cancels it, through the booking flow's service calls; another
// resident's booking is a 404.
func TestBookingChangeAndCancel(t *testing.T) {
	r := newRig(t)
	r.schedule()
	me, other := resident("bk"), resident("bk-other")
	bk := r.book(me)
	theirs := r.book(other)
	b := r.as(me)
	_, _, body := b.get(mine.Path + "bookings")
	if !strings.Contains(body, bk.Code) || !strings.Contains(body, "房屋漏水") || strings.Contains(body, theirs.Code) {
		t.Fatalf("bookings page:\n%s", body)
	}
	id := strconv.FormatInt(bk.ID, 10)
	_, _, body = b.get(mine.Path + "bookings/" + id + "/change")
	i := strings.Index(body, `name="slot" value="`)
	if i < 0 {
		t.Fatalf("change page offers no slot:\n%s", body)
	}
	slot := body[i+len(`name="slot" value="`):]
	slot = slot[:strings.IndexByte(slot, '"')]
	key := body[strings.Index(body, `name="key" value="`)+len(`name="key" value="`):]
	key = key[:strings.IndexByte(key, '"')]
	code, loc, _ := b.post(mine.Path+"bookings/"+id+"/change", url.Values{"slot": {slot}, "key": {key}})
	if code != http.StatusSeeOther || loc != mine.Path+"bookings" {
		t.Fatalf("change: %d to %q", code, loc)
	}
	_, _, body = b.get(mine.Path + "bookings")
	m, err := r.clinic.Mine(context.Background(), me)
	if err != nil || len(m.Bookings) != 1 || m.Bookings[0].ID == bk.ID || (cl.SlotRef{ScheduleID: m.Bookings[0].ScheduleID, Start: m.Bookings[0].Start}).String() != slot {
		t.Fatalf("bookings after the change: %+v, %v", m.Bookings, err)
	}
	moved := m.Bookings[0]
	if !strings.Contains(body, "改约成功") || !strings.Contains(body, moved.Code) {
		t.Errorf("after the change:\n%s", body)
	}
	// The same form sent again moves nothing more.
	b.post(mine.Path+"bookings/"+id+"/change", url.Values{"slot": {slot}, "key": {key}})
	if m, _ := r.clinic.Mine(context.Background(), me); len(m.Bookings) != 1 || m.Bookings[0].ID != moved.ID {
		t.Errorf("the change repeated: %+v", m.Bookings)
	}

	for _, path := range []string{"/cancel", "/change"} {
		if code, _, body := b.post(mine.Path+"bookings/"+strconv.FormatInt(theirs.ID, 10)+path, url.Values{"slot": {slot}}); code != http.StatusNotFound || strings.Contains(body, theirs.Code) {
			t.Errorf("%s of another's booking: %d", path, code)
		}
	}
	if code, _, body := b.get(mine.Path + "bookings/" + strconv.FormatInt(theirs.ID, 10) + "/change"); code != http.StatusNotFound || strings.Contains(body, "房屋漏水") {
		t.Errorf("change page of another's booking: %d", code)
	}
	code, _, _ = b.post(mine.Path+"bookings/"+strconv.FormatInt(moved.ID, 10)+"/cancel", url.Values{})
	if code != http.StatusSeeOther {
		t.Fatalf("cancel: %d", code)
	}
	_, _, body = b.get(mine.Path + "bookings")
	if !strings.Contains(body, "已取消") || strings.Contains(body, moved.Code) {
		t.Errorf("after cancelling:\n%s", body)
	}
	if m, _ := r.clinic.Mine(context.Background(), other); len(m.Bookings) != 1 || m.Bookings[0].Status != cl.Booked {
		t.Errorf("the other resident's booking: %+v", m.Bookings)
	}
}

// TestTicketPhotos: the resident sees their ticket's photo once copied,
// served as the bytes sent.
func TestTicketPhotos(t *testing.T) {
	r := newRig(t)
	me := resident("photo")
	jpeg := wechattest.JPEG(7)
	r.fake.AddMedia("m-photo", "image/jpeg", jpeg)
	tk := r.file(me, "井盖松了", "media:m-photo")
	b := r.as(me)
	page := mine.Path + "tickets/" + tk.Number
	bottest.WaitFor(t, 30*time.Second, "the photo shown", func() bool {
		_, _, body := b.get(page)
		return strings.Contains(body, `src="`+page+`/photos/1"`)
	})
	code, _, got := b.get(page + "/photos/1")
	if code != http.StatusOK || !bytes.Equal([]byte(got), jpeg) {
		t.Errorf("photo: %d, %d bytes", code, len(got))
	}
	other := r.as(resident("photo-other"))
	if code, _, got := other.get(page + "/photos/1"); code != http.StatusNotFound || bytes.Equal([]byte(got), jpeg) {
		t.Errorf("another resident's photo: %d", code)
	}
}

// TestOfflineAndSignInAs: with development credentials there is no
// WeChat to authorise with: the pages say to use the simulator, which
// signs its resident in through SignInAs.
func TestOfflineAndSignInAs(t *testing.T) {
	r := newRig(t, offline)
	me := resident("sim")
	tk := r.file(me, "电梯坏了")
	b := r.browser()
	code, _, body := b.get(mine.Path + "tickets/" + tk.Number)
	if code != http.StatusUnauthorized || !strings.Contains(body, "模拟器") || strings.Contains(body, "电梯坏了") {
		t.Fatalf("offline without a session: %d\n%s", code, body)
	}
	if n := r.fake.Hits(wechattest.PathOAuthAuthorize); n != 0 {
		t.Errorf("offline pages went to WeChat %d times", n)
	}
	page := mine.Path + "tickets/" + tk.Number
	code, loc, _ := b.post("/sim/open", url.Values{"openid": {me}, "next": {page}})
	if code != http.StatusSeeOther || loc != page {
		t.Fatalf("sim open: %d to %q", code, loc)
	}
	if code, _, body := b.get(page); code != http.StatusOK || !strings.Contains(body, "电梯坏了") {
		t.Fatalf("after SignInAs: %d\n%s", code, body)
	}
	// Signing in as someone else replaces the session.
	b.post("/sim/open", url.Values{"openid": {resident("sim-2")}, "next": {page}})
	if code, _, body := b.get(page); code != http.StatusNotFound || strings.Contains(body, "电梯坏了") {
		t.Errorf("as another resident: %d", code)
	}
}

// TestCrossOriginPostRefused: a form another site submits is refused
// before it reaches the service.
func TestCrossOriginPostRefused(t *testing.T) {
	r := newRig(t)
	me := resident("csrf")
	tk := r.file(me, "水管漏水")
	r.resolve(tk.Number)
	b := r.as(me)
	req, _ := http.NewRequest(http.MethodPost, r.url+mine.Path+"tickets/"+tk.Number+"/rate", strings.NewReader("rating=3"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site rating: %d, want 403", resp.StatusCode)
	}
	if got, _, _ := r.tickets.Get(context.Background(), tk.Number); got.Status != ticket.Resolved {
		t.Errorf("the ticket changed: %s", got.Status)
	}
}
