package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot/intent"
)

// MenuEntry is one action of the numbered main menu, also reachable by
// the custom menu's click key and by its keywords.
type MenuEntry struct {
	// Key is the custom menu's click key (REPORT, EVENTS, LEGAL, MY).
	Key string
	// Label is shown in the numbered menu ("报修/诉求").
	Label   string
	Handler Handler
	// URL, when set, makes the custom menu's button open this page (a
	// "view" button: 社区公告, 办事指南); the numbered menu's entry
	// answers with the link.
	URL string
}

// SceneHandler answers a QR-code scene ("report:3" → name "report",
// param "3").
type SceneHandler func(ctx context.Context, m *Message, param string) (Reply, error)

// Observer is told about flows starting and ending, for metrics.
type Observer interface {
	FlowStarted(flow string)
	// FlowEnded reports how a flow ended: completed, cancelled, expired,
	// replaced (another flow started), paused (the resident came back
	// after SessionTTL and was asked whether to go on). A replaced or
	// paused form is kept as a draft: taking it up again (继续) reports
	// FlowStarted once more. Bad answers never end a flow. The flow is ""
	// when unknown (an expired session is gone; one holding only a draft
	// is then counted twice).
	FlowEnded(flow, how string)
}

// Texts are the router's own words to residents; empty fields take the
// built-in defaults.
type Texts struct {
	Welcome  string
	Help     string
	Fallback string
}

// Built-in texts. The main menu is appended where a list of choices helps.
const (
	DefaultWelcome  = "您好，欢迎关注同心社区！我是社区小助手，可以帮您报修、反映问题、报名活动、预约法律咨询。"
	DefaultHelp     = "随时回复 取消 可退出当前事项，回复 人工 可联系工作人员。"
	DefaultFallback = "抱歉，没太明白您的意思。"
	msgExpired      = "您上次没有填完的内容已超过一天没有继续，已自动清除。"
	msgLost         = "抱歉，系统刚才出了故障。如果您刚才正在填写，已填的内容没能保存，请重新开始。"
	msgDraftExpired = "（更早没填完的「%s」已超过一天没有继续，已自动清除。）"
	msgResume       = "您上次的「%s」还没填完。继续上次的诉求？\n回复 1 继续 2 重新开始"
	msgParked       = "（「%s」已为您保存，回复 继续 可接着填。）"
	msgStillDraft   = "（您上次的「%s」还没填完，回复 继续 可接着填。）"
	msgCancelled    = "已取消。"
	msgNothing      = "当前没有进行中的事项。"
	msgStillActive  = "（您正在办理的「%s」还在，可继续回答上一个问题，或回复 取消 结束。）"
)

// Router routes each message with a fixed precedence: global commands
// (取消/退出, 帮助/菜单/?, 人工), then Before checks, then a form kept as a
// draft (back after a pause: the waiting step's answer goes on, a keyword
// or a sure intent acts with the form kept, anything else is asked
// "继续上次的诉求？"; 继续), then the active flow
// (where an exact or prefix keyword the step does not take as its answer
// is answered instead, the form kept), then answers to a
// push's question (a rating), then a bare number sent just after a form
// was submitted, then the answer to the router's own "您是想…？"
// (Session.Pending), then exact keywords, then prefix keywords
// ("查询 <编号>"), then contains-keywords, then the main menu (number or
// key), then understanding (what the words mean: understand.go), then a
// fallback that shows the numbered main menu. Events (follow, menu
// clicks, QR scans) are routed by kind.
//
// Register everything before serving; registration is not safe for
// concurrent use, Handle is.
type Router struct {
	// Sessions keeps the conversation state; required.
	Sessions SessionStore
	// Residents, when set, records follows and unfollows.
	Residents Residents
	// Human handles 人工 (ask for a person); it should notify the duty staff.
	Human    Handler
	Observer Observer
	Logger   *slog.Logger
	Texts    Texts
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	flows     map[string]*Flow
	exact     map[string]Handler
	prefix    []keyword
	contains  []keyword
	followUps []FollowUp
	helps     []HelpFor
	before    []FollowUp
	actions   map[string]MenuEntry
	menu      []MenuEntry
	scenes    map[string]SceneHandler
	// words maps every registered word to what took it, so that a
	// duplicate fails at start-up.
	words map[string]string
	// und is the registered intents (understand.go).
	und understanding
	// Unrecognised, when set, keeps texts nothing understood.
	Unrecognised Unrecognised
}

type keyword struct {
	word string
	h    Handler
}

type command int

const (
	cmdNone command = iota
	cmdCancel
	cmdHelp
	cmdHuman
)

var commands = map[string]command{
	"取消": cmdCancel, "退出": cmdCancel, "不办了": cmdCancel,
	"帮助": cmdHelp, "菜单": cmdHelp, "?": cmdHelp, "help": cmdHelp, "主菜单": cmdHelp,
	"人工": cmdHuman, "人工服务": cmdHuman, "转人工": cmdHuman,
}

// NewRouter returns a Router keeping state in sessions.
func NewRouter(sessions SessionStore) *Router {
	r := &Router{
		Sessions: sessions,
		flows:    map[string]*Flow{},
		exact:    map[string]Handler{},
		scenes:   map[string]SceneHandler{},
		actions:  map[string]MenuEntry{},
		words:    map[string]string{},
	}
	for w := range commands {
		r.words[w] = "global command"
	}
	r.registerBuiltins()
	return r
}

func (r *Router) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func (r *Router) claim(word, owner string) (string, error) {
	w := Normalize(word)
	if w == "" {
		return "", fmt.Errorf("bot: empty keyword for %s", owner)
	}
	if prev, ok := r.words[w]; ok {
		return "", fmt.Errorf("bot: keyword %q of %s is already taken by %s", word, owner, prev)
	}
	r.words[w] = owner
	return w, nil
}

// Exact routes messages that are exactly word (after normalisation).
// Returns an error if the word is already registered.
func (r *Router) Exact(word string, h Handler) error {
	w, err := r.claim(word, "exact keyword")
	if err != nil {
		return err
	}
	r.exact[w] = h
	return nil
}

// Prefix routes messages that start with word followed by a space, a
// colon or comma, a digit, a Latin letter after a Chinese word, or nothing
// ("查询 2611260001", "查询2611260001", "绑定：K7M2Q9XHPR"); the handler
// parses the rest. The longest matching word wins. Returns an error if the word is
// already registered.
func (r *Router) Prefix(word string, h Handler) error {
	w, err := r.claim(word, "prefix keyword")
	if err != nil {
		return err
	}
	r.prefix = append(r.prefix, keyword{w, h})
	sort.SliceStable(r.prefix, func(i, j int) bool { return len(r.prefix[i].word) > len(r.prefix[j].word) })
	return nil
}

func hasPrefixWord(norm, word string) bool {
	rest, ok := strings.CutPrefix(norm, word)
	if !ok || rest == "" {
		return ok
	}
	switch c := rest[0]; {
	case c == ' ', c == ':', c == ',', c >= '0' && c <= '9':
		// "查询 2611…", "绑定：K7M2…" (full width is normalised), "查询2611…".
		return true
	case c >= 'a' && c <= 'z':
		// "绑定k7m2…": a Chinese keyword ends where the Latin code begins;
		// a Latin keyword ("help") must not take "helpful".
		last := word[len(word)-1]
		return last >= 0x80
	}
	return false
}

// Match is how a Keyword matches a message.
type Match int

// Match kinds, in the router's precedence.
const (
	MatchExact Match = iota
	MatchPrefix
	MatchContains
)

// Keyword is one row of a table of words a feature registers at once.
type Keyword struct {
	Word    string
	Match   Match
	Handler Handler
}

// Keywords registers each keyword with its match kind, in order; the first
// error (a word already taken) stops.
func (r *Router) Keywords(ks ...Keyword) error {
	for _, k := range ks {
		var err error
		switch k.Match {
		case MatchPrefix:
			err = r.Prefix(k.Word, k.Handler)
		case MatchContains:
			err = r.Contains(k.Word, k.Handler)
		default:
			err = r.Exact(k.Word, k.Handler)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// FollowUp answers a reply to a question a push asked outside any flow
// (a rating after 办结: "回复 1 满意"); ok false lets routing go on.
type FollowUp func(ctx context.Context, m *Message, norm string) (reply Reply, ok bool, err error)

// FollowUps registers a FollowUp, consulted after the active flow and
// before keywords, in registration order.
func (r *Router) FollowUps(f FollowUp) { r.followUps = append(r.followUps, f) }

// HelpFor is what 帮助 shows some people instead of the general help
// (staff: their commands): their help, or "" to leave them the general
// one.
type HelpFor func(ctx context.Context, m *Message) (string, error)

// AddHelp registers a HelpFor, consulted in registration order when 帮助
// comes outside a flow; the general help follows what it returns.
func (r *Router) AddHelp(h HelpFor) { r.helps = append(r.helps, h) }

// Before registers a check run on every text (and recognised voice)
// message after the global commands and before the active flow, in
// registration order: an emergency ("着火了") must be answered at once,
// whatever question the resident was answering. A check that answers (ok
// true) leaves the active flow as it was, and the reply says so; ok false
// lets routing go on.
func (r *Router) Before(f FollowUp) { r.before = append(r.before, f) }

// Contains routes messages that contain word; the longest matching word
// wins. Returns an error if the word is already registered.
func (r *Router) Contains(word string, h Handler) error {
	w, err := r.claim(word, "contains keyword")
	if err != nil {
		return err
	}
	r.contains = append(r.contains, keyword{w, h})
	sort.SliceStable(r.contains, func(i, j int) bool { return len(r.contains[i].word) > len(r.contains[j].word) })
	return nil
}

// Action registers what a main-menu key (a custom menu button's click
// key: REPORT, EVENTS, LEGAL, MY) does, with its default label. A feature
// registers its actions; Menu then lays them out. Returns an error for a
// duplicate key.
func (r *Router) Action(e MenuEntry) error {
	if e.Key == "" || e.Label == "" || e.Handler == nil {
		return fmt.Errorf("bot: menu action %q needs a key, a label and a handler", e.Key)
	}
	if _, ok := r.actions[e.Key]; ok {
		return fmt.Errorf("bot: menu action %q registered twice", e.Key)
	}
	r.actions[e.Key] = e
	return nil
}

// MenuItem places a registered action in the numbered main menu: an empty
// Label keeps the action's own; Keywords also start it.
type MenuItem struct {
	Key      string
	Label    string
	Keywords []string
}

// Menu lays out the numbered main menu from registered actions, in the
// order given; each key also routes CLICK events and typed keys. A key no
// feature registered, or given twice, is an error: a menu button must
// never lead nowhere.
func (r *Router) Menu(items ...MenuItem) error {
	for _, it := range items {
		e, ok := r.actions[it.Key]
		if !ok {
			known := make([]string, 0, len(r.actions))
			for k := range r.actions {
				known = append(known, k)
			}
			sort.Strings(known)
			return fmt.Errorf("bot: menu key %q has no action (known: %s)", it.Key, strings.Join(known, ", "))
		}
		if it.Label != "" {
			e.Label = it.Label
		}
		if _, err := r.claim(e.Key, "menu key"); err != nil {
			return err
		}
		for _, k := range it.Keywords {
			if err := r.Exact(k, e.Handler); err != nil {
				return err
			}
		}
		r.menu = append(r.menu, e)
	}
	return nil
}

// MenuEntries returns the main menu as laid out, for publishing it as
// WeChat's custom menu.
func (r *Router) MenuEntries() []MenuEntry { return append([]MenuEntry(nil), r.menu...) }

// Scene routes a QR-code scene by its name (the part before ":").
func (r *Router) Scene(name string, h SceneHandler) error {
	if _, ok := r.scenes[name]; ok || name == "" {
		return fmt.Errorf("bot: scene %q is empty or registered twice", name)
	}
	r.scenes[name] = h
	return nil
}

// Flow registers a flow so that StartFlow and sessions can find it.
func (r *Router) Flow(f *Flow) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	if _, ok := r.flows[f.Name]; ok {
		return fmt.Errorf("bot: flow %q registered twice", f.Name)
	}
	r.flows[f.Name] = f
	return nil
}

// StartFlow returns a Handler that starts the named flow, replacing any
// active one.
func (r *Router) StartFlow(name string) Handler {
	return HandlerFunc(func(ctx context.Context, m *Message) (Reply, error) {
		return r.start(ctx, m, name, "", nil)
	})
}

// StartWith starts the named flow for a message understood as an intent:
// the flow's Start sees u (State.Understood) and may keep what was said
// (a description, a guessed category) as answers.
func (r *Router) StartWith(ctx context.Context, m *Message, name string, u Understood) (Reply, error) {
	return r.start(ctx, m, name, "", &u)
}

// SceneFlow returns a SceneHandler that starts the named flow with the
// scene's parameter.
func (r *Router) SceneFlow(name string) SceneHandler {
	return func(ctx context.Context, m *Message, param string) (Reply, error) {
		return r.start(ctx, m, name, param, nil)
	}
}

// MainMenu renders the numbered main menu.
func (r *Router) MainMenu() string {
	var b strings.Builder
	b.WriteString("请回复数字：")
	for i, e := range r.menu {
		fmt.Fprintf(&b, "\n%d %s", i+1, e.Label)
	}
	return b.String()
}

func (r *Router) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Router) text(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// conv carries the loaded session through one message, so that handlers
// starting a flow reuse it instead of loading it again.
type conv struct {
	sess *Session
	// started is set when a handler went through Router.start, so that a
	// keyword typed in a form that restarted or re-asked it is not also
	// told the form is still there.
	started bool
	// parked is set when a form was put aside on this message (the
	// resident came back after a pause with a keyword).
	parked bool
	// turning is set while the active flow handles an answer: a flow
	// started then is a hand-over the flow itself made (the clinic's
	// 法律知识), which ends it rather than putting it aside.
	turning bool
	// lost says that an older draft was dropped for a newer one on this
	// message: one draft is kept, and the resident is told.
	lost string
}

type convKey struct{}

// Handle routes one message. It implements Handler.
func (r *Router) Handle(ctx context.Context, m *Message) (Reply, error) {
	sess, expired, err := r.Sessions.Load(ctx, m.OpenID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Reply{}, fmt.Errorf("bot: load session: %w", err)
	}
	// What the resident is told when the form they may be answering is
	// gone: it timed out, or the session store lost it.
	gone, why := msgExpired, "expired"
	if errors.Is(err, ErrStateLost) {
		gone, why = msgLost, "lost"
	}
	var draftGone string
	if sess != nil && sess.Draft != nil && r.now().Sub(sess.Draft.UpdatedAt) > DraftTTL {
		// A draft put aside a day ago in a session kept alive since
		// (its end was counted when it was put aside). A form being
		// filled in now is not touched: the resident is told the old one
		// is gone, and their answer is taken as usual.
		if sess.Flow != "" {
			title := sess.Draft.Flow
			if f := r.flows[title]; f != nil {
				title = f.Title
			}
			draftGone = fmt.Sprintf(msgDraftExpired, title)
			r.ended("", "expired")
		} else {
			expired = true
		}
		sess.Draft, sess.Resume = nil, false
		c := &conv{sess: sess}
		if err := r.keepOrDrop(ctx, c); err != nil {
			return Reply{}, err
		}
		sess = c.sess
	}
	c := &conv{sess: sess}
	ctx = context.WithValue(ctx, convKey{}, c)
	if expired {
		r.ended("", why)
		// The resident is probably answering the old question: "1" meant
		// "confirm", not menu item 1. Only a command or keyword acts now.
		if m.Kind != KindEvent && !r.recognised(m) {
			return Text(JoinText(gone, r.MainMenu())), nil
		}
	}
	var reply Reply
	if m.Kind == KindEvent {
		reply, err = r.event(ctx, c, m)
	} else {
		reply, err = r.message(ctx, c, m)
	}
	if expired && err == nil {
		reply.Text = JoinText(gone, reply.Text)
	}
	if c.lost != "" && err == nil {
		reply.Text = JoinText(reply.Text, c.lost)
	}
	if draftGone != "" && err == nil {
		reply.Text = JoinText(reply.Text, draftGone)
	}
	if c.parked && !c.started && err == nil && c.sess != nil && c.sess.Flow == "" && c.sess.Draft != nil {
		if f := r.flows[c.sess.Draft.Flow]; f != nil {
			reply.Text = JoinText(reply.Text, fmt.Sprintf(msgStillDraft, f.Title))
		}
	}
	if c.parked && c.started && err == nil && c.sess != nil && c.sess.Flow != "" && c.sess.Draft != nil {
		// A new form started over the one paused: say the old one is kept.
		if f := r.flows[c.sess.Draft.Flow]; f != nil {
			reply.Text = JoinText(fmt.Sprintf(msgParked, f.Title), reply.Text)
		}
	}
	return reply, err
}

// recognised reports whether m is a global command or a keyword, which
// means the same with or without the conversation that timed out.
func (r *Router) recognised(m *Message) bool {
	if m.Kind != KindText && m.Kind != KindVoice {
		return false
	}
	norm := Normalize(m.Text)
	if _, ok := commands[norm]; ok {
		return true
	}
	return r.keyword(norm, true) != nil
}

// keyword returns the handler of the exact keyword, else the longest
// prefix keyword, else (with contains) the longest contained keyword
// norm matches, in the router's precedence; nil when none does.
func (r *Router) keyword(norm string, contains bool) Handler {
	if h, ok := r.exact[norm]; ok {
		return h
	}
	for _, k := range r.prefix {
		if hasPrefixWord(norm, k.word) {
			return k.h
		}
	}
	if contains {
		for _, k := range r.contains {
			if strings.Contains(norm, k.word) {
				return k.h
			}
		}
	}
	return nil
}

// menuKey returns the handler of the main-menu key norm is ("report"
// typed for REPORT), or nil.
func (r *Router) menuKey(norm string) Handler {
	for _, e := range r.menu {
		if Normalize(e.Key) == norm {
			return e.Handler
		}
	}
	return nil
}

// command returns the handler of the exact keyword, prefix keyword or
// menu key norm is, or nil: what a resident may type in the middle of a
// form to be answered rather than to answer (Flow steps, isCommand).
// Contained words are not commands there: descriptions are made of them.
func (r *Router) command(norm string) Handler {
	if h := r.keyword(norm, false); h != nil {
		return h
	}
	return r.menuKey(norm)
}

// JoinText joins the non-empty parts of a reply with a blank line between
// them, as the router joins a notice to the menu.
func JoinText(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}

func (r *Router) ended(flow, how string) {
	if r.Observer != nil {
		r.Observer.FlowEnded(flow, how)
	}
}

func (r *Router) message(ctx context.Context, c *conv, m *Message) (Reply, error) {
	active := c.sess != nil && c.sess.Flow != ""
	norm := Normalize(m.Text)
	if m.Kind == KindText || (m.Kind == KindVoice && m.Text != "") {
		if commands[norm] != cmdNone && c.sess != nil && c.sess.Pending != nil {
			// 取消, 帮助 or 人工 instead of answering the router's "您是
			// 想…？": the question is over, so a "1" after the menu they
			// are about to see picks from the menu.
			c.sess.Pending = nil
			if !active {
				if err := r.keepOrDrop(ctx, c); err != nil {
					return Reply{}, err
				}
			}
		}
		switch commands[norm] {
		case cmdCancel:
			return r.cancel(ctx, c)
		case cmdHelp:
			return r.help(ctx, c, m)
		case cmdHuman:
			if r.Human == nil {
				return Text("请拨打社区服务电话联系工作人员。"), nil
			}
			return r.Human.Handle(ctx, m)
		}
	}
	if m.Kind == KindText || (m.Kind == KindVoice && m.Text != "") {
		for _, b := range r.before {
			reply, ok, err := b(ctx, m, norm)
			if err != nil {
				return Reply{}, err
			}
			if !ok {
				continue
			}
			if active && r.flows[c.sess.Flow] != nil {
				reply.Text = JoinText(reply.Text, fmt.Sprintf(msgStillActive, r.flows[c.sess.Flow].Title))
			}
			return reply, nil
		}
	}
	if reply, ok, err := r.drafts(ctx, c, m, norm); ok {
		return reply, err
	}
	active = c.sess != nil && c.sess.Flow != ""
	if active {
		if f := r.flows[c.sess.Flow]; f != nil {
			return r.continueFlow(ctx, c, f, m, norm)
		}
		// A flow that no longer exists (removed by a deploy): forget it.
		if err := r.Sessions.Delete(ctx, m.OpenID); err != nil {
			return Reply{}, fmt.Errorf("bot: drop unknown flow: %w", err)
		}
		c.sess = nil
	}
	switch m.Kind {
	case KindText:
	case KindVoice:
		if m.Text == "" {
			return Text("抱歉，没听清您的语音，请再说一遍或打字告诉我。"), nil
		}
	default:
		return r.media(ctx, c, m)
	}
	for _, a := range r.followUps {
		reply, ok, err := a(ctx, m, norm)
		if err != nil || ok {
			return reply, err
		}
	}
	// After the answers to a question a push asked (they are newer than
	// the flow), before keywords and the menu.
	if reply, ok, err := r.stray(ctx, c, norm); ok {
		return reply, err
	}
	// The answer to the router's own question about what a message meant
	// (understand.go): before the menu, whose numbers it shares.
	if reply, ok, err := r.pending(ctx, c, m, norm); ok {
		return reply, err
	}
	if h := r.keyword(norm, true); h != nil {
		return h.Handle(ctx, m)
	}
	if n, ok := ParseNumber(norm); ok && n >= 1 && n <= len(r.menu) {
		return r.menu[n-1].Handler.Handle(ctx, m)
	}
	if h := r.menuKey(norm); h != nil {
		return h.Handle(ctx, m)
	}
	// What no rule claimed: understand the words, ask when unsure, or
	// show the menu (understand.go).
	return r.understand(ctx, c, m, norm)
}

// MaxHeld is how many photos sent outside a flow are kept for the next
// one: as many as a request carries (ticket.MaxPhotos, which bot cannot
// import; a test in bot/ticket keeps them equal), so none is promised
// and then dropped.
const MaxHeld = 6

// media answers a non-text message that no flow is waiting for. A photo
// is kept in the session (Session.Held) for the flow the resident starts
// next: people send the picture first and say what it is about after.
func (r *Router) media(ctx context.Context, c *conv, m *Message) (Reply, error) {
	var what string
	switch m.Kind {
	case KindImage:
		ref := m.PicURL
		if ref == "" {
			ref = "media:" + m.MediaID
		}
		if c.sess == nil {
			c.sess = &Session{V: SessionVersion, OpenID: m.OpenID, StartedAt: r.now()}
		}
		if len(c.sess.Held) >= MaxHeld {
			what = fmt.Sprintf("已收到 %d 张图片，这张没有保存。如需报修或反映问题，请回复 报修。", len(c.sess.Held))
			break
		}
		c.sess.Held = append(c.sess.Held, ref)
		if err := r.save(ctx, c); err != nil {
			return Reply{}, err
		}
		what = "收到您的图片。如需报修或反映问题，请回复 报修，图片会一并提交。"
	case KindLocation:
		what = "收到您的位置。如需报修或反映问题，请先回复 报修。"
	case KindVideo, KindShortVideo:
		what = "收到您的视频。目前请用文字或图片说明情况。"
	case KindLink:
		what = "收到您分享的链接，谢谢。"
	default:
		what = "暂时无法识别这类消息，请用文字告诉我您需要什么。"
	}
	return Text(JoinText(what, r.MainMenu())), nil
}

// AfterFlowWindow is how long after a flow completed a bare number (or
// 确认) is taken for a repeat of the confirmation rather than a menu
// choice: a resident double-sends "1", or answers "1" again to be sure.
const AfterFlowWindow = 5 * time.Minute

// stray answers a bare number sent within AfterFlowWindow of a completed
// flow: what was made, and the menu. The window closes then, so the next
// number picks from the menu the resident has just seen.
func (r *Router) stray(ctx context.Context, c *conv, norm string) (Reply, bool, error) {
	if c.sess == nil || c.sess.Done == nil || c.sess.Flow != "" {
		return Reply{}, false, nil
	}
	d := *c.sess.Done
	if r.now().Sub(d.At) > AfterFlowWindow {
		return Reply{}, false, nil
	}
	if _, ok := ParseNumber(norm); !ok && !IsYes(norm) {
		return Reply{}, false, nil
	}
	c.sess.Done = nil
	if err := r.keepOrDrop(ctx, c); err != nil {
		return Reply{}, true, err
	}
	made, label := fmt.Sprintf("「%s」已提交", d.Flow), "编号"
	if f := r.flows[d.Flow]; f != nil {
		made = fmt.Sprintf("「%s」已提交", f.Title)
		if f.Submitted != "" {
			made = f.Submitted
		}
		if f.RefLabel != "" {
			label = f.RefLabel
		}
	}
	if d.Ref != "" {
		made += "（" + label + " " + d.Ref + "）"
	}
	var b strings.Builder
	b.WriteString(made + "，不用再回复数字。\n需要其他服务请回复菜单编号：")
	for i, e := range r.menu {
		fmt.Fprintf(&b, "\n%d %s", i+1, e.Label)
	}
	return Text(b.String()), true, nil
}

// keepOrDrop saves a session while it still holds something (a form,
// active or put aside, photos, a recent submission), and deletes it
// otherwise.
func (r *Router) keepOrDrop(ctx context.Context, c *conv) error {
	if c.sess.HoldsForm() || c.sess.Done != nil || len(c.sess.Held) > 0 {
		return r.save(ctx, c)
	}
	if err := r.Sessions.Delete(ctx, c.sess.OpenID); err != nil {
		return fmt.Errorf("bot: drop session: %w", err)
	}
	c.sess = nil
	return nil
}

func (r *Router) cancel(ctx context.Context, c *conv) (Reply, error) {
	if c.sess != nil && c.sess.Flow == "" && c.sess.Draft != nil {
		// The form put aside is what 取消 ends when none is active.
		d := c.sess.Draft
		c.sess.Draft, c.sess.Resume = nil, false
		if err := r.keepOrDrop(ctx, c); err != nil {
			return Reply{}, err
		}
		title := d.Flow
		if f := r.flows[d.Flow]; f != nil {
			title = f.Title
		}
		return Text(JoinText(fmt.Sprintf("%s「%s」已结束，填写的内容没有保存。", msgCancelled, title), r.MainMenu())), nil
	}
	if c.sess != nil && c.sess.Flow == "" && len(c.sess.Held) > 0 {
		// Photos held for the next request (a wrong one, a private one):
		// 取消 is how a resident takes them back.
		n := len(c.sess.Held)
		c.sess.Held = nil
		if err := r.keepOrDrop(ctx, c); err != nil {
			return Reply{}, err
		}
		return Text(JoinText(fmt.Sprintf("%s刚才收到的 %d 张图片已删除，不会提交。", msgCancelled, n), r.MainMenu())), nil
	}
	if c.sess == nil || c.sess.Flow == "" {
		return Text(JoinText(msgNothing, r.MainMenu())), nil
	}
	flow, draft := c.sess.Flow, c.sess.Draft
	r.ended(flow, "cancelled")
	if draft != nil {
		// Another form waits: cancelling this one must not lose it.
		clearFlow(c.sess)
		if err := r.save(ctx, c); err != nil {
			return Reply{}, err
		}
	} else {
		if err := r.Sessions.Delete(ctx, c.sess.OpenID); err != nil {
			return Reply{}, fmt.Errorf("bot: cancel: %w", err)
		}
		c.sess = nil
	}
	title, said := flow, ""
	if f := r.flows[flow]; f != nil {
		title, said = f.Title, f.Abandoned
	}
	if said == "" {
		said = fmt.Sprintf("%s「%s」已结束，填写的内容没有保存。", msgCancelled, title)
	}
	if draft != nil && r.flows[draft.Flow] != nil {
		said = JoinText(said, fmt.Sprintf(msgStillDraft, r.flows[draft.Flow].Title))
	}
	return Text(JoinText(said, r.MainMenu())), nil
}

func (r *Router) help(ctx context.Context, c *conv, m *Message) (Reply, error) {
	general := JoinText(r.MainMenu(), r.text(r.Texts.Help, DefaultHelp))
	if c.sess != nil && c.sess.Flow == "" && c.sess.Draft != nil && r.flows[c.sess.Draft.Flow] != nil {
		general = JoinText(general, fmt.Sprintf(msgStillDraft, r.flows[c.sess.Draft.Flow].Title))
	}
	if c.sess == nil || c.sess.Flow == "" {
		for _, h := range r.helps {
			text, err := h(ctx, m)
			if err != nil {
				return Reply{}, err
			}
			if text != "" {
				return Text(JoinText(text, general)), nil
			}
		}
		return Text(general), nil
	}
	f := r.flows[c.sess.Flow]
	if f == nil {
		return Text(general), nil
	}
	st := newState(c.sess, m)
	var parts []string
	parts = append(parts, fmt.Sprintf("您正在办理「%s」。", f.Title))
	if _, s := f.step(c.sess.Step); s != nil && s.Help != "" {
		parts = append(parts, s.Help)
	} else if f.Help != "" {
		parts = append(parts, f.Help)
	}
	parts = append(parts, "回复 返回 回到上一步，回复 取消 退出，回复 人工 联系工作人员。")
	p, err := r.reprompt(ctx, c.sess, f, st)
	if err != nil {
		return Reply{}, err
	}
	return Text(JoinText(strings.Join(parts, "\n"), "继续：\n"+p)), r.save(ctx, c)
}

// start begins flow name for the resident, replacing any active flow.
func (r *Router) start(ctx context.Context, m *Message, name, param string, u *Understood) (Reply, error) {
	f := r.flows[name]
	if f == nil {
		return Reply{}, fmt.Errorf("bot: unknown flow %q", name)
	}
	c, _ := ctx.Value(convKey{}).(*conv)
	if c == nil {
		c = &conv{}
	}
	c.started = true
	var rev int64
	var notice string
	var draft *Session
	if c.sess != nil {
		rev = c.sess.Rev
		draft = c.sess.Draft
		if c.sess.Flow == f.Name && param == "" && u == nil {
			// The keyword or button of the form being filled in: go on
			// with it rather than wipe it.
			st := newState(c.sess, m)
			p, err := r.reprompt(ctx, c.sess, f, st)
			if err != nil {
				return Reply{}, err
			}
			return Text(fmt.Sprintf("您正在办理「%s」，请继续：\n%s", f.Title, p)), r.save(ctx, c)
		}
		if c.sess.Flow == "" && draft != nil && draft.Flow == f.Name && param == "" && u == nil {
			// Starting again the form put aside: ask which is meant.
			return r.offerResume(ctx, c)
		}
		if c.sess.Flow != "" && !c.turning && draft != nil && draft.Flow == f.Name && param == "" && u == nil {
			// The keyword of the form put aside, typed in another: take it
			// up again rather than lose it.
			return r.swap(ctx, c, m)
		}
		if c.sess.Flow != "" && c.sess.Flow != f.Name && r.flows[c.sess.Flow] != nil && !c.turning {
			// Another form started in the middle of this one: keep this
			// one as the draft.
			r.ended(c.sess.Flow, "replaced")
			notice = fmt.Sprintf(msgParked, r.flows[c.sess.Flow].Title)
			notice = joinLines(notice, r.lost(park(c.sess)))
			draft = c.sess.Draft
		} else if c.sess.Flow != "" {
			r.ended(c.sess.Flow, "replaced")
		}
	}
	var held []string
	if c.sess != nil {
		held = c.sess.Held
	}
	prev := c.sess
	c.sess = &Session{V: SessionVersion, Rev: rev, OpenID: m.OpenID, Flow: f.Name, Param: param, Key: newDraftKey(), Held: held, Draft: draft, StartedAt: r.now()}
	text, _, err := r.begin(ctx, c.sess, f, m, u)
	if err != nil {
		c.sess = prev
		if prev != nil && prev.HoldsForm() {
			// The new flow could not start (a *UserError): the form put
			// aside stays.
			if serr := r.save(ctx, c); serr != nil {
				return Reply{}, serr
			}
			return Reply{}, err
		}
		if prev != nil {
			prev.Flow = ""
		}
		if derr := r.Sessions.Delete(ctx, m.OpenID); derr != nil {
			return Reply{}, derr
		}
		return Reply{}, err
	}
	if r.Observer != nil {
		r.Observer.FlowStarted(f.Name)
	}
	return Text(JoinText(notice, text)), r.save(ctx, c)
}

// drafts handles what concerns a form kept as a draft before the active
// flow sees the message: a resident back after a pause (the form is put
// aside and they are asked), 继续 while another form is open (the two
// swap), and, with no flow active, the answer to the offer or 继续. ok
// false lets routing go on.
func (r *Router) drafts(ctx context.Context, c *conv, m *Message, norm string) (Reply, bool, error) {
	active := c.sess != nil && c.sess.Flow != ""
	typed := m.Kind == KindText || (m.Kind == KindVoice && m.Text != "")
	if active && r.now().Sub(c.sess.UpdatedAt) > SessionTTL && r.flows[c.sess.Flow] != nil && !r.awaited(c.sess, m) && !r.answers(ctx, c.sess, m) {
		// Back after a pause with something that does not answer the
		// waiting step (an answer goes on with the form: the resident
		// obviously continues). A keyword, or words understood for sure
		// ("我家厨房水管漏水了"), mean the same either way: they act, and
		// the form waits as a draft. Anything else ("1" may answer the
		// old question or the menu) is asked about.
		r.ended(c.sess.Flow, "paused")
		c.lost = r.lost(park(c.sess))
		active = false
		if !typed || (!r.recognised(m) && !r.sure(m)) {
			reply, err := r.offerResume(ctx, c)
			return reply, true, err
		}
		if err := r.save(ctx, c); err != nil {
			return Reply{}, true, err
		}
		c.parked = true
	}
	if typed && active && c.sess.Draft != nil && resumeWords[answerKey(norm)] && r.flows[c.sess.Draft.Flow] != nil {
		// 继续 with a form put aside while another is open: the resident
		// was told 继续 takes the draft up, so swap them.
		reply, err := r.swap(ctx, c, m)
		return reply, true, err
	}
	if typed && !active && c.sess != nil && c.sess.Draft != nil {
		return r.draftAnswer(ctx, c, m, norm)
	}
	return Reply{}, false, nil
}

// answers reports whether m is a valid answer to the step s waits at:
// the summary's 1 or 2 (or their words), a number among the choices
// shown, a phone number where one is asked. A free-text step takes
// anything, so there only 跳过 on an optional step proves an answer.
func (r *Router) answers(ctx context.Context, s *Session, m *Message) bool {
	if m.Kind != KindText && (m.Kind != KindVoice || m.Text == "") {
		return false
	}
	f := r.flows[s.Flow]
	in := Input{Text: strings.TrimSpace(m.Text), Msg: m}
	if m.Kind == KindVoice {
		in.Text = strings.TrimSpace(strings.TrimRight(in.Text, "。"))
	}
	in.Norm = Normalize(in.Text)
	switch s.Step {
	case StepConfirm:
		n, ok := ParseNumber(in.Norm)
		return ok && (n == 1 || n == 2) || IsYes(in.Norm) || IsEdit(in.Norm)
	case StepEdit:
		n, ok := ParseNumber(in.Norm)
		return ok && n >= 1 && n <= len(editable(f, newState(s, m)))
	}
	_, st := f.step(s.Step)
	if st == nil || r.isCommand(s, st, in) {
		return false
	}
	if len(s.Choices) == 0 && s.Suggested == nil && st.Parse == nil {
		return st.Optional && skipWords[in.Norm]
	}
	if len(s.Choices) == 0 && (smallTalkKind(in.Norm) != "" || r.understood(m)) {
		// A name or a description takes nearly any text: "你好" or a new
		// problem is not what the step asked for.
		return false
	}
	// Parse on a copy of the answers, data and photos held: this only
	// asks; the turn that follows parses again and keeps the answer.
	cp := *s
	cp.Answers = maps.Clone(s.Answers)
	cp.Data = maps.Clone(s.Data)
	cp.Held = slices.Clone(s.Held)
	_, err := r.parse(ctx, &cp, newState(&cp, m), st, in)
	return err == nil
}

// understood reports whether the classifier is sure what m means.
func (r *Router) understood(m *Message) bool {
	res, err := r.Understand(m.Text)
	return err == nil && res.Band == intent.Sure
}

// sure reports whether m is understood for sure as an intent that is
// not small talk: a new matter the resident brings after a pause. A
// greeting or thanks then is rather someone coming back, best answered
// with the offer to go on.
func (r *Router) sure(m *Message) bool {
	if m.Kind != KindText && (m.Kind != KindVoice || m.Text == "") {
		return false
	}
	res, err := r.Understand(m.Text)
	if err != nil || res.Band != intent.Sure {
		return false
	}
	_, known := r.und.intents[res.Intent]
	return known && !smallTalk[res.Intent]
}

// swap takes up the draft and puts the active flow aside in its place.
func (r *Router) swap(ctx context.Context, c *conv, m *Message) (Reply, error) {
	old := c.sess.Draft
	r.ended(c.sess.Flow, "replaced")
	park(c.sess)
	cur := c.sess.Draft
	c.sess.Draft = old
	reply, err := r.resume(ctx, c, m, cur)
	if err == nil && r.flows[cur.Flow] != nil {
		reply.Text = JoinText(fmt.Sprintf(msgParked, r.flows[cur.Flow].Title), reply.Text)
	}
	return reply, err
}

// awaited reports whether m is a photo (or other media) the current step
// of s asks for: sent after a pause, it can only be the answer.
func (r *Router) awaited(s *Session, m *Message) bool {
	if m.Kind == KindText || m.Kind == KindVoice {
		return false
	}
	_, st := r.flows[s.Flow].step(s.Step)
	return st != nil && st.accepts(m.Kind)
}

// park puts the active flow of s aside as its Draft, and returns the
// older draft it replaced (one is kept, the newest), or nil.
func park(s *Session) *Session {
	old := s.Draft
	s.Draft = &Session{Flow: s.Flow, Step: s.Step, Answers: s.Answers, Choices: s.Choices, Suggested: s.Suggested,
		Editing: s.Editing, Param: s.Param, Key: s.Key, Data: s.Data, StartedAt: s.StartedAt, UpdatedAt: s.UpdatedAt}
	clearFlow(s)
	return old
}

// lost says that draft d was dropped for a newer one ("" for none).
func (r *Router) lost(d *Session) string {
	if d == nil || r.flows[d.Flow] == nil {
		return ""
	}
	return fmt.Sprintf("（上次没填完的「%s」没有保存。）", r.flows[d.Flow].Title)
}

// clearFlow forgets the active flow of s and its answers.
func clearFlow(s *Session) {
	s.Flow, s.Step, s.Answers, s.Choices, s.Suggested = "", "", nil, nil, nil
	s.Strikes, s.Editing, s.Param, s.Key, s.Data = 0, false, "", "", nil
}

// unpark makes the Draft of s its active flow again.
func unpark(s *Session) {
	d := s.Draft
	s.Flow, s.Step, s.Answers, s.Choices, s.Suggested = d.Flow, d.Step, d.Answers, d.Choices, d.Suggested
	s.Strikes, s.Editing, s.Param, s.Key, s.Data = 0, d.Editing, d.Param, d.Key, d.Data
	s.StartedAt = d.StartedAt
	s.Draft, s.Resume = nil, false
}

// offerResume asks whether to go on with the draft.
func (r *Router) offerResume(ctx context.Context, c *conv) (Reply, error) {
	f := r.flows[c.sess.Draft.Flow]
	if f == nil {
		c.sess.Draft = nil
		if err := r.keepOrDrop(ctx, c); err != nil {
			return Reply{}, err
		}
		return Text(JoinText(msgExpired, r.MainMenu())), nil
	}
	c.sess.Resume = true
	return Text(fmt.Sprintf(msgResume, f.Title)), r.save(ctx, c)
}

// resumeWords take up the draft at any time; restartWords answer 2 to the
// offer.
var (
	resumeWords  = wordSet("继续", "继续上次", "继续填", "继续填写", "继续办理", "接着填", "继续上次的诉求")
	restartWords = wordSet("重新开始", "重来", "重新填", "重新填写")
)

// draftAnswer handles a message while a draft waits and no flow is
// active: the answer to the resume offer, or 继续. ok false lets routing go
// on (the offer, once passed over, is not asked again; the draft stays).
func (r *Router) draftAnswer(ctx context.Context, c *conv, m *Message, norm string) (Reply, bool, error) {
	key := answerKey(norm)
	offered := c.sess.Resume
	f := r.flows[c.sess.Draft.Flow]
	// The offer is numbered: "第二个" or "二" is 2 as much as "2" is.
	n, isNumber := ParseNumber(norm)
	switch {
	case f == nil:
		return Reply{}, false, nil
	case resumeWords[key] || (offered && (isNumber && n == 1 || IsYes(norm))):
		reply, err := r.resume(ctx, c, m, nil)
		return reply, true, err
	case offered && (isNumber && n == 2 || restartWords[key]):
		d := c.sess.Draft
		c.sess.Draft, c.sess.Resume = nil, false
		reply, err := r.start(ctx, m, f.Name, d.Param, nil)
		return reply, true, err
	case offered:
		c.sess.Resume = false
		if err := r.save(ctx, c); err != nil {
			return Reply{}, true, err
		}
		c.parked = true
	}
	return Reply{}, false, nil
}

// resume makes the draft the active flow again, keeping next as the
// draft (a form it displaces, or nil), and asks where the resident was.
func (r *Router) resume(ctx context.Context, c *conv, m *Message, next *Session) (Reply, error) {
	f := r.flows[c.sess.Draft.Flow]
	unpark(c.sess)
	c.sess.Draft = next
	if r.Observer != nil {
		r.Observer.FlowStarted(f.Name)
	}
	st := newState(c.sess, m)
	var p string
	var err error
	if _, s := f.step(c.sess.Step); s != nil {
		// Ask the step afresh: after a pause the live choices (events,
		// free slots) may have changed, and the numbers must mean what the
		// resident now sees.
		p, err = r.ask(ctx, c.sess, st, s, true)
	} else {
		p, err = r.reprompt(ctx, c.sess, f, st)
	}
	if err != nil {
		return Reply{}, err
	}
	return Text(fmt.Sprintf("好的，继续「%s」：\n%s", f.Title, p)), r.save(ctx, c)
}

func (r *Router) continueFlow(ctx context.Context, c *conv, f *Flow, m *Message, norm string) (Reply, error) {
	c.turning = true
	text, res, err := r.turn(ctx, c.sess, f, m)
	c.turning = false
	if errors.Is(err, errCancel) {
		return r.cancel(ctx, c)
	}
	if err != nil {
		return Reply{}, err
	}
	switch res {
	case flowCompleted:
		if err := r.Sessions.Delete(ctx, c.sess.OpenID); err != nil {
			return Reply{}, fmt.Errorf("bot: end flow: %w", err)
		}
		r.ended(f.Name, "completed")
		r.rememberDone(ctx, c.sess, f)
		if d := c.sess.Draft; d != nil && r.flows[d.Flow] != nil {
			text = JoinText(text, fmt.Sprintf(msgStillDraft, r.flows[d.Flow].Title))
		}
		c.sess = nil
		return Text(text), nil
	case flowCommand:
		// A keyword typed instead of an answer: answer it. A handler that
		// starts a flow replaces c.sess (start), putting this form aside;
		// one that only answers leaves the form as it was.
		reply, err := r.command(norm).Handle(ctx, m)
		if err != nil {
			return Reply{}, err
		}
		if !c.started && c.sess != nil && c.sess.Flow == f.Name {
			reply.Text = JoinText(reply.Text, fmt.Sprintf(msgStillActive, f.Title))
		}
		return reply, nil
	}
	return Text(text), r.save(ctx, c)
}

// rememberDone keeps, in a new session without a flow, what the flow
// that just completed made (Session.Done) and the photos it did not take.
// The flow's session is deleted first, so a failure here loses only the
// reminder: it is logged, not shown.
func (r *Router) rememberDone(ctx context.Context, old *Session, f *Flow) {
	d := Done{Flow: f.Name, At: r.now()}
	if old.Done != nil {
		d.Ref = old.Done.Ref
	}
	s := &Session{V: SessionVersion, OpenID: old.OpenID, Done: &d, Held: old.Held, Draft: old.Draft, StartedAt: d.At, UpdatedAt: d.At}
	if err := r.Sessions.Save(ctx, s); err != nil {
		r.logger().WarnContext(ctx, "keeping the completed flow failed", "flow", f.Name, "openid", ShortID(old.OpenID), "err", err)
	}
}

func (r *Router) save(ctx context.Context, c *conv) error {
	if c.sess == nil {
		return nil
	}
	c.sess.UpdatedAt = r.now()
	err := r.Sessions.Save(ctx, c.sess)
	if errors.Is(err, ErrConflict) {
		return &UserError{Message: "您的上一条消息还在处理，请稍等几秒再发。", Err: err}
	}
	if err != nil {
		return fmt.Errorf("bot: save session: %w", err)
	}
	return nil
}

// event routes follows, unfollows, menu clicks and QR scans.
func (r *Router) event(ctx context.Context, c *conv, m *Message) (Reply, error) {
	switch m.Event {
	case EventSubscribe:
		if r.Residents != nil {
			if err := r.Residents.SetSubscribed(ctx, m.OpenID, true, m.Time); err != nil {
				return Reply{}, fmt.Errorf("bot: record follow: %w", err)
			}
		}
		welcome := JoinText(r.text(r.Texts.Welcome, DefaultWelcome), r.MainMenu())
		if m.EventKey == "" {
			return Text(welcome), nil
		}
		// Following by scanning a code: a scan, as below.
		if err := r.forgetAsked(ctx, c); err != nil {
			return Reply{}, err
		}
		reply, err := r.scene(ctx, m)
		if err != nil {
			return Reply{}, err
		}
		return Text(JoinText(r.text(r.Texts.Welcome, DefaultWelcome), reply.Text)), nil
	case EventUnsubscribe:
		if r.Residents != nil {
			if err := r.Residents.SetSubscribed(ctx, m.OpenID, false, m.Time); err != nil {
				return Reply{}, fmt.Errorf("bot: record unfollow: %w", err)
			}
		}
		if c.sess != nil && c.sess.Flow != "" {
			r.ended(c.sess.Flow, "cancelled")
		}
		return Reply{}, r.Sessions.Delete(ctx, m.OpenID)
	case EventClick:
		if err := r.forgetAsked(ctx, c); err != nil {
			return Reply{}, err
		}
		for _, e := range r.menu {
			if e.Key == m.EventKey {
				return e.Handler.Handle(ctx, m)
			}
		}
		return Text(JoinText(r.text(r.Texts.Fallback, DefaultFallback), r.MainMenu())), nil
	case EventScan:
		if err := r.forgetAsked(ctx, c); err != nil {
			return Reply{}, err
		}
		return r.scene(ctx, m)
	}
	// VIEW, LOCATION reports, template receipts: nothing to say.
	return Reply{}, nil
}

// forgetAsked ends the router's own question (Session.Pending) and the
// window after a submission (Session.Done) when the resident taps a menu
// button or scans a code: they chose something else, and a "1" they
// send next answers what the button or code shows, not the old question.
func (r *Router) forgetAsked(ctx context.Context, c *conv) error {
	if c.sess == nil || (c.sess.Pending == nil && c.sess.Done == nil) {
		return nil
	}
	c.sess.Pending, c.sess.Done = nil, nil
	return r.keepOrDrop(ctx, c)
}

func (r *Router) scene(ctx context.Context, m *Message) (Reply, error) {
	name, param, _ := strings.Cut(m.EventKey, ":")
	if h, ok := r.scenes[name]; ok {
		return h(ctx, m, param)
	}
	return Text(JoinText("欢迎回来！", r.MainMenu())), nil
}
