package bot

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tongxin/tongxin/bot/intent"
)

// Intent is something a resident may mean when no keyword, menu key or QR
// scene claimed their message ("楼道灯不亮好几天了" means a repair): its
// vocabulary, and what to do when the router is sure enough. A feature
// registers its intents with its flow, so a new domain brings its words.
type Intent struct {
	// Name identifies the intent in metrics and configuration
	// ("report:repair", "clinic:aid", "events").
	Name string
	// Label names it when the router asks which of two was meant
	// ("报修（维修）").
	Label string
	// Words are the vocabulary (syntax: intent.New).
	Words []string
	// Handler acts on it: starts the flow with what was said kept
	// (Router.StartWith), or answers.
	Handler IntentHandler
}

// IntentHandler acts on a message understood as an intent. m is the
// message being handled: when the router asked which intent was meant, it
// is the answer ("1"), and u.Said the description asked about, with
// u.Result its classification (whose best intent may not be u.Intent, the
// one chosen). Use u.Said, not m.Text, for what the resident said.
type IntentHandler func(ctx context.Context, m *Message, u Understood) (Reply, error)

// Understood is what the router understood of a message: the intent, the
// words as the resident typed them, and the classifier's explanation.
type Understood struct {
	Intent string
	// Said is the message as typed (trimmed), to keep as the description.
	Said   string
	Result intent.Result
}

// UnderstandingObserver, when the Router's Observer also implements it, is
// told how each message that reached understanding was understood: the
// intent ("" when none) and the band ("sure", "unsure", "none").
type UnderstandingObserver interface {
	Understood(intent, band string)
}

// Unrecognised keeps the texts nothing understood, so that operators see
// what residents ask that nobody taught the bot. Implementations mask
// digits and names before keeping anything.
type Unrecognised interface {
	Record(ctx context.Context, text string, at time.Time) error
}

// understanding is the router's registered intents and, once built, the
// classifier over them.
type understanding struct {
	intents map[string]Intent
	order   []string
	extra   map[string][]string
	once    sync.Once
	c       *intent.Classifier
	err     error
	// classify, when set, replaces the classifier: the router's tests
	// decide the band themselves, so that they test what the router does
	// with a Result and not how the scorer weighs words.
	classify func(text string) intent.Result
	// describe is the line telling residents they can describe their
	// problem (describeLine), built once.
	describeOnce sync.Once
	describe     string
}

// Intent registers an intent. Returns an error for a duplicate name, a
// missing handler or a registration after the first message was
// understood.
func (r *Router) Intent(in Intent) error {
	if in.Name == "" || in.Handler == nil {
		return fmt.Errorf("bot: intent %q needs a name and a handler", in.Name)
	}
	if r.und.c != nil {
		return fmt.Errorf("bot: intent %q registered after the first message", in.Name)
	}
	if r.und.intents == nil {
		r.und.intents = map[string]Intent{}
	}
	if _, ok := r.und.intents[in.Name]; ok {
		return fmt.Errorf("bot: intent %q registered twice", in.Name)
	}
	r.und.intents[in.Name] = in
	r.und.order = append(r.und.order, in.Name)
	return nil
}

// Words adds an operator's words to a registered intent (the
// configuration file's [bot.words]). Returns an error for an intent no
// feature registered.
func (r *Router) Words(name string, words ...string) error {
	if _, ok := r.und.intents[name]; !ok {
		known := slices.Sorted(maps.Keys(r.und.intents))
		return fmt.Errorf("bot: words for intent %q, which no feature registered (known: %s)", name, strings.Join(known, ", "))
	}
	if r.und.extra == nil {
		r.und.extra = map[string][]string{}
	}
	r.und.extra[name] = append(r.und.extra[name], words...)
	return nil
}

// classifier builds, once, the classifier over every registered intent.
func (r *Router) classifier() (*intent.Classifier, error) {
	r.und.once.Do(func() {
		var vs []intent.Vocabulary
		for _, name := range r.und.order {
			vs = append(vs, intent.Vocabulary{Intent: name, Words: r.und.intents[name].Words})
			if extra := r.und.extra[name]; len(extra) > 0 {
				vs = append(vs, intent.Vocabulary{Intent: name, Words: extra})
			}
		}
		r.und.c, r.und.err = intent.New(vs)
	})
	return r.und.c, r.und.err
}

// Understand classifies text as the router would, without acting: for the
// evaluation set and for explaining a decision.
func (r *Router) Understand(text string) (intent.Result, error) {
	if r.und.classify != nil {
		return r.und.classify(Normalize(text)), nil
	}
	c, err := r.classifier()
	if err != nil {
		return intent.Result{}, err
	}
	return c.Classify(Normalize(text)), nil
}

// PendingWindow is how long a question the router asked about what a
// message meant (Session.Pending) takes a bare "1" or "2" as its answer.
// Later the same digit is a main-menu choice again: the resident has
// probably forgotten the question, and the menu is what they see last.
const PendingWindow = 5 * time.Minute

// smallTalk are the intents that answer without starting anything. They
// are acted on even when the classifier is unsure (a wrong "不客气" costs
// nothing, a "没太明白" to a greeting does), and never offered in a
// question ("您是要办理 打招呼 吗？" would be absurd).
var smallTalk = map[string]bool{"greeting": true, "thanks": true}

// understand acts on a text no rule claimed: sure → the intent's
// handler; unsure → a numbered question (Session.Pending); nothing →
// the fallback with the menu. It always answers.
func (r *Router) understand(ctx context.Context, c *conv, m *Message, norm string) (Reply, error) {
	res, err := r.Understand(m.Text)
	if err != nil {
		return Reply{}, err
	}
	// Intent, band and the words that counted; never the message itself,
	// which is personal data.
	r.logger().DebugContext(ctx, "understanding", "openid", ShortID(m.OpenID), "explain", res.Explain())
	// WeChat's speech recognition ends a voice message with "。", which
	// forms drop too; it is no part of what was said.
	said := strings.TrimRight(strings.TrimSpace(m.Text), "。")
	in, known := r.und.intents[res.Intent]
	switch {
	case res.Band == intent.Sure && known:
		r.observe(res.Intent, res.Band)
		return in.Handler(ctx, m, Understood{Intent: res.Intent, Said: said, Result: res})
	case res.Band == intent.Unsure && known:
		r.observe(res.Intent, res.Band)
		if offered := r.offered(res); len(offered) > 0 {
			return r.askMeaning(ctx, c, m, offered, said)
		}
		// Only small talk ("谢谢啦，辛苦"): answering it is harmless.
		return in.Handler(ctx, m, Understood{Intent: res.Intent, Said: said, Result: res})
	}
	r.observe("", intent.None)
	if r.Unrecognised != nil {
		if err := r.Unrecognised.Record(ctx, said, r.now()); err != nil {
			// Losing one sample of what residents ask must not lose the
			// answer.
			r.logger().WarnContext(ctx, "recording an unrecognised text failed", "openid", ShortID(m.OpenID), "err", err)
		}
	}
	return Text(JoinText(r.text(r.Texts.Fallback, DefaultFallback)+linePrefix(r.describeLine()), r.MainMenu())), nil
}

// observe tells the Observer, when it counts understanding, how a
// message was understood.
func (r *Router) observe(name string, b intent.Band) {
	if o, ok := r.Observer.(UnderstandingObserver); ok {
		o.Understood(name, b.String())
	}
}

func linePrefix(s string) string {
	if s == "" {
		return ""
	}
	return "\n" + s
}

// offered are the intents worth asking about among the two the
// classifier was unsure between: registered, and not small talk ("你好，
// 楼道灯坏了" asks about the lamp, not about the greeting).
func (r *Router) offered(res intent.Result) []string {
	var out []string
	for _, name := range []string{res.Intent, res.Second} {
		if _, ok := r.und.intents[name]; ok && !smallTalk[name] && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// askMeaning asks which of the offered intents was meant, and keeps the
// question with what was said (Session.Pending), so that the answer "1"
// starts it with the description the resident typed. One intent offered
// makes a yes-or-no question.
func (r *Router) askMeaning(ctx context.Context, c *conv, m *Message, offered []string, said string) (Reply, error) {
	if c.sess == nil {
		c.sess = &Session{V: SessionVersion, OpenID: m.OpenID, StartedAt: r.now()}
	}
	// The question is newer than a flow completed a moment ago: its "1"
	// answers the question, not a repeat of that flow's confirmation.
	c.sess.Done = nil
	c.sess.Pending = &Pending{Intents: offered, Said: said, At: r.now()}
	if err := r.save(ctx, c); err != nil {
		return Reply{}, err
	}
	return Text(r.question(offered)), nil
}

// question words the question Pending keeps.
func (r *Router) question(offered []string) string {
	if len(offered) == 1 {
		return fmt.Sprintf("您是要办理「%s」吗？\n回复 1 是 2 不是", r.label(offered[0]))
	}
	var b strings.Builder
	b.WriteString("您是想办理哪一项？")
	for i, name := range offered {
		fmt.Fprintf(&b, "\n%d %s", i+1, r.label(name))
	}
	b.WriteString("\n回复数字；也可以直接描述问题。")
	return b.String()
}

func (r *Router) label(name string) string {
	if l := r.und.intents[name].Label; l != "" {
		return l
	}
	return name
}

// pending answers the question the router asked about what a message
// meant (Session.Pending), within PendingWindow: a number picks an
// intent, whose handler gets the original message as what was said; to
// a yes-or-no question (one intent offered) 是/对 mean 1 and 不是 means
// 2. To a question naming two, a bare 是/对 says yes without saying which:
// it is asked again rather than guessed. Anything else, or an answer
// after the window, clears the question and lets routing go on (ok
// false), so a new description or a keyword is taken as it comes.
func (r *Router) pending(ctx context.Context, c *conv, m *Message, norm string) (Reply, bool, error) {
	if c.sess == nil || c.sess.Pending == nil || c.sess.Flow != "" {
		return Reply{}, false, nil
	}
	p := *c.sess.Pending
	choice := 0
	if r.now().Sub(p.At) <= PendingWindow {
		n, isNumber := ParseNumber(norm)
		yesNo := len(p.Intents) == 1
		switch {
		case isNumber && n >= 1 && n <= len(p.Intents):
			choice = n
		case isNumber && n == 2 && yesNo, IsNo(norm):
			choice = -1
		case (IsYes(norm) || answerKey(norm) == "要") && yesNo:
			// "您是要办理 X 吗？" — "要" answers that one question only.
			choice = 1
		case IsYes(norm):
			// Keep the question, and its window, from now.
			c.sess.Pending.At = r.now()
			return Text(r.question(p.Intents)), true, r.save(ctx, c)
		}
	}
	c.sess.Pending = nil
	if err := r.keepOrDrop(ctx, c); err != nil {
		return Reply{}, true, err
	}
	switch {
	case choice < 0:
		return Text(JoinText("好的。请直接说说您遇到的问题，或者：", r.MainMenu())), true, nil
	case choice == 0:
		return Reply{}, false, nil
	}
	name := p.Intents[choice-1]
	in, ok := r.und.intents[name]
	if !ok {
		// Asked before a deploy removed the intent: start afresh.
		return Reply{}, false, nil
	}
	r.logger().DebugContext(ctx, "understanding: question answered", "openid", ShortID(m.OpenID), "intent", name, "choice", choice)
	res, err := r.Understand(p.Said)
	if err != nil {
		return Reply{}, true, err
	}
	reply, err := in.Handler(ctx, m, Understood{Intent: name, Said: p.Said, Result: res})
	return reply, true, err
}

// describeExamples are what residents may be told to say; describeLine
// names only those the router understands for sure, so it never
// suggests words it would then not understand.
var describeExamples = []string{"楼道灯坏了", "想咨询律师", "最近有什么活动"}

// describeLine is the line telling a resident they can describe their
// problem in their own words, with up to two examples; "" when no
// feature registered an intent (the router then understands only small
// talk, and promising more would mislead).
func (r *Router) describeLine() string {
	r.und.describeOnce.Do(func() {
		features := false
		for _, name := range r.und.order {
			if !smallTalk[name] && name != "human" {
				features = true
			}
		}
		if !features {
			return
		}
		var ex []string
		for _, e := range describeExamples {
			res, err := r.Understand(e)
			if err == nil && res.Band == intent.Sure && !smallTalk[res.Intent] && len(ex) < 2 {
				ex = append(ex, e)
			}
		}
		r.und.describe = "您也可以直接说遇到的问题。"
		if len(ex) > 0 {
			r.und.describe = "您可以直接说遇到的问题，比如：" + strings.Join(ex, "、") + "。"
		}
	})
	return r.und.describe
}

// shanghai is the community's time zone (no daylight saving, so a fixed
// offset needs no time-zone database).
var shanghai = time.FixedZone("CST", 8*60*60)

// saluteWords are greetings that name a time of day: a resident who says
// one is answered with it, whatever the clock says.
var saluteWords = []string{"早上好", "早安", "上午好", "中午好", "下午好", "晚上好"}

// salutation is the greeting for the resident's words at t: their own
// time-of-day greeting when they used one, otherwise the one for the hour
// in Shanghai.
func salutation(norm string, t time.Time) string {
	for _, w := range saluteWords {
		if strings.Contains(norm, w) {
			if w == "早安" {
				return "早上好"
			}
			return w
		}
	}
	switch h := t.In(shanghai).Hour(); {
	case h >= 5 && h < 11:
		return "早上好"
	case h >= 11 && h < 13:
		return "中午好"
	case h >= 13 && h < 18:
		return "下午好"
	}
	return "晚上好"
}

// greet answers a greeting like a person at the desk would: "在的" to
// "在吗", the time of day, what the assistant does, and the menu.
func (r *Router) greet(m *Message) string {
	norm := Normalize(m.Text)
	line := salutation(norm, r.now()) + "！我是同心社区小助手，有什么可以帮您？"
	for _, w := range []string{"在吗", "有人吗", "在不在", "有人在吗"} {
		if strings.Contains(norm, w) {
			line = "在的，" + line
			break
		}
	}
	return JoinText(line+linePrefix(r.describeLine()), r.MainMenu())
}

// msgThanks is the answer to thanks: warm and short, without the menu (the
// resident is done, not lost).
const msgThanks = "不客气，能帮上忙就好。有需要随时找我。"

// registerBuiltins registers the router's own intents: greetings, thanks
// and asking for a person. None starts a flow.
func (r *Router) registerBuiltins() {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(r.Intent(Intent{Name: "greeting", Label: "打招呼", Words: GreetingWords,
		Handler: func(ctx context.Context, m *Message, _ Understood) (Reply, error) {
			return Text(r.greet(m)), nil
		}}))
	must(r.Intent(Intent{Name: "thanks", Label: "感谢", Words: ThanksWords,
		Handler: func(ctx context.Context, m *Message, _ Understood) (Reply, error) {
			return Text(msgThanks), nil
		}}))
	must(r.Intent(Intent{Name: "human", Label: "联系工作人员", Words: HumanWords,
		Handler: func(ctx context.Context, m *Message, _ Understood) (Reply, error) {
			if r.Human == nil {
				return Text("请拨打社区服务电话联系工作人员。"), nil
			}
			return r.Human.Handle(ctx, m)
		}}))
}
