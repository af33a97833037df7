package tickets_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/tickets"
)

// privateKeys lists the keys of the private categories, in order.
func privateKeys(cats []ticket.Category) []string {
	var keys []string
	for _, c := range cats {
		if c.Private {
			keys = append(keys, c.Key)
		}
	}
	return keys
}

// TestCategoryPrivacy: the built-in categories about a person are private;
// a configured list keeps them private under their key or their name even
// when it does not say so, and marks its own as it chooses.
func TestCategoryPrivacy(t *testing.T) {
	builtin := tickets.New(nil, nil, nil, tickets.Config{}).Categories()
	if diff := cmp.Diff([]string{"dispute", "employment", "assistance", "housing", "medical"}, privateKeys(builtin)); diff != "" {
		t.Errorf("built-in private categories mismatch (-want +got):\n%s", diff)
	}

	cat := func(key, name string, private bool) ticket.Category {
		return ticket.Category{Key: key, Name: name, Role: community.RoleGridWorker, ResponseHours: 4, ResolveHours: 8, Private: private}
	}
	configured := []ticket.Category{
		cat("repair", "维修报修", false),
		cat("dispute", "邻里纠纷", false),       // a built-in key under a new name
		cat("mediation", "矛盾纠纷", false),     // a built-in name under a new key
		cat("legal_aid", "法律援助", true),      // the operator's own, marked
		cat("noise", "噪音扰民", false),         // the operator's own, unmarked
		cat("repair_private", "入户维修", true), // a public-sounding one, marked
	}
	got := tickets.New(nil, nil, nil, tickets.Config{Categories: configured}).Categories()
	if diff := cmp.Diff([]string{"dispute", "mediation", "legal_aid", "repair_private"}, privateKeys(got)); diff != "" {
		t.Errorf("configured private categories mismatch (-want +got):\n%s", diff)
	}
	if configured[1].Private {
		t.Error("New changed the caller's category list")
	}
}
