package tickets_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// TestFind looks tickets up by number in one call, on both engines: the
// ones that exist, in number order, each once, named; none for none.
func TestFind(t *testing.T) {
	storagetest.Engines(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s).community()
		var numbers []string
		for range 3 {
			rc := r.submit(ticket.Draft{OpenID: "o-res", Phone: "13800138000", Category: "repair", Description: "灯坏了", BuildingID: r.b3.ID})
			numbers = append(numbers, rc.Ticket.Number)
		}
		got, err := r.svc.Find(t.Context(), []string{numbers[2], "9999999", numbers[0]})
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, x := range got {
			found = append(found, x.Number)
			if x.CategoryName != "维修报修" || x.Description != "灯坏了" {
				t.Errorf("found %+v, want the named ticket", x)
			}
		}
		if diff := cmp.Diff([]string{numbers[0], numbers[2]}, found); diff != "" {
			t.Errorf("Find mismatch (-want +got):\n%s", diff)
		}
		if got, err := r.svc.Find(t.Context(), nil); err != nil || len(got) != 0 {
			t.Errorf("Find(nothing) = %v, %v", got, err)
		}
	})
}
