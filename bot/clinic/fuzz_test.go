package clinic_test

import (
	"slices"
	"testing"

	cl "github.com/tongxin/tongxin/bot/clinic"
)

// FuzzLabels: the clinic's words read from the database or an admin's
// request (a matter, a provider's kind, a schedule's mode, a booking's
// status) are valid exactly when they are one of their lists, and only
// a valid one is shown under a label of its own, from its list; anything
// else is shown as it is.
func FuzzLabels(f *testing.F) {
	for _, s := range []string{"consult", "mediation", "aid", "lawyer", "judge", "daily", "free_clinic", "booked", "no_show", "", "法律咨询", "Consult", "consult "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(what string, valid, listed bool, label string, labels []string) {
			t.Helper()
			switch {
			case valid != listed:
				t.Fatalf("%s %q: Valid %v, listed %v", what, s, valid, listed)
			case valid && (label == s || !slices.Contains(labels, label)):
				t.Fatalf("%s %q: label %q", what, s, label)
			case !valid && label != s:
				t.Fatalf("%s %q: invalid, labelled %q", what, s, label)
			}
		}
		labels := func(n int, label func(i int) string) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = label(i)
			}
			return out
		}
		m := cl.Matter(s)
		check("matter", m.Valid(), slices.Contains(cl.Matters, m), m.Label(), labels(len(cl.Matters), func(i int) string { return cl.Matters[i].Label() }))
		k := cl.Kind(s)
		check("kind", k.Valid(), slices.Contains(cl.Kinds, k), k.Label(), labels(len(cl.Kinds), func(i int) string { return cl.Kinds[i].Label() }))
		md := cl.Mode(s)
		check("mode", md.Valid(), slices.Contains(cl.Modes, md), md.Label(), labels(len(cl.Modes), func(i int) string { return cl.Modes[i].Label() }))
		st := cl.Status(s)
		all := []cl.Status{cl.Booked, cl.Cancelled, cl.Attended, cl.NoShow}
		check("status", st.Valid(), slices.Contains(all, st), st.Label(), labels(len(all), func(i int) string { return all[i].Label() }))
	})
}
