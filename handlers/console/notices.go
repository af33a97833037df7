package console

// This file is the notifications page: the ledger's rows by status,
// failed ones first (what someone has to look at), with why they failed
// and a retry.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/storage"
)

// NoticesPerPage is how many notifications one page lists.
const NoticesPerPage = 50

// noticeRoutes registers the pages of notifications: failed ones with
// their reason, and their retry. Without a ledger (Notifications nil)
// there is no page; without a Retrier, no retry.
func (c *Console) noticeRoutes(mux *http.ServeMux) {
	if c.Notifications == nil {
		return
	}
	mux.Handle("GET "+Path+"/notifications", c.auth(c.managers(c.notices)))
	if c.Retrier != nil {
		mux.Handle("POST "+Path+"/notifications/{id}/retry", c.auth(c.managers(c.retryNotice)))
	}
}

// SeesNotices reports whether the nav shows this area to w.
func (w Who) SeesNotices() bool { return w.Manages() }

// noticeStatuses are the filter's choices, in order.
var noticeStatuses = []struct{ Value, Label string }{
	{storage.NotificationFailed, "失败"},
	{storage.NotificationPending, "待发送"},
	{storage.NotificationSent, "已发送"},
	{storage.NotificationDropped, "已作废"},
}

func statusLabel(s string) string {
	for _, st := range noticeStatuses {
		if st.Value == s {
			return st.Label
		}
	}
	return s
}

// noticeRow is a notification as the list shows it.
type noticeRow struct {
	ID                  int64
	Kind                string
	To                  string // an openid shortened, or a role's label
	Staff, Urgent       bool
	Status, StatusLabel string
	Channel             string
	Attempts            int
	Reason              string
	Created, Updated    time.Time
	NotBefore           time.Time
	Sent                time.Time
	Retry               bool
	// Erased is true once what it said was erased: nothing to resend.
	Erased bool
}

// recipientLabel is who a notification went to as a list shows it: a
// role by its label, an openid shortened (never whole: it identifies a
// resident), or a note that it was erased.
func recipientLabel(to string) string {
	switch {
	case to == "":
		return "（已清除）"
	case strings.HasPrefix(to, "role:"):
		return "角色：" + community.Role(strings.TrimPrefix(to, "role:")).Label()
	}
	return bot.ShortID(to)
}

func newNoticeRow(n storage.Notification, canRetry bool) noticeRow {
	row := noticeRow{ID: n.ID, Kind: n.Kind, To: recipientLabel(n.Recipient), Staff: n.Staff, Urgent: n.Urgent,
		Status: n.Status, StatusLabel: statusLabel(n.Status), Channel: n.Channel, Attempts: n.Attempts,
		Reason: n.LastError, Created: n.CreatedAt, Updated: n.UpdatedAt, NotBefore: n.NotBefore,
		Erased: n.Payload == storage.ErasedPayload}
	row.Retry = canRetry && n.Status == storage.NotificationFailed && !row.Erased
	if n.SentAt != nil {
		row.Sent = *n.SentAt
	}
	return row
}

// statusChoice is one option of the status filter.
type statusChoice struct {
	Value, Label string
	Selected     bool
}

// noticesData is notices.html's data.
type noticesData struct {
	Page
	Status      string
	StatusLabel string
	Statuses    []statusChoice
	Rows        []noticeRow
	// PageNo is the page shown (1-based); Prev and Next link the others
	// ("" when there is none).
	PageNo     int
	Prev, Next string
	// Back is this page's address, where a retry returns.
	Back string
}

func noticesURL(status string, page int) string {
	q := url.Values{"status": {status}}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return Path + "/notifications?" + q.Encode()
}

func (c *Console) notices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if status == "" {
		status = storage.NotificationFailed
	}
	if statusLabel(status) == status {
		c.fail(w, r, bot.Say("没有这种状态的通知。"))
		return
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 || page > 1e6 {
		page = 1
	}
	// One more than a page tells whether there is a next one.
	rows, err := c.Notifications.ListNotifications(r.Context(), status, NoticesPerPage+1, (page-1)*NoticesPerPage)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := noticesData{Page: c.page(r, "通知", "notices"), Status: status, StatusLabel: statusLabel(status),
		PageNo: page, Back: noticesURL(status, page)}
	for _, s := range noticeStatuses {
		d.Statuses = append(d.Statuses, statusChoice{Value: s.Value, Label: s.Label, Selected: s.Value == status})
	}
	if len(rows) > NoticesPerPage {
		rows = rows[:NoticesPerPage]
		d.Next = noticesURL(status, page+1)
	}
	if page > 1 {
		d.Prev = noticesURL(status, page-1)
	}
	for _, n := range rows {
		d.Rows = append(d.Rows, newNoticeRow(n, c.Retrier != nil))
	}
	c.render(w, r, "notices.html", d)
}

// safeNoticesBack keeps a retry's return address only when it is the
// notifications page.
func safeNoticesBack(back string) string {
	if strings.HasPrefix(back, Path+"/notifications?") && !strings.ContainsAny(back, "\\\r\n") {
		return back
	}
	return Path + "/notifications"
}

func (c *Console) retryNotice(w http.ResponseWriter, r *http.Request) {
	back := safeNoticesBack(r.PostFormValue("back"))
	id, err := pathInt(r, "id")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	switch err := c.Retrier.Retry(r.Context(), id); {
	case errors.Is(err, bot.ErrConflict):
		c.failTo(w, r, back, bot.Refuse("只有发送失败（或已作废）且内容未被清除的通知可以重试；这条可能已被重试过。"))
	case err != nil:
		c.failTo(w, r, back, err)
	default:
		c.done(w, r, back, fmt.Sprintf("通知 #%d 已重新排队发送。", id))
	}
}
