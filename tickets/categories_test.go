package tickets_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/tickets"
)

// publicKeys lists the keys of the public categories, in order.
func publicKeys(cats []ticket.Category) []string {
	var keys []string
	for _, c := range cats {
		if c.Public {
			keys = append(keys, c.Key)
		}
	}
	return keys
}

// TestCategoryPublic: no built-in category is public, so nothing
// residents wrote is published unless the operator chooses; a configured
// list is public exactly where it says so.
func TestCategoryPublic(t *testing.T) {
	builtin := tickets.New(nil, nil, nil, tickets.Config{}).Categories()
	if got := publicKeys(builtin); len(got) != 0 {
		t.Errorf("built-in public categories %v, want none", got)
	}

	cat := func(key, name string, public bool) ticket.Category {
		return ticket.Category{Key: key, Name: name, Role: community.RoleGridWorker, ResponseHours: 4, ResolveHours: 8, Public: public}
	}
	configured := []ticket.Category{
		cat("repair", "维修报修", true),
		cat("dispute", "矛盾纠纷", false),
		cat("noise", "噪音扰民", true),
		cat("legal_aid", "法律援助", false),
	}
	got := tickets.New(nil, nil, nil, tickets.Config{Categories: configured}).Categories()
	if diff := cmp.Diff([]string{"repair", "noise"}, publicKeys(got)); diff != "" {
		t.Errorf("configured public categories mismatch (-want +got):\n%s", diff)
	}
}
