// Package sessiontest is the contract suite every bot.SessionStore must pass,
// so that the Redis store and bot.MemorySessions behave alike and a flow
// tested on one works on the other.
//
// It does not provide a store itself, and it sleeps only as long as the
// store under test makes it: stores on a fake clock advance it instead.
package sessiontest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tongxin/tongxin/bot"
)

// TTL and DraftTTL are the session lifetimes Run asks stores for (without
// a form, and holding one): short, so that a store on a real server can be
// run with advance sleeping, and far enough apart to tell which applied.
const (
	TTL      = time.Second
	DraftTTL = 2 * time.Second
)

// NewStore returns an empty store whose sessions live for ttl, or draftTTL
// when they hold a form (bot.Session.HoldsForm), and a function that lets
// time pass for it (sleeping, or moving a fake clock).
type NewStore func(t *testing.T, ttl, draftTTL time.Duration) (store bot.SessionStore, advance func(time.Duration))

// Run runs the SessionStore contract against stores made by newStore, one
// fresh store per subtest. The subtests run in parallel (so that stores on a
// real server spend their sleeps together): newStore must be safe for
// concurrent use, and its stores must not share state.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		run  func(*testing.T, NewStore)
	}{
		{"LoadMissing", testLoadMissing},
		{"RoundTrip", testRoundTrip},
		{"RevIncrements", testRevIncrements},
		{"Conflict", testConflict},
		{"ConcurrentSaves", testConcurrentSaves},
		{"SaveRefreshesTTL", testSaveRefreshesTTL},
		{"ExpiryNoticeOnce", testExpiryNoticeOnce},
		{"NoNoticeWithoutFlow", testNoNoticeWithoutFlow},
		{"FormOutlivesTTL", testFormOutlivesTTL},
		{"DeleteLeavesNoNotice", testDeleteLeavesNoNotice},
		{"NewSessionAfterExpiry", testNewSessionAfterExpiry},
		{"Residents", testResidents},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore)
		})
	}
}

// pastTTL and pastDraftTTL are how far to advance for a session to be
// gone, with room for the latency of a real server.
const (
	pastTTL      = TTL + TTL/2
	pastDraftTTL = DraftTTL + TTL/2
)

// loadResult is what a Load returned, in a form cmp.Diff can compare.
type loadResult struct {
	Session  *bot.Session
	Expired  bool
	NotFound bool
}

func load(t *testing.T, st bot.SessionStore, openid string) loadResult {
	t.Helper()
	s, expired, err := st.Load(t.Context(), openid)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("Load(%q): %v", openid, err)
	}
	if err != nil && s != nil {
		t.Errorf("Load(%q) returned a session with error %v", openid, err)
	}
	if err == nil && s == nil {
		t.Fatalf("Load(%q) returned neither a session nor an error", openid)
	}
	return loadResult{Session: s, Expired: expired, NotFound: err != nil}
}

func notFound(expired bool) loadResult { return loadResult{NotFound: true, Expired: expired} }

func found(s *bot.Session) loadResult { return loadResult{Session: s} }

func mustSave(t *testing.T, st bot.SessionStore, s *bot.Session) {
	t.Helper()
	if err := st.Save(t.Context(), s); err != nil {
		t.Fatalf("Save(%q, rev %d): %v", s.OpenID, s.Rev, err)
	}
}

func checkLoad(t *testing.T, st bot.SessionStore, openid string, want loadResult) {
	t.Helper()
	if diff := cmp.Diff(want, load(t, st, openid)); diff != "" {
		t.Errorf("Load(%q) mismatch (-want +got):\n%s", openid, diff)
	}
}

func clone(s *bot.Session) *bot.Session {
	c := *s
	return &c
}

func testLoadMissing(t *testing.T, newStore NewStore) {
	st, _ := newStore(t, TTL, DraftTTL)
	checkLoad(t, st, "o-missing", notFound(false))
}

func testRoundTrip(t *testing.T, newStore NewStore) {
	shanghai := time.FixedZone("CST", 8*60*60)
	tests := []struct {
		name string
		s    bot.Session
	}{
		{name: "minimal", s: bot.Session{OpenID: "o-minimal"}},
		{name: "every field", s: bot.Session{
			OpenID: "o-full",
			Flow:   "repair",
			Step:   "phone",
			Answers: map[string]bot.Answer{
				"address": {Value: "3号楼2单元201", Display: "3号楼 2单元 201室"},
				"kind":    {Value: "water", Items: []string{"漏水", "停水"}},
			},
			Choices:   []bot.Choice{{Value: "water", Label: "水电"}, {Value: "door", Label: "门窗"}},
			Suggested: &bot.Answer{Value: "13800138000", Display: "138****8000"},
			Strikes:   2,
			Editing:   true,
			Param:     "qr-7",
			Draft: &bot.Session{Flow: "signup", Step: "size", Answers: map[string]bot.Answer{"name": {Value: "王芳"}},
				Key: "k1", UpdatedAt: time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)},
			Resume:    true,
			Data:      map[string]json.RawMessage{"photos": json.RawMessage(`["m1","m2"]`), "n": json.RawMessage(`3`)},
			StartedAt: time.Date(2024, 5, 1, 9, 30, 0, 123456789, shanghai),
			UpdatedAt: time.Date(2024, 5, 1, 1, 31, 5, 0, time.UTC),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, _ := newStore(t, TTL, DraftTTL)
			s := tt.s
			mustSave(t, st, &s)
			want := tt.s
			want.V = bot.SessionVersion
			want.Rev = 1
			if diff := cmp.Diff(want, s); diff != "" {
				t.Errorf("session after Save mismatch (-want +got):\n%s", diff)
			}
			checkLoad(t, st, tt.s.OpenID, found(&want))
		})
	}
}

func testRevIncrements(t *testing.T, newStore NewStore) {
	st, _ := newStore(t, TTL, DraftTTL)
	s := &bot.Session{OpenID: "o-rev"}
	var got []int64
	for i := range 3 {
		s.Step = fmt.Sprint("step", i)
		mustSave(t, st, s)
		got = append(got, s.Rev)
	}
	if diff := cmp.Diff([]int64{1, 2, 3}, got); diff != "" {
		t.Errorf("Rev after each Save mismatch (-want +got):\n%s", diff)
	}
	checkLoad(t, st, "o-rev", found(&bot.Session{V: bot.SessionVersion, Rev: 3, OpenID: "o-rev", Step: "step2"}))
}

func testConflict(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		rev  int64
	}{
		{name: "new session over an existing one", rev: 0},
		{name: "stale", rev: 1},
		{name: "ahead", rev: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, _ := newStore(t, TTL, DraftTTL)
			s := &bot.Session{OpenID: "o-conflict", Step: "kept"}
			mustSave(t, st, s)
			mustSave(t, st, s)
			want := clone(s)

			other := &bot.Session{V: bot.SessionVersion, Rev: tt.rev, OpenID: "o-conflict", Step: "lost"}
			before := clone(other)
			err := st.Save(t.Context(), other)
			if !errors.Is(err, bot.ErrConflict) {
				t.Fatalf("Save with rev %d over rev 2: err = %v, want ErrConflict", tt.rev, err)
			}
			if diff := cmp.Diff(before, other); diff != "" {
				t.Errorf("session after a failed Save mismatch (-want +got):\n%s", diff)
			}
			checkLoad(t, st, "o-conflict", found(want))
		})
	}
}

func testConcurrentSaves(t *testing.T, newStore NewStore) {
	const writers = 10
	tests := []struct {
		name     string
		existing bool
	}{
		{name: "new session"},
		{name: "existing session", existing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, _ := newStore(t, TTL, DraftTTL)
			base := bot.Session{OpenID: "o-race"}
			if tt.existing {
				mustSave(t, st, &base)
			}
			errs := make([]error, writers)
			sessions := make([]*bot.Session, writers)
			var wg sync.WaitGroup
			for i := range writers {
				s := clone(&base)
				s.Step = fmt.Sprint("writer", i)
				sessions[i] = s
				wg.Go(func() { errs[i] = st.Save(t.Context(), s) })
			}
			wg.Wait()

			winner := -1
			var won, conflicts int
			for i, err := range errs {
				switch {
				case err == nil:
					won++
					winner = i
				case errors.Is(err, bot.ErrConflict):
					conflicts++
				default:
					t.Errorf("writer %d: unexpected error %v", i, err)
				}
			}
			if diff := cmp.Diff([2]int{1, writers - 1}, [2]int{won, conflicts}); diff != "" {
				t.Fatalf("[won, conflicts] mismatch (-want +got):\n%s", diff)
			}
			if got, want := sessions[winner].Rev, base.Rev+1; got != want {
				t.Errorf("winner's Rev = %d, want %d", got, want)
			}
			checkLoad(t, st, "o-race", found(sessions[winner]))
		})
	}
}

func testSaveRefreshesTTL(t *testing.T, newStore NewStore) {
	st, advance := newStore(t, TTL, DraftTTL)
	s := &bot.Session{OpenID: "o-busy"}
	mustSave(t, st, s)
	advance(TTL / 2)
	mustSave(t, st, s)
	// A full TTL after the first Save: alive only because the second one
	// restarted the clock.
	advance(TTL / 2)
	checkLoad(t, st, "o-busy", found(s))
}

func testExpiryNoticeOnce(t *testing.T, newStore NewStore) {
	st, advance := newStore(t, TTL, DraftTTL)
	mustSave(t, st, &bot.Session{OpenID: "o-idle", Flow: "repair"})
	advance(pastDraftTTL)
	got := []loadResult{load(t, st, "o-idle"), load(t, st, "o-idle"), load(t, st, "o-idle")}
	want := []loadResult{notFound(true), notFound(false), notFound(false)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Loads after expiry mismatch (-want +got):\n%s", diff)
	}
}

// testNoNoticeWithoutFlow: a session kept between flows (photos sent
// before 报修, the moments after a submission) was no conversation the
// resident abandoned: its expiry is silent, and it silences the notice of
// a flow's session it replaced.
func testNoNoticeWithoutFlow(t *testing.T, newStore NewStore) {
	st, advance := newStore(t, TTL, DraftTTL)
	s := &bot.Session{OpenID: "o-between", Flow: "repair"}
	mustSave(t, st, s)
	s.Flow = ""
	mustSave(t, st, s)
	advance(pastTTL)
	got := []loadResult{load(t, st, "o-between"), load(t, st, "o-between")}
	if diff := cmp.Diff([]loadResult{notFound(false), notFound(false)}, got); diff != "" {
		t.Errorf("Loads after a flowless session expired mismatch (-want +got):\n%s", diff)
	}
}

// testFormOutlivesTTL: a session holding a form, active (Flow) or put
// aside (Draft), lives DraftTTL, not TTL: a resident called away comes
// back to it; once that passes too, its expiry is told once.
func testFormOutlivesTTL(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		s    bot.Session
	}{
		{name: "active flow", s: bot.Session{OpenID: "o-form", Flow: "repair", Step: "where"}},
		{name: "draft", s: bot.Session{OpenID: "o-form", Draft: &bot.Session{Flow: "repair", Step: "where"}, Held: []string{"media:m1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, advance := newStore(t, TTL, DraftTTL)
			s := tt.s
			mustSave(t, st, &s)
			advance(pastTTL)
			checkLoad(t, st, "o-form", found(&s))
			advance(pastDraftTTL - pastTTL)
			got := []loadResult{load(t, st, "o-form"), load(t, st, "o-form")}
			if diff := cmp.Diff([]loadResult{notFound(true), notFound(false)}, got); diff != "" {
				t.Errorf("Loads after DraftTTL mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func testDeleteLeavesNoNotice(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		// idleBeforeDelete lets the session expire before Delete, as when
		// a resident cancels just as it times out.
		idleBeforeDelete bool
	}{
		{name: "live session"},
		{name: "expired session", idleBeforeDelete: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, advance := newStore(t, TTL, DraftTTL)
			mustSave(t, st, &bot.Session{OpenID: "o-done", Flow: "repair"})
			if tt.idleBeforeDelete {
				advance(pastDraftTTL)
			}
			if err := st.Delete(t.Context(), "o-done"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			first := load(t, st, "o-done")
			advance(pastTTL)
			got := []loadResult{first, load(t, st, "o-done")}
			if diff := cmp.Diff([]loadResult{notFound(false), notFound(false)}, got); diff != "" {
				t.Errorf("Loads after Delete mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("missing session", func(t *testing.T) {
		t.Parallel()
		st, _ := newStore(t, TTL, DraftTTL)
		if err := st.Delete(t.Context(), "o-nobody"); err != nil {
			t.Errorf("Delete of a missing session: %v", err)
		}
	})
}

func testNewSessionAfterExpiry(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		// noticeFirst makes the resident see the expiry notice before the
		// new session starts, as a flow does; otherwise the Save comes
		// straight after the expiry.
		noticeFirst bool
	}{
		{name: "after the notice", noticeFirst: true},
		{name: "without loading first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, advance := newStore(t, TTL, DraftTTL)
			old := &bot.Session{OpenID: "o-again", Flow: "repair"}
			mustSave(t, st, old)
			mustSave(t, st, old)
			advance(pastDraftTTL)
			if tt.noticeFirst {
				checkLoad(t, st, "o-again", notFound(true))
			}
			s := &bot.Session{OpenID: "o-again", Flow: "signup"}
			mustSave(t, st, s)
			if s.Rev != 1 {
				t.Errorf("Rev of the new session = %d, want 1", s.Rev)
			}
			checkLoad(t, st, "o-again", found(s))
			if err := st.Delete(t.Context(), "o-again"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			checkLoad(t, st, "o-again", notFound(false))
		})
	}
}

func testResidents(t *testing.T, newStore NewStore) {
	st, _ := newStore(t, TTL, DraftTTL)
	a := &bot.Session{OpenID: "o-a", Flow: "repair"}
	b := &bot.Session{OpenID: "o-b", Flow: "signup"}
	mustSave(t, st, a)
	mustSave(t, st, b)
	if err := st.Delete(t.Context(), "o-b"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	got := []loadResult{load(t, st, "o-a"), load(t, st, "o-b"), load(t, st, "o-c")}
	want := []loadResult{found(a), notFound(false), notFound(false)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Loads mismatch (-want +got):\n%s", diff)
	}
}
