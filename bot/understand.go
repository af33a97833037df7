package bot

import (
	"context"
	"fmt"
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

// IntentHandler acts on a message understood as an intent.
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
		return fmt.Errorf("bot: words for intent %q, which no feature registered", name)
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
	c, err := r.classifier()
	if err != nil {
		return intent.Result{}, err
	}
	return c.Classify(Normalize(text)), nil
}

// understand acts on a text no rule claimed. ok false leaves the
// message to the fallback. SEAM: acts only when sure.
func (r *Router) understand(ctx context.Context, c *conv, m *Message, norm string) (Reply, bool, error) {
	res, err := r.Understand(m.Text)
	if err != nil {
		return Reply{}, true, err
	}
	if o, ok := r.Observer.(UnderstandingObserver); ok {
		o.Understood(res.Intent, res.Band.String())
	}
	if res.Band != intent.Sure {
		return Reply{}, false, nil
	}
	in := r.und.intents[res.Intent]
	reply, err := in.Handler(ctx, m, Understood{Intent: res.Intent, Said: strings.TrimSpace(m.Text), Result: res})
	return reply, true, err
}

// registerBuiltins registers the router's own intents: greetings, thanks
// and asking for a person. SEAM: plain answers.
func (r *Router) registerBuiltins() {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(r.Intent(Intent{Name: "greeting", Label: "打招呼", Words: GreetingWords,
		Handler: func(ctx context.Context, m *Message, _ Understood) (Reply, error) {
			return Text(JoinText(r.text(r.Texts.Welcome, DefaultWelcome), r.MainMenu())), nil
		}}))
	must(r.Intent(Intent{Name: "thanks", Label: "感谢", Words: ThanksWords,
		Handler: func(ctx context.Context, m *Message, _ Understood) (Reply, error) {
			return Text("不客气，有需要随时找我。"), nil
		}}))
	must(r.Intent(Intent{Name: "human", Label: "联系工作人员", Words: HumanWords,
		Handler: func(ctx context.Context, m *Message, _ Understood) (Reply, error) {
			if r.Human == nil {
				return Text("请拨打社区服务电话联系工作人员。"), nil
			}
			return r.Human.Handle(ctx, m)
		}}))
}
