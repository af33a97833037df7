// Package sim is the resident simulator at /sim: a phone-shaped page that
// posts signed messages to the real webhook and shows, in one thread, the
// replies and the pushes the resident receives.
//
// The page speaks to this instance's /wechat over loopback HTTP as WeChat
// would (signed, encrypted in the account's mode), so what it shows went
// through the production path: signature, decryption, dedup, rate limits,
// the bot. Pushes come from the outbox's inbox (notify.Inbox), where the
// notices to openids no WeChat user stands behind are kept. It does not
// decide who may read what: the bot and the services do, as for WeChat.
package sim

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers/web"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/wechat"
)

// Path is where the simulator is mounted.
const Path = "/sim"

// minePath is where the resident pages behind template links live
// (handlers/mine.Path, without importing the pages themselves).
const minePath = "/my/"

// Pushes is where the simulator reads what a recipient was pushed
// (notify.Inbox).
type Pushes interface {
	Pushes(ctx context.Context, openid string) ([]notify.Push, error)
}

// Simulator is the simulator's page and its endpoints.
type Simulator struct {
	// Wire posts to the webhook: its URL (this instance's /wechat), the
	// account's AppID, token, AES key and mode.
	Wire *wechat.Simulator
	// Menu is the official account's custom menu, as published (the
	// buttons `tongxin menu push` sends).
	Menu []wechat.MenuButton
	// Inbox holds the pushes; nil shows none.
	Inbox Pushes
	// Redis keeps each simulated resident's side of the thread (what they
	// sent, what the webhook answered) for a day.
	Redis redis.UniversalClient
	// KeyPrefix starts every Redis key ("tongxin:" when empty).
	KeyPrefix string
	// SimOnly limits the simulator to its own openids (notify.SimPrefix):
	// with real credentials nobody may speak as a real resident or staff
	// member through it, and only these openids' pushes are kept.
	SimOnly bool
	// SignIn starts a resident-page session for openid
	// (mine.Pages.SignInAs): how a template card's 详情 opens its page.
	// Nil leaves the links unopenable.
	SignIn func(w http.ResponseWriter, r *http.Request, openid string) error
	// PublicURL is where people open tongxin; a link under it is one of
	// tongxin's own pages.
	PublicURL string
	// Quiet are the quiet hours (TONGXIN_QUIET_HOURS): while they last
	// the page says why a resident's news has not come yet.
	Quiet  notify.QuietHours
	Logger *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
}

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

var (
	pages = web.MustParsePages(templates, nil, "templates/*.html")
	// fragment is the thread alone, which the page's script fetches.
	fragment = template.Must(template.New("").Funcs(web.Funcs()).ParseFS(templates, "templates/_thread.html"))
)

// Suggested are the residents offered in the picker: two residents and
// one to bind as a staff member (绑定 and the code from the console).
var Suggested = []Choice{
	{ID: "sim-resident-1", Label: "居民一"},
	{ID: "sim-resident-2", Label: "居民二"},
	{ID: "sim-staff-1", Label: "工作人员（先发 绑定 绑定码）"},
}

// Choice is a resident offered in the picker.
type Choice struct{ ID, Label string }

// DefaultOpenID is who the simulator speaks as when nothing was chosen.
var DefaultOpenID = Suggested[0].ID

const cookieName = "tongxin_sim"

// Handler returns the routes under Path.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Path, s.page)
	mux.HandleFunc("GET "+Path+"/{$}", s.page)
	mux.HandleFunc("POST "+Path+"/send", s.send)
	mux.HandleFunc("GET "+Path+"/thread", s.threadPart)
	mux.HandleFunc("GET "+Path+"/open", s.open)
	mux.Handle("GET "+Path+"/static/", http.StripPrefix(Path, assets()))
	return web.Protect(mux, s.PublicURL)
}

func assets() http.Handler {
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

func (s *Simulator) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Simulator) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// validID is what the simulator accepts as an openid: WeChat's are 28
// characters of [A-Za-z0-9_-]; a little more room for readable ones.
var validID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// errNotSim refuses a real person's openid with real credentials.
var errNotSim = errors.New("使用正式公众号时，模拟器只能以 " + notify.SimPrefix + " 开头的模拟身份发送")

// check says why openid cannot be used, or nil.
func (s *Simulator) check(openid string) error {
	if !validID.MatchString(openid) {
		return errors.New("身份（openid）只能由字母、数字、- 和 _ 组成，最长 64 位")
	}
	if s.SimOnly && !notify.IsSimOpenID(openid) {
		return errNotSim
	}
	return nil
}

// chosen is the resident the request names (?openid= or the form),
// else the one last used (cookie), else DefaultOpenID.
func (s *Simulator) chosen(r *http.Request) string {
	if id := strings.TrimSpace(r.FormValue("openid")); id != "" {
		return id
	}
	if c, err := r.Cookie(cookieName); err == nil && s.check(c.Value) == nil {
		return c.Value
	}
	return DefaultOpenID
}

// remember keeps openid as the one last used, so that a link naming only
// a scene (/sim?scan=login:…, from the console) scans as them.
func remember(w http.ResponseWriter, r *http.Request, openid string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: openid, Path: Path, MaxAge: 30 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

// NewOpenID invents a simulated resident.
func NewOpenID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return notify.SimPrefix + hex.EncodeToString(b)
}

func here(openid string) string { return Path + "?openid=" + url.QueryEscape(openid) }

// page shows the phone. ?openid=new invents a resident; ?scan=<scene>
// first sends a SCAN event with that EventKey as the chosen resident (the
// console's scan login links here in development), then comes back
// without it, so that a reload does not scan again.
func (s *Simulator) page(w http.ResponseWriter, r *http.Request) {
	openid := s.chosen(r)
	if openid == "new" {
		http.Redirect(w, r, here(NewOpenID()), http.StatusSeeOther)
		return
	}
	if err := s.check(openid); err != nil {
		s.render(w, r, http.StatusBadRequest, openid, err.Error())
		return
	}
	remember(w, r, openid)
	if scene := strings.TrimSpace(r.URL.Query().Get("scan")); scene != "" {
		m := wechat.SimMessage{OpenID: openid, Kind: bot.KindEvent, Event: bot.EventScan, EventKey: scene}
		s.exchange(r.Context(), m, "扫描了二维码（"+scene+"）")
		http.Redirect(w, r, here(openid), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, openid, "")
}

// pageData is what sim.html shows.
type pageData struct {
	OpenID    string
	Suggested []Choice
	Menu      []button
	Thread    threadData
	Error     string
	SimOnly   bool
	// QuietUntil, when set, is when the quiet hours now under way end.
	QuietUntil time.Time
}

// button is a menu button as the page shows it: Key for a click button,
// Link for a page, Sub for a sub-menu.
type button struct {
	Name, Key, Link string
	Sub             []button
}

func (s *Simulator) render(w http.ResponseWriter, r *http.Request, status int, openid, problem string) {
	d := pageData{OpenID: openid, Suggested: Suggested, SimOnly: s.SimOnly, Error: problem}
	if now := s.now(); s.Quiet.Release(now).After(now) {
		d.QuietUntil = s.Quiet.Release(now)
	}
	if problem == "" {
		d.Menu = s.buttons(openid, s.Menu)
		d.Thread = s.thread(r.Context(), openid)
	}
	if err := pages.Render(w, status, "sim.html", d); err != nil {
		s.log().ErrorContext(r.Context(), "simulator page", "err", err)
	}
}

func (s *Simulator) buttons(openid string, in []wechat.MenuButton) []button {
	out := make([]button, 0, len(in))
	for _, b := range in {
		out = append(out, button{Name: b.Name, Key: b.Key, Link: s.link(openid, b.URL), Sub: s.buttons(openid, b.Sub)})
	}
	return out
}

// send posts what the resident typed or tapped: text, a menu key
// (a CLICK event) or a subscribe. The page's script asks for the thread
// back (X-Sim-Fragment); a plain form comes back to the page.
func (s *Simulator) send(w http.ResponseWriter, r *http.Request) {
	// A message is short (WeChat takes 2048 bytes of text); the thread
	// keeps what is sent, so a page may not post megabytes.
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "消息太长", http.StatusRequestEntityTooLarge)
		return
	}
	openid := s.chosen(r)
	if err := s.check(openid); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	m := wechat.SimMessage{OpenID: openid}
	var shown string
	switch {
	case r.PostFormValue("key") != "":
		key := r.PostFormValue("key")
		m.Kind, m.Event, m.EventKey = bot.KindEvent, bot.EventClick, key
		shown = "点击菜单「" + s.label(key) + "」"
	case r.PostFormValue("event") == "subscribe":
		m.Kind, m.Event = bot.KindEvent, bot.EventSubscribe
		shown = "关注了公众号"
	default:
		text := strings.TrimSpace(r.PostFormValue("text"))
		if text == "" {
			http.Redirect(w, r, here(openid), http.StatusSeeOther)
			return
		}
		if len(text) > maxText {
			http.Error(w, "消息太长（最多约 600 个汉字）", http.StatusRequestEntityTooLarge)
			return
		}
		m.Kind, m.Text, shown = bot.KindText, text, text
	}
	s.exchange(r.Context(), m, shown)
	remember(w, r, openid)
	if r.Header.Get("X-Sim-Fragment") != "" {
		s.writeThread(w, r, openid)
		return
	}
	http.Redirect(w, r, here(openid), http.StatusSeeOther)
}

// maxText is the longest text message WeChat delivers, in bytes.
const maxText = 2048

// label is the name of the menu button with key.
func (s *Simulator) label(key string) string {
	var find func([]wechat.MenuButton) string
	find = func(bs []wechat.MenuButton) string {
		for _, b := range bs {
			if b.Key == key {
				return b.Name
			}
			if n := find(b.Sub); n != "" {
				return n
			}
		}
		return ""
	}
	if n := find(s.Menu); n != "" {
		return n
	}
	return key
}

// exchange sends m to the webhook as WeChat would and keeps both sides in
// the thread: shown, as the resident's bubble, and the answer, or what
// went wrong, as the account's.
func (s *Simulator) exchange(ctx context.Context, m wechat.SimMessage, shown string) {
	// A page closed mid-send must not lose the answer: the webhook acts
	// whatever becomes of the page, so the thread records it (WeChat
	// itself waits 5 s).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	mine := entry{At: s.now().UTC(), Mine: true, Text: shown, Event: m.Kind == bot.KindEvent}
	s.keep(ctx, m.OpenID, mine)
	reply, status, err := s.Wire.Send(ctx, m)
	answer := entry{At: s.now().UTC()}
	switch {
	case err != nil:
		s.log().WarnContext(ctx, "simulator: the webhook did not answer", "err", err)
		answer.Problem = "没有收到公众号的回复：" + err.Error()
	case status != http.StatusOK:
		answer.Problem = fmt.Sprintf("公众号拒绝了这条消息（HTTP %d）：%s", status, strings.TrimSpace(reply))
	case reply == "":
		// WeChat shows nothing for "success"; a late answer comes as a push.
		return
	default:
		answer.Text = reply
	}
	s.keep(ctx, m.OpenID, answer)
}

// entry is one side of the conversation kept by the simulator.
type entry struct {
	At   time.Time `json:"at"`
	Mine bool      `json:"mine,omitempty"`
	// Event marks what the resident did rather than typed (a menu tap).
	Event   bool   `json:"event,omitempty"`
	Text    string `json:"text,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// How much of a conversation is kept: enough to read, never an archive.
const (
	keepEntries = 200
	keepFor     = 24 * time.Hour
)

func (s *Simulator) key(openid string) string {
	p := s.KeyPrefix
	if p == "" {
		p = "tongxin:"
	}
	return p + "sim:thread:" + openid
}

func (s *Simulator) keep(ctx context.Context, openid string, e entry) {
	raw, err := json.Marshal(e)
	if err != nil {
		return
	}
	k := s.key(openid)
	_, err = s.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, k, raw)
		p.LTrim(ctx, k, -keepEntries, -1)
		p.Expire(ctx, k, keepFor)
		return nil
	})
	if err != nil {
		s.log().WarnContext(ctx, "simulator: keep the thread", "err", err)
	}
}

func (s *Simulator) entries(ctx context.Context, openid string) ([]entry, error) {
	raws, err := s.Redis.LRange(ctx, s.key(openid), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(raws))
	for _, raw := range raws {
		var e entry
		if json.Unmarshal([]byte(raw), &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// threadData is the thread as _thread.html shows it.
type threadData struct {
	OpenID string
	Items  []item
	// Rev changes whenever the thread does: the script swaps the thread
	// only then, so that polling does not disturb the reader.
	Rev     string
	Problem string
}

// item is one bubble: the resident's (Mine), the account's reply, or a
// push (Push: a customer-service text, or a template Card).
type item struct {
	At      time.Time
	Stamp   bool // show the time above it, as WeChat does after a pause
	Mine    bool
	Event   bool
	Push    bool
	Text    template.HTML
	Card    *card
	Problem string
}

// card is a template message as WeChat shows it.
type card struct {
	Title string
	Rows  []row
	Link  string
}

type row struct{ Label, Value string }

func (s *Simulator) thread(ctx context.Context, openid string) threadData {
	d := threadData{OpenID: openid}
	es, err := s.entries(ctx, openid)
	if err != nil {
		s.log().WarnContext(ctx, "simulator: read the thread", "err", err)
		d.Problem = "暂时读不到对话记录"
	}
	for _, e := range es {
		d.Items = append(d.Items, item{At: e.At, Mine: e.Mine, Event: e.Event, Text: s.linkify(openid, e.Text), Problem: e.Problem})
	}
	if s.Inbox != nil {
		ps, err := s.Inbox.Pushes(ctx, openid)
		if err != nil {
			s.log().WarnContext(ctx, "simulator: read the pushes", "err", err)
			d.Problem = "暂时读不到推送消息"
		}
		for _, p := range ps {
			it := item{At: p.At, Push: true}
			if p.As == notify.PushTemplate {
				it.Card = s.card(openid, p)
			} else {
				it.Text = s.linkify(openid, p.Text)
			}
			d.Items = append(d.Items, it)
		}
	}
	slices.SortStableFunc(d.Items, func(a, b item) int { return a.At.Compare(b.At) })
	var last time.Time
	for i := range d.Items {
		d.Items[i].Stamp = d.Items[i].At.Sub(last) >= 3*time.Minute
		last = d.Items[i].At
	}
	d.Rev = fmt.Sprintf("%d-%d", len(d.Items), last.UnixNano())
	return d
}

// fieldLabels name the notices' fields (bot.Notice.Fields) on a card, in
// the order they are shown; others follow by name.
var fieldLabels = []row{
	{"number", "编号"}, {"status", "状态"}, {"time", "时间"}, {"name", "姓名"}, {"place", "地点"},
	{"summary", "内容"}, {"code", "签到码"}, {"note", "备注"}, {"action", "提示"},
}

func (s *Simulator) card(openid string, p notify.Push) *card {
	c := &card{Title: p.Fields["title"], Link: s.link(openid, p.URL)}
	if c.Title == "" {
		c.Title = "服务通知"
	}
	seen := map[string]bool{"title": true}
	for _, l := range fieldLabels {
		if v, ok := p.Fields[l.Label]; ok && v != "" {
			c.Rows = append(c.Rows, row{Label: l.Value, Value: v})
		}
		seen[l.Label] = true
	}
	var rest []string
	for k := range p.Fields {
		if !seen[k] && p.Fields[k] != "" {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		c.Rows = append(c.Rows, row{Label: k, Value: p.Fields[k]})
	}
	return c
}

// link is where the simulator opens raw, a link in a message or a menu:
// tongxin's resident pages through /sim/open as openid (WeChat's web
// authorisation stands behind them), another http(s) page as it is,
// anything else nowhere ("").
func (s *Simulator) link(openid, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if s.PublicURL != "" {
		if rest, ok := strings.CutPrefix(raw, strings.TrimRight(s.PublicURL, "/")); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
			raw = rest
		}
	}
	if minePage(raw) {
		return Path + "/open?" + url.Values{"openid": {openid}, "to": {raw}}.Encode()
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if ourPath(raw) {
			return raw // another page of ours
		}
		return ""
	}
	return u.String()
}

// minePage reports whether to is a path of the resident pages, written
// plainly: no "..", no backslash, no doubled slash, nothing a browser or
// http.Redirect could turn into another site ("/my/../\\evil.com").
func minePage(to string) bool {
	if !ourPath(to) {
		return false
	}
	return to == strings.TrimSuffix(minePath, "/") || strings.HasPrefix(to, minePath)
}

// ourPath reports whether raw is a plain path of this site (a query
// allowed): cleaned as it is, no backslash or control character, no
// scheme or host.
func ourPath(raw string) bool {
	if raw == "" || raw[0] != '/' || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\r\n\t") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return false
	}
	return path.Clean(u.Path) == u.Path || path.Clean(u.Path)+"/" == u.Path
}

// anchor finds the links a text message carries (bot.LinkText), the one
// markup WeChat shows in one.
var anchor = regexp.MustCompile(`<a href="([^"]*)">(.*?)</a>`)

// linkify is a text message as WeChat shows it: the text as it is, its
// <a href> links as links (through link).
func (s *Simulator) linkify(openid, text string) template.HTML {
	var b strings.Builder
	at := 0
	for _, m := range anchor.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(template.HTMLEscapeString(text[at:m[0]]))
		// The text is markup (bot.LinkText escapes the href): read it back
		// before link checks it and the output escapes it once.
		href, label := html.UnescapeString(text[m[2]:m[3]]), html.UnescapeString(text[m[4]:m[5]])
		if dest := s.link(openid, href); dest != "" {
			fmt.Fprintf(&b, `<a href="%s" target="_blank" rel="noopener">%s</a>`, template.HTMLEscapeString(dest), template.HTMLEscapeString(label))
		} else {
			b.WriteString(template.HTMLEscapeString(text[m[0]:m[1]]))
		}
		at = m[1]
	}
	b.WriteString(template.HTMLEscapeString(text[at:]))
	return template.HTML(b.String())
}

// threadPart answers the page's script: the thread alone.
func (s *Simulator) threadPart(w http.ResponseWriter, r *http.Request) {
	openid := s.chosen(r)
	if err := s.check(openid); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.writeThread(w, r, openid)
}

func (s *Simulator) writeThread(w http.ResponseWriter, r *http.Request, openid string) {
	d := s.thread(r.Context(), openid)
	var b strings.Builder
	if err := fragment.ExecuteTemplate(&b, "thread", d); err != nil {
		s.log().ErrorContext(r.Context(), "simulator thread", "err", err)
		http.Error(w, "页面出错了", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Sim-Rev", d.Rev)
	_, _ = w.Write([]byte(b.String()))
}

// open opens one of tongxin's resident pages (a template card's 详情) as
// openid: it starts their session as WeChat's web authorisation would,
// then goes there. Only the simulator's openids may be opened so with
// real credentials (with development ones, any: there is no real
// resident), and only pages under /my/.
func (s *Simulator) open(w http.ResponseWriter, r *http.Request) {
	openid := r.URL.Query().Get("openid")
	to := r.URL.Query().Get("to")
	if err := s.check(openid); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	if !minePage(to) {
		http.Error(w, "只能打开居民页面（/my/）", http.StatusBadRequest)
		return
	}
	if s.SignIn == nil {
		http.Error(w, "居民页面尚未开放", http.StatusNotFound)
		return
	}
	if err := s.SignIn(w, r, openid); err != nil {
		s.log().ErrorContext(r.Context(), "simulator: sign in to the resident pages", "err", err)
		http.Error(w, "暂时打不开居民页面，请稍后再试", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
