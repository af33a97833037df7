package tickets_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/tickets"
)

func TestCategoriesFromConfig(t *testing.T) {
	got, err := tickets.CategoriesFromConfig(config.Tickets{Categories: []config.Category{
		{Key: "repair", Name: "维修报修", Role: "grid_worker", ResponseHours: 4, ResolveHours: 18},
		{Key: "noise", Name: "噪音扰民", Role: "mediator", ResponseHours: 2, ResolveHours: 12, Public: true},
		// private, from a file written before public, changes nothing.
		{Key: "dispute", Name: "矛盾纠纷", Role: "mediator", ResponseHours: 4, ResolveHours: 30, Private: true},
		// Words are trimmed as a TOML author may leave them.
		{Key: "parking", Name: "停车管理", Role: "grid_worker", ResponseHours: 4, ResolveHours: 18, Words: []string{"车位", " 乱停车 "}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []ticket.Category{
		{Key: "repair", Name: "维修报修", Role: community.RoleGridWorker, ResponseHours: 4, ResolveHours: 18},
		{Key: "noise", Name: "噪音扰民", Role: community.RoleMediator, ResponseHours: 2, ResolveHours: 12, Public: true},
		{Key: "dispute", Name: "矛盾纠纷", Role: community.RoleMediator, ResponseHours: 4, ResolveHours: 30},
		{Key: "parking", Name: "停车管理", Role: community.RoleGridWorker, ResponseHours: 4, ResolveHours: 18, Words: []string{"车位", "乱停车"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CategoriesFromConfig mismatch (-want +got):\n%s", diff)
	}

	got, err = tickets.CategoriesFromConfig(config.Tickets{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tickets.DefaultCategories, got); diff != "" {
		t.Errorf("CategoriesFromConfig(no categories) is not DefaultCategories (-want +got):\n%s", diff)
	}
}

// TestDefaultCategoriesPassTheirOwnCheck keeps the built-in categories
// within the rules an operator's must follow.
func TestDefaultCategoriesPassTheirOwnCheck(t *testing.T) {
	var in []config.Category
	for _, c := range tickets.DefaultCategories {
		in = append(in, config.Category{Key: c.Key, Name: c.Name, Role: string(c.Role), ResponseHours: c.ResponseHours, ResolveHours: c.ResolveHours, Public: c.Public})
	}
	got, err := tickets.CategoriesFromConfig(config.Tickets{Categories: in})
	if err != nil {
		t.Fatalf("DefaultCategories as configuration: %v", err)
	}
	if diff := cmp.Diff(tickets.DefaultCategories, got); diff != "" {
		t.Errorf("DefaultCategories do not survive the round trip (-want +got):\n%s", diff)
	}
}

func TestCategoriesFromConfigInvalid(t *testing.T) {
	ok := config.Category{Key: "x", Name: "x", Role: "duty", ResponseHours: 1, ResolveHours: 2}
	with := func(edit func(*config.Category)) config.Category { c := ok; edit(&c); return c }
	for name, tt := range map[string]struct {
		categories []config.Category
		wantInErr  string
	}{
		"bad role":           {[]config.Category{with(func(c *config.Category) { c.Role = "boss" })}, `categories[0].role: 未知角色 "boss"`},
		"no name":            {[]config.Category{with(func(c *config.Category) { c.Name = " " })}, "categories[0].name: required"},
		"bad key":            {[]config.Category{with(func(c *config.Category) { c.Key = "X Y" })}, `categories[0].key: want lower-case letters, digits and _, got "X Y"`},
		"long key":           {[]config.Category{with(func(c *config.Category) { c.Key = "k" + strings.Repeat("x", 32) })}, "categories[0].key"},
		"empty key":          {[]config.Category{with(func(c *config.Category) { c.Key = "" })}, "categories[0].key"},
		"twice":              {[]config.Category{ok, with(func(c *config.Category) { c.Name = "y" })}, `categories[1].key: "x" appears twice`},
		"resolve first":      {[]config.Category{with(func(c *config.Category) { c.ResponseHours = 5 })}, "categories[0]: response_hours must be positive"},
		"no response":        {[]config.Category{with(func(c *config.Category) { c.ResponseHours = 0 })}, "categories[0]: response_hours must be positive"},
		"second of many":     {[]config.Category{ok, with(func(c *config.Category) { c.Key = "y"; c.Role = "" })}, "categories[1].role"},
		"public and private": {[]config.Category{with(func(c *config.Category) { c.Public, c.Private = true, true })}, "categories[0]: public and private contradict"},
		"empty word":         {[]config.Category{with(func(c *config.Category) { c.Words = []string{"电梯", " "} })}, "categories[0].words[1]: empty"},
		"long word":          {[]config.Category{with(func(c *config.Category) { c.Words = []string{strings.Repeat("电", 21)} })}, "categories[0].words[0]: "},
		"word twice":         {[]config.Category{with(func(c *config.Category) { c.Words = []string{"电梯", " 电梯"} })}, `categories[0].words[1]: "电梯" appears twice`},
	} {
		_, err := tickets.CategoriesFromConfig(config.Tickets{Categories: tt.categories})
		if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
			t.Errorf("%s: CategoriesFromConfig error = %v, want one containing %q", name, err, tt.wantInErr)
		}
	}

	// Every problem is reported at once, so one restart fixes them all.
	_, err := tickets.CategoriesFromConfig(config.Tickets{Categories: []config.Category{{Key: "A"}}})
	for _, key := range []string{"categories[0].key", "categories[0].name", "categories[0].role", "categories[0]: response_hours"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("CategoriesFromConfig(all wrong) error = %v, want it to name %s", err, key)
		}
	}
}
