package bot

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/bot/intent"
)

// Pseudo steps: the summary awaiting 1/2/0, and the list of answers to change.
const (
	StepConfirm = "_confirm"
	StepEdit    = "_edit"
)

// HelpAfterStrikes is how many bad answers in a row to one step make the
// re-ask offer 帮助, 人工 and 取消. Bad answers never end a flow: a form that
// only needed a final 1 must not be lost to a resident who cannot find
// the right words.
const HelpAfterStrikes = 2

// msgStuck is added to a re-ask after HelpAfterStrikes bad answers.
const msgStuck = "回复 帮助 查看说明，回复 人工 联系工作人员，回复 取消 退出。"

// Flow is a declarative guided conversation (a form): ordered steps, then a
// summary the resident confirms, then Submit.
type Flow struct {
	// Name identifies the flow in sessions and metrics ("profile").
	Name string
	// Title is what residents see ("登记个人信息").
	Title string
	// Intro is shown once before the first prompt.
	Intro string
	// Help is added to the general help while this flow is active.
	Help  string
	Steps []*Step
	// Start runs when the flow begins, e.g. to prefill answers from the
	// parameter of a QR scene. A *UserError stops the flow with its message.
	Start func(ctx context.Context, st *State) error
	// Summary renders the answers for confirmation; nil lists each step's
	// label and answer.
	Summary func(st *State) string
	// Submit acts on the confirmed answers and returns the final reply.
	// A *UserError keeps the summary open so the resident can change an
	// answer or cancel; any other error keeps it open to retry.
	//
	// Submit may run more than once for one draft: when ending the
	// conversation fails after it succeeded (Redis out of reach, the
	// process killed in between), the resident's next 1 submits again.
	// Pass st.DraftKey() to the service, which must answer a repeat with
	// what the first submission made.
	Submit func(ctx context.Context, st *State) (Reply, error)
	// Submitted names what a completed run made, for the answer to a
	// stray number sent right after it ("诉求已提交"); empty means
	// "「Title」已提交". Submit may add the record's number (State.SetRef).
	Submitted string
	// RefLabel names what State.SetRef holds in that answer ("签到码");
	// empty means 编号.
	RefLabel string
	// Abandoned, when set, is what 取消 (or ErrCancel) answers in this
	// flow instead of "已取消。「Title」已结束…": for a flow whose own
	// purpose is to cancel something, where 取消 means "leave it as is".
	Abandoned string
	// OwnWords, when set, names keywords this flow answers itself in its
	// steps' Parse instead of having them routed as commands (see
	// Router.isCommand): "取消报名" typed while signing up means leaving
	// this form, not cancelling another sign-up.
	OwnWords func(norm string) bool
}

// Step is one question of a Flow.
type Step struct {
	// Key names the answer in State.Answers.
	Key string
	// Label names the answer in the summary and in the 修改 list;
	// LabelFunc, when set, computes it instead (a question that differs
	// by event).
	Label     string
	LabelFunc func(st *State) string
	// Prompt is the question; PromptFunc, when set, computes it instead.
	Prompt     string
	PromptFunc func(ctx context.Context, st *State) (string, error)
	// Choices, when set, computes the numbered options at the moment the
	// step is asked (a live list of events, free clinic slots). The
	// resident answers with a number or the option's text. An empty list
	// is a *UserError-worthy situation: return one.
	Choices func(ctx context.Context, st *State) ([]Choice, error)
	// Parse validates and normalises an answer. Return Invalid(hint) for
	// a bad answer. Nil means: any non-empty text, or the chosen Choice.
	Parse func(ctx context.Context, st *State, in Input) (Answer, error)
	// Media lists the non-text kinds this step accepts (they go to Parse).
	Media []Kind
	// Optional steps accept 跳过 and leave the answer empty.
	Optional bool
	// Suggest offers a remembered value ("回复 1 使用 138****8000").
	// It cannot be combined with Choices.
	Suggest func(ctx context.Context, st *State) (Answer, bool, error)
	// When, if set, asks the step only when it returns true.
	When func(st *State) bool
	// Help explains the step when the resident asks 帮助 in the middle.
	Help string
	// Submits makes the answer to this step the confirmation: once it
	// is answered the flow submits at once, without the summary (a
	// question Submit puts through Reask, "1 确认取消 0 保留").
	Submits bool
}

// Input is one answer as typed: the trimmed text, its normalised form and
// the whole message (for media steps).
type Input struct {
	Text string
	Norm string
	Msg  *Message
}

// State is what flow and step functions see of the conversation.
type State struct {
	OpenID string
	// Param is the parameter the flow was started with (a QR scene's).
	Param   string
	Answers map[string]Answer
	// Msg is the message being handled.
	Msg  *Message
	sess *Session
	// understood is set while Start runs for a flow begun by
	// Router.StartWith.
	understood *Understood
}

// Understood returns what the router understood of the message that
// started the flow (Router.StartWith), or nil: set only while Flow.Start
// runs, which is where a flow keeps what was said.
func (st *State) Understood() *Understood { return st.understood }

// DraftKey identifies what this run of the flow submits: the same for
// every Submit of the run, however often it is retried, and different for
// the next run (after 取消, or once submitted). Services keep it with the
// record, unique, and answer a repeat with the record made first.
func (st *State) DraftKey() string { return st.sess.Key }

// newDraftKey returns a random key that no other draft will have.
func newDraftKey() string { return rand.Text() }

// SetRef names the record Submit made ("2611260001"), so that a stray
// number sent right after the flow completed is answered with it.
func (st *State) SetRef(ref string) {
	st.sess.Done = &Done{Ref: ref}
}

// TakeHeld returns the photos the resident sent before the flow began
// (Session.Held) and forgets them, so that only one flow takes them.
func (st *State) TakeHeld() []string {
	h := st.sess.Held
	st.sess.Held = nil
	return h
}

// Value returns the value of the answer to step key ("" when unanswered).
func (st *State) Value(key string) string { return st.Answers[key].Value }

// Set records an answer, e.g. a prefilled one in Flow.Start.
func (st *State) Set(key string, a Answer) { st.Answers[key] = a }

// SetData keeps v (JSON-encoded) in the session for later steps.
func (st *State) SetData(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("bot.State.SetData(%s): %w", key, err)
	}
	if st.sess.Data == nil {
		st.sess.Data = map[string]json.RawMessage{}
	}
	st.sess.Data[key] = raw
	return nil
}

// Data decodes what SetData kept into v. Returns ErrNotFound when nothing
// was kept under key.
func (st *State) Data(key string, v any) error {
	raw, ok := st.sess.Data[key]
	if !ok {
		return fmt.Errorf("bot.State.Data(%s): %w", key, ErrNotFound)
	}
	return json.Unmarshal(raw, v)
}

// InvalidError is a bad answer to a step; Hint says what is expected.
type InvalidError struct{ Hint string }

// Error returns the hint.
func (e *InvalidError) Error() string { return e.Hint }

// Invalid returns an *InvalidError with the hint shown to the resident
// before the question is asked again.
func Invalid(hint string) error { return &InvalidError{Hint: hint} }

// KeepError asks the same step again with a message, without counting a
// bad answer: for steps that collect several things (photos) or that took
// something useful but need more.
type KeepError struct{ Message string }

// Error returns the message.
func (e *KeepError) Error() string { return e.Message }

// Keep returns a *KeepError: the step stays, Message is shown, and the
// prompt is not repeated.
func Keep(message string) error { return &KeepError{Message: message} }

var (
	skipWords = map[string]bool{"跳过": true, "无": true, "没有": true, "不填": true, "略": true}
	backWords = map[string]bool{"返回": true, "上一步": true, "后退": true}
	// stepEditWords open the list of answers to change from any step;
	// the summary takes the wider IsEdit.
	stepEditWords = wordSet("修改", "改", "更改", "修改一下", "改一下", "要改")
)

func (f *Flow) validate() error {
	if f.Name == "" || f.Title == "" || f.Submit == nil || len(f.Steps) == 0 {
		return fmt.Errorf("flow %q: name, title, steps and submit are required", f.Name)
	}
	seen := map[string]bool{}
	for _, s := range f.Steps {
		switch {
		case s.Key == "" || strings.HasPrefix(s.Key, "_"):
			return fmt.Errorf("flow %q: step key %q is empty or reserved", f.Name, s.Key)
		case seen[s.Key]:
			return fmt.Errorf("flow %q: step %q twice", f.Name, s.Key)
		case s.Label == "" || (s.Prompt == "" && s.PromptFunc == nil):
			return fmt.Errorf("flow %q: step %q needs a label and a prompt", f.Name, s.Key)
		case s.Suggest != nil && s.Choices != nil:
			return fmt.Errorf("flow %q: step %q cannot both suggest and offer choices", f.Name, s.Key)
		}
		seen[s.Key] = true
	}
	return nil
}

func (f *Flow) step(key string) (int, *Step) {
	for i, s := range f.Steps {
		if s.Key == key {
			return i, s
		}
	}
	return -1, nil
}

// label is what the step's answer is called for st.
func (s *Step) label(st *State) string {
	if s.LabelFunc != nil {
		if l := s.LabelFunc(st); l != "" {
			return l
		}
	}
	return s.Label
}

func (s *Step) applies(st *State) bool { return s.When == nil || s.When(st) }

func (s *Step) accepts(k Kind) bool {
	for _, m := range s.Media {
		if m == k {
			return true
		}
	}
	return false
}

// flowResult tells the router what to do with the session after a turn.
type flowResult int

const (
	flowKeep      flowResult = iota // save the session
	flowCompleted                   // submitted: delete
	flowCommand                     // a keyword typed instead of an answer: route it
)

func newState(sess *Session, m *Message) *State {
	if sess.Answers == nil {
		sess.Answers = map[string]Answer{}
	}
	if sess.Key == "" {
		// A session begun before flows had keys gets one now.
		sess.Key = newDraftKey()
	}
	return &State{OpenID: sess.OpenID, Param: sess.Param, Answers: sess.Answers, Msg: m, sess: sess}
}

// begin positions a fresh session at the flow's first open step.
func (r *Router) begin(ctx context.Context, sess *Session, f *Flow, m *Message, u *Understood) (string, flowResult, error) {
	st := newState(sess, m)
	st.understood = u
	if f.Start != nil {
		err := f.Start(ctx, st)
		st.understood = nil
		if err != nil {
			return "", flowKeep, err
		}
	}
	text, err := r.advance(ctx, sess, f, st, -1)
	if err != nil {
		return "", flowKeep, err
	}
	if f.Intro != "" {
		text = f.Intro + "\n" + text
	}
	return text, flowKeep, nil
}

// advance moves to the first applicable unanswered step after index from,
// or to the summary, and returns its prompt.
func (r *Router) advance(ctx context.Context, sess *Session, f *Flow, st *State, from int) (string, error) {
	for i := from + 1; i < len(f.Steps); i++ {
		s := f.Steps[i]
		if _, done := sess.Answers[s.Key]; done || !s.applies(st) {
			continue
		}
		sess.Step = s.Key
		return r.ask(ctx, sess, st, s, true)
	}
	sess.Step = StepConfirm
	sess.Choices, sess.Suggested = nil, nil
	return r.summary(f, st), nil
}

// ask renders step s. With fresh set its choices and suggestion are
// computed now; otherwise the ones already shown are repeated, so that the
// numbers keep meaning what the resident saw.
func (r *Router) ask(ctx context.Context, sess *Session, st *State, s *Step, fresh bool) (string, error) {
	text := s.Prompt
	if s.PromptFunc != nil {
		p, err := s.PromptFunc(ctx, st)
		if err != nil {
			return "", fmt.Errorf("prompt of step %s: %w", s.Key, err)
		}
		text = p
	}
	if fresh {
		sess.Choices, sess.Suggested = nil, nil
	}
	var b strings.Builder
	b.WriteString(text)
	if s.Choices != nil {
		if len(sess.Choices) == 0 {
			cs, err := s.Choices(ctx, st)
			if err != nil {
				return "", fmt.Errorf("choices of step %s: %w", s.Key, err)
			}
			if len(cs) == 0 {
				return "", &UserError{Message: "暂时没有可选的项目，请稍后再试。"}
			}
			sess.Choices = cs
		}
		for i, c := range sess.Choices {
			fmt.Fprintf(&b, "\n%d %s", i+1, c.Label)
		}
		b.WriteString("\n请回复数字。")
	}
	if s.Suggest != nil && fresh {
		a, ok, err := s.Suggest(ctx, st)
		if err != nil {
			return "", fmt.Errorf("suggestion of step %s: %w", s.Key, err)
		}
		if ok {
			sess.Suggested = &a
		}
	}
	if sess.Suggested != nil {
		fmt.Fprintf(&b, "\n回复 1 使用 %s，或直接输入新的。", sess.Suggested.Shown())
	} else if cur, ok := sess.Answers[s.Key]; ok {
		fmt.Fprintf(&b, "\n（现在填的是：%s）", shownOrEmpty(cur))
	}
	if s.Optional {
		b.WriteString("\n（可回复 跳过）")
	}
	return b.String(), nil
}

// reprompt repeats the current question as it was shown.
func (r *Router) reprompt(ctx context.Context, sess *Session, f *Flow, st *State) (string, error) {
	switch sess.Step {
	case StepConfirm:
		return r.summary(f, st), nil
	case StepEdit:
		return editList(f, st), nil
	}
	_, s := f.step(sess.Step)
	if s == nil {
		return r.advance(ctx, sess, f, st, -1)
	}
	return r.ask(ctx, sess, st, s, false)
}

func shownOrEmpty(a Answer) string {
	if a.Shown() == "" && len(a.Items) == 0 {
		return "未填"
	}
	if a.Shown() == "" {
		return fmt.Sprintf("%d 项", len(a.Items))
	}
	return a.Shown()
}

func (r *Router) summary(f *Flow, st *State) string {
	var body string
	if f.Summary != nil {
		body = f.Summary(st)
	} else {
		var b strings.Builder
		for _, s := range f.Steps {
			if a, ok := st.Answers[s.Key]; ok && s.applies(st) {
				fmt.Fprintf(&b, "\n%s：%s", s.label(st), shownOrEmpty(a))
			}
		}
		body = strings.TrimPrefix(b.String(), "\n")
	}
	return "请核对：\n" + body + "\n回复 1 确认 2 修改 0 取消"
}

// editable lists the answered steps that may be changed, in flow order.
func editable(f *Flow, st *State) []*Step {
	var out []*Step
	for _, s := range f.Steps {
		if _, ok := st.Answers[s.Key]; ok && s.applies(st) {
			out = append(out, s)
		}
	}
	return out
}

func editList(f *Flow, st *State) string {
	var b strings.Builder
	b.WriteString("要修改哪一项？")
	for i, s := range editable(f, st) {
		fmt.Fprintf(&b, "\n%d %s", i+1, s.label(st))
	}
	b.WriteString("\n请回复数字。")
	return b.String()
}

// turn handles one message within the active flow f.
func (r *Router) turn(ctx context.Context, sess *Session, f *Flow, m *Message) (string, flowResult, error) {
	st := newState(sess, m)
	in := Input{Text: strings.TrimSpace(m.Text), Msg: m}
	if m.Kind == KindVoice {
		// WeChat's recognition ends a sentence with "。", which nobody
		// types after a name or a room number.
		in.Text = strings.TrimSpace(strings.TrimRight(in.Text, "。"))
	}
	in.Norm = Normalize(in.Text)

	if m.Kind == KindVoice && m.Text == "" {
		// WeChat could not recognise the speech: not the resident's fault,
		// so no strike.
		p, err := r.reprompt(ctx, sess, f, st)
		return "抱歉，没听清您的语音，请再说一遍或打字回复。\n" + p, flowKeep, err
	}
	if m.Kind != KindText && m.Kind != KindVoice {
		_, s := f.step(sess.Step)
		if s == nil || !s.accepts(m.Kind) {
			p, err := r.reprompt(ctx, sess, f, st)
			return "这一步需要您回复文字。\n" + p, flowKeep, err
		}
	}

	switch sess.Step {
	case StepConfirm:
		return r.confirm(ctx, sess, f, st, in)
	case StepEdit:
		return r.chooseEdit(ctx, sess, f, st, in)
	}
	idx, s := f.step(sess.Step)
	if s == nil { // the flow changed under a live session: start over
		sess.Answers = map[string]Answer{}
		st.Answers = sess.Answers
		text, err := r.advance(ctx, sess, f, st, -1)
		return text, flowKeep, err
	}

	if m.Kind == KindText || m.Kind == KindVoice {
		switch {
		case backWords[in.Norm]:
			return r.back(ctx, sess, f, st, idx)
		case stepEditWords[answerKey(in.Norm)] && len(editable(f, st)) > 0:
			sess.Step, sess.Strikes, sess.Choices, sess.Suggested = StepEdit, 0, nil, nil
			return editList(f, st), flowKeep, nil
		}
	}

	if (m.Kind == KindText || m.Kind == KindVoice) && (f.OwnWords == nil || !f.OwnWords(in.Norm)) && r.isCommand(sess, s, in) {
		return "", flowCommand, nil
	}

	a, err := r.parse(ctx, sess, st, s, in)
	var inv *InvalidError
	if errors.As(err, &inv) {
		if text, ok, err := r.smallTalk(ctx, sess, f, st, in); ok {
			return text, flowKeep, err
		}
		if text, ok, err := r.ownWord(ctx, sess, f, st, in, inv.Hint); ok {
			return text, flowKeep, err
		}
		return r.strike(ctx, sess, f, st, inv.Hint)
	}
	var keep *KeepError
	if errors.As(err, &keep) {
		return keep.Message, flowKeep, nil
	}
	if err != nil {
		return "", flowKeep, err
	}
	sess.Answers[s.Key] = a
	sess.Strikes = 0
	if s.Submits {
		sess.Editing = false
		return r.submit(ctx, sess, f, st)
	}
	if sess.Editing {
		sess.Editing = false
		// An edit can make later steps apply that were skipped before.
		text, err := r.advance(ctx, sess, f, st, -1)
		return text, flowKeep, err
	}
	text, err := r.advance(ctx, sess, f, st, idx)
	return text, flowKeep, err
}

func (r *Router) parse(ctx context.Context, sess *Session, st *State, s *Step, in Input) (Answer, error) {
	if s.Optional && skipWords[in.Norm] {
		return Answer{}, nil
	}
	// A suggestion ("回复 1 使用 …") is accepted by the yes words as by 1:
	// residents answer the offer in words, and 是的 is neither a phone
	// number nor a public place.
	if sess.Suggested != nil && IsYes(in.Norm) {
		return *sess.Suggested, nil
	}
	if len(sess.Choices) > 0 {
		c, err := pick(sess.Choices, in.Norm)
		if err != nil {
			return Answer{}, err
		}
		if s.Parse == nil {
			return Answer{Value: c.Value, Display: c.Label}, nil
		}
		in.Text, in.Norm = c.Value, Normalize(c.Value)
	}
	if s.Parse != nil {
		return s.Parse(ctx, st, in)
	}
	if in.Text == "" {
		return Answer{}, Invalid("请回复文字。")
	}
	return Answer{Value: in.Text}, nil
}

// isCommand reports whether an answer to step s is rather a registered
// keyword (exact, prefix or a menu key) the resident wants answered:
// "我的诉求", "查询 2611260001", "活动" typed in the middle of a form.
// A keyword is an answer only where the step itself offers it: one of the
// numbered choices shown, 跳过 on an optional step, yes to a suggestion.
// Everywhere else, a free-text step included, a keyword alone is a
// command: "报修" is not a description of anything, nor "登记" a name.
// Contains-keywords are not commands here: they match inside sentences
// ("电话坏了"), which is what a description is made of.
func (r *Router) isCommand(sess *Session, s *Step, in Input) bool {
	if r.command(in.Norm) == nil {
		return false
	}
	if s.Optional && skipWords[in.Norm] {
		return false
	}
	if sess.Suggested != nil && IsYes(in.Norm) {
		return false
	}
	if len(sess.Choices) > 0 {
		if _, err := pick(sess.Choices, in.Norm); err == nil {
			return false
		}
	}
	return true
}

// pick finds the choice a resident meant: its number, or its label.
func pick(cs []Choice, norm string) (Choice, error) {
	if n, ok := ParseNumber(norm); ok {
		if n >= 1 && n <= len(cs) {
			return cs[n-1], nil
		}
		return Choice{}, Invalid(fmt.Sprintf("请回复 1 到 %d 之间的数字。", len(cs)))
	}
	var found []Choice
	for _, c := range cs {
		l := Normalize(c.Label)
		if l == norm {
			return c, nil
		}
		if norm != "" && strings.Contains(l, norm) {
			found = append(found, c)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return Choice{}, Invalid(fmt.Sprintf("请回复 1 到 %d 之间的数字。", len(cs)))
}

func (r *Router) strike(ctx context.Context, sess *Session, f *Flow, st *State, hint string) (string, flowResult, error) {
	sess.Strikes++
	p, err := r.reprompt(ctx, sess, f, st)
	if sess.Strikes >= HelpAfterStrikes {
		p += "\n" + msgStuck
	}
	return hint + "\n" + p, flowKeep, err
}

// smallTalkWords are thanks and greetings typed inside a form, known
// without the classifier (a router without features still has them).
var (
	thanksInForm   = wordSet("谢谢", "谢谢你", "谢谢您", "好的谢谢", "好谢谢", "多谢", "谢了", "感谢", "辛苦了", "辛苦", "麻烦了", "🙏")
	greetingInForm = wordSet("你好", "您好", "在吗", "在不在", "有人吗", "早上好", "下午好", "晚上好", "hi", "hello")
)

// smallTalk answers thanks or a greeting typed where the step's answer
// was expected ("谢谢" after a question, "🙏"): a person at the desk
// would say 不客气 and ask again, not count it as a wrong answer. ok
// false when in is not small talk, so a strike follows.
func (r *Router) smallTalk(ctx context.Context, sess *Session, f *Flow, st *State, in Input) (string, bool, error) {
	kind := smallTalkKind(in.Norm)
	if kind == "" && in.Norm != "" {
		if res, err := r.Understand(in.Text); err == nil && res.Band == intent.Sure && smallTalk[res.Intent] {
			kind = res.Intent
		}
	}
	var said string
	switch kind {
	case "thanks":
		said = "不客气。我们接着填："
	case "greeting":
		said = "您好，我在。我们接着填："
	default:
		return "", false, nil
	}
	p, err := r.reprompt(ctx, sess, f, st)
	return said + "\n" + p, true, err
}

// smallTalkKind is "thanks" or "greeting" for the shared words (a run of
// 🙏 is thanks), "" otherwise.
func smallTalkKind(norm string) string {
	key := answerKey(norm)
	switch {
	case thanksInForm[key] || (key != "" && strings.Trim(key, "🙏") == ""):
		return "thanks"
	case greetingInForm[key]:
		return "greeting"
	}
	return ""
}

func (r *Router) back(ctx context.Context, sess *Session, f *Flow, st *State, idx int) (string, flowResult, error) {
	for i := idx - 1; i >= 0; i-- {
		s := f.Steps[i]
		if !s.applies(st) {
			continue
		}
		sess.Step, sess.Strikes = s.Key, 0
		text, err := r.ask(ctx, sess, st, s, true)
		return text, flowKeep, err
	}
	p, err := r.reprompt(ctx, sess, f, st)
	return "已经是第一步了。\n" + p, flowKeep, err
}

func (r *Router) confirm(ctx context.Context, sess *Session, f *Flow, st *State, in Input) (string, flowResult, error) {
	// The summary is a numbered question: "第一个" or "①" is 1 as much
	// as "1" is.
	n, isNumber := ParseNumber(in.Norm)
	switch {
	case isNumber && n == 1, IsYes(in.Norm) || in.Norm == "重试":
		return r.submit(ctx, sess, f, st)
	case isNumber && n == 2, IsEdit(in.Norm):
		sess.Step, sess.Strikes = StepEdit, 0
		return editList(f, st), flowKeep, nil
	case isNumber && n == 0, IsDrop(in.Norm):
		return "", flowKeep, errCancel
	case backWords[in.Norm]:
		// 帮助 offers 返回 everywhere: from the summary it goes back to
		// the last question.
		return r.back(ctx, sess, f, st, len(f.Steps))
	case r.command(in.Norm) != nil && (f.OwnWords == nil || !f.OwnWords(in.Norm)):
		return "", flowCommand, nil
	}
	if text, ok, err := r.smallTalk(ctx, sess, f, st, in); ok {
		return text, flowKeep, err
	}
	if text, ok, err := r.ownWord(ctx, sess, f, st, in, ""); ok {
		return text, flowKeep, err
	}
	return r.strike(ctx, sess, f, st, "请回复 1 确认、2 修改 或 0 取消。")
}

// submit runs f.Submit: done; asked again at a step (ReaskError); or,
// for any other error, the summary kept open to retry.
func (r *Router) submit(ctx context.Context, sess *Session, f *Flow, st *State) (string, flowResult, error) {
	reply, err := f.Submit(ctx, st)
	if err == nil {
		return reply.Text, flowCompleted, nil
	}
	if errors.Is(err, errCancel) {
		return "", flowKeep, errCancel
	}
	var again *ReaskError
	if errors.As(err, &again) {
		if _, s := f.step(again.Step); s != nil {
			delete(sess.Answers, s.Key)
			sess.Step, sess.Strikes = s.Key, 0
			text, err := r.ask(ctx, sess, st, s, true)
			return joinLines(again.Message, text), flowKeep, err
		}
		err = fmt.Errorf("flow %s: reask of unknown step %q", f.Name, again.Step)
	}
	sess.Step = StepConfirm
	var ue *UserError
	if !errors.As(err, &ue) {
		// Our fault (the database out of reach): nothing was submitted,
		// the form is kept at its summary, and a 1 later submits it.
		r.logger().ErrorContext(ctx, "flow submit failed", "flow", f.Name, "openid", ShortID(sess.OpenID), "err", err)
		return msgSubmitFailed + "\n回复 1 重试 2 修改 0 取消", flowKeep, nil
	}
	return UserMessage(err) + "\n回复 1 重试 2 修改 0 取消", flowKeep, nil
}

// msgSubmitFailed is the answer to a confirmation that failed on our side.
const msgSubmitFailed = "抱歉，系统暂时出了点问题，还没有提交成功，您填写的内容已为您保留。请稍后再试。"

// ownWord answers one of the flow's own words (Flow.OwnWords) that the
// step did not take: it is not routed as a command, and not a wrong
// answer either ("取消报名" at the list of events), so the resident is
// told how to leave and asked again, without a strike. hint is the
// step's own answer to it (its Parse's), used when the step's Parse saw
// the word: a numbered pick refuses it before Parse runs.
func (r *Router) ownWord(ctx context.Context, sess *Session, f *Flow, st *State, in Input, hint string) (string, bool, error) {
	if f.OwnWords == nil || !f.OwnWords(in.Norm) {
		return "", false, nil
	}
	if hint == "" || len(sess.Choices) > 0 {
		hint = "您正在办理「" + f.Title + "」，请先回答下面的问题；不想继续请回复 取消。"
	}
	p, err := r.reprompt(ctx, sess, f, st)
	return joinLines(hint, p), true, err
}

// joinLines joins the non-empty parts of a reply, one per line.
func joinLines(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}

func (r *Router) chooseEdit(ctx context.Context, sess *Session, f *Flow, st *State, in Input) (string, flowResult, error) {
	steps := editable(f, st)
	n, ok := ParseNumber(in.Norm)
	var target *Step
	if ok && n >= 1 && n <= len(steps) {
		target = steps[n-1]
	} else {
		for _, s := range steps {
			if Normalize(s.label(st)) == in.Norm {
				target = s
			}
		}
	}
	if target == nil && backWords[in.Norm] {
		sess.Step, sess.Strikes = StepConfirm, 0
		return r.summary(f, st), flowKeep, nil
	}
	if target == nil && r.command(in.Norm) != nil && (f.OwnWords == nil || !f.OwnWords(in.Norm)) {
		return "", flowCommand, nil
	}
	if target == nil {
		if text, ok, err := r.smallTalk(ctx, sess, f, st, in); ok {
			return text, flowKeep, err
		}
		return r.strike(ctx, sess, f, st, "请回复 1 到 "+strconv.Itoa(len(steps))+" 之间的数字。")
	}
	sess.Step, sess.Editing, sess.Strikes = target.Key, true, 0
	text, err := r.ask(ctx, sess, st, target, true)
	return text, flowKeep, err
}

// errCancel asks the router to cancel the flow, as 取消 does.
var errCancel = errors.New("cancel")

// ErrCancel, returned by a step's Parse or by Submit, ends the flow as
// 取消 does (with Flow.Abandoned when set).
var ErrCancel = errCancel

// ReaskError, returned by Submit, keeps the flow open at step Step: its
// answer is forgotten, Message is shown and the step asked afresh (seats
// ran short: "只剩 2 位 …"). With Step.Submits, its answer submits again.
type ReaskError struct{ Step, Message string }

// Error returns the message.
func (e *ReaskError) Error() string { return e.Message }

// Reask returns a *ReaskError.
func Reask(step, message string) error { return &ReaskError{Step: step, Message: message} }
