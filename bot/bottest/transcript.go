// Package bottest runs transcript tests: a text file of what a resident
// types and what the bot must answer, replayed against a bot.Handler.
//
// File format (UTF-8):
//
//	## a comment (only "## " at the start of a line)
//	> 登记                  what the resident sends
//	请问您怎么称呼？         the expected reply, up to the next "> " line
//	> [image]               a non-text message, see below
//
// Bracketed inputs: [subscribe], [subscribe SCENE], [unsubscribe],
// [click KEY], [scan SCENE], [image], [voice TEXT] ([voice] without
// recognition), [location LAT LNG LABEL], [link], [video], [unknown],
// [wait DURATION] (advance the clock; expects no reply) and [as OPENID]
// (later lines come from another resident; expects no reply).
// An expected reply that is empty means the bot stays silent.
//
// Run the tests with -update to rewrite the expected replies from what the
// bot answers now; then read the diff before committing it.
package bottest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot"
)

var update = flag.Bool("update", false, "rewrite transcript files with the replies the bot gives now")

// Clock is a settable clock for transcripts and the stores they use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the current fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the fake time to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type turn struct {
	input    string
	expected string
}

// Transcript replays the file at path against h, as resident "o-resident"
// unless the file says otherwise, with message times from clock.
func Transcript(t *testing.T, h bot.Handler, clock *Clock, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, turns := parse(string(raw))
	openid := "o-resident"
	var out strings.Builder
	out.WriteString(header)
	for i, tr := range turns {
		m, wait, as, err := message(tr.input, openid, clock.Now(), i)
		if err != nil {
			t.Fatalf("%s: turn %d: %v", path, i+1, err)
		}
		var got string
		switch {
		case wait > 0:
			clock.Advance(wait)
		case as != "":
			openid = as
		default:
			reply, err := h.Handle(context.Background(), m)
			got = shown(reply, err)
			if _, ok := err.(*bot.UserError); err != nil && !ok {
				t.Logf("%s: turn %d (%s): internal error: %v", path, i+1, tr.input, err)
			}
		}
		fmt.Fprintf(&out, "> %s\n", tr.input)
		if got != "" {
			out.WriteString(got + "\n")
		}
		if !*update && got != tr.expected {
			t.Errorf("%s: turn %d: after %q, reply mismatch (-want +got):\n%s", path, i+1, tr.input, cmp.Diff(tr.expected, got))
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func parse(s string) (header string, turns []turn) {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	var h strings.Builder
	cur := -1
	var exp []string
	flush := func() {
		if cur >= 0 {
			turns[cur].expected = strings.TrimRight(strings.Join(exp, "\n"), "\n")
		}
		exp = nil
	}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "> "):
			flush()
			turns = append(turns, turn{input: strings.TrimPrefix(l, "> ")})
			cur = len(turns) - 1
		case strings.HasPrefix(l, "## "):
			if cur < 0 {
				h.WriteString(l + "\n")
			}
		case cur >= 0:
			exp = append(exp, l)
		default:
			h.WriteString(l + "\n")
		}
	}
	flush()
	return h.String(), turns
}

func message(input, openid string, now time.Time, n int) (m *bot.Message, wait time.Duration, as string, err error) {
	m = &bot.Message{ID: strconv.Itoa(n), OpenID: openid, Account: "gh_tongxin", Time: now, Kind: bot.KindText, Text: input}
	if !strings.HasPrefix(input, "[") || !strings.HasSuffix(input, "]") {
		return m, 0, "", nil
	}
	f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(input, "["), "]"))
	if len(f) == 0 {
		return m, 0, "", nil
	}
	arg := strings.Join(f[1:], " ")
	m.Text = ""
	switch f[0] {
	case "subscribe", "unsubscribe", "click", "scan":
		m.Kind = bot.KindEvent
		m.Event = map[string]bot.Event{"subscribe": bot.EventSubscribe, "unsubscribe": bot.EventUnsubscribe, "click": bot.EventClick, "scan": bot.EventScan}[f[0]]
		m.EventKey = arg
	case "image":
		m.Kind, m.MediaID, m.PicURL = bot.KindImage, "media-"+strconv.Itoa(n), "http://127.0.0.1/pic/"+strconv.Itoa(n)
	case "voice":
		m.Kind, m.Text, m.MediaID = bot.KindVoice, arg, "voice-"+strconv.Itoa(n)
	case "video":
		m.Kind = bot.KindVideo
	case "link":
		m.Kind, m.Link = bot.KindLink, &bot.Link{Title: "链接", URL: "http://127.0.0.1/"}
	case "unknown":
		m.Kind = bot.KindUnknown
	case "location":
		if len(f) < 3 {
			return nil, 0, "", fmt.Errorf("[location LAT LNG LABEL]")
		}
		lat, err1 := strconv.ParseFloat(f[1], 64)
		lng, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			return nil, 0, "", fmt.Errorf("bad location %q", input)
		}
		m.Kind, m.Location = bot.KindLocation, &bot.Location{Lat: lat, Lng: lng, Scale: 15, Label: strings.Join(f[3:], " ")}
	case "wait":
		d, err := time.ParseDuration(arg)
		if err != nil {
			return nil, 0, "", err
		}
		return nil, d, "", nil
	case "as":
		return nil, 0, arg, nil
	default:
		m.Kind, m.Text = bot.KindText, input
	}
	return m, 0, "", nil
}

// Each runs run once per transcript in testdata/*.txt, as a subtest named
// by the file; a package whose transcripts are missing fails rather than
// passing on nothing.
func Each(t *testing.T, run func(t *testing.T, path string)) {
	t.Helper()
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { run(t, f) })
	}
}

// shown is what a person reads of a reply: its text, or for an error the
// message they are given, marked "(error: …)".
func shown(reply bot.Reply, err error) string {
	if err != nil {
		return "(error: " + bot.UserMessage(err) + ")"
	}
	return reply.Text
}

// Say returns a function that sends text from openid to h at the clock's
// time and returns what they read, as a transcript shows it, for tests
// that check replies between other steps (a job run, a notice delivered).
func Say(h bot.Handler, clock *Clock) func(openid, text string) string {
	var n int
	return func(openid, text string) string {
		n++
		m := &bot.Message{ID: fmt.Sprintf("say-%d", n), OpenID: openid, Kind: bot.KindText, Text: text, Time: clock.Now()}
		return shown(h.Handle(context.Background(), m))
	}
}
