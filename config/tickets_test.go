package config_test

import (
	"slices"
	"testing"

	"github.com/tongxin/tongxin/config"
)

// TestTicketCategoryWordsFromFile: a category's words = [...] reach the
// configuration as written; what makes them valid is the tickets
// service's rule (tickets.CategoriesFromConfig), and a category without
// words has none.
func TestTicketCategoryWordsFromFile(t *testing.T) {
	path := writeFile(t, "[[tickets.categories]]\nkey = \"parking\"\nname = \"停车管理\"\nrole = \"grid_worker\"\nresponse_hours = 4\nresolve_hours = 18\nwords = [\"车位\", \"乱停车\"]\n\n"+
		"[[tickets.categories]]\nkey = \"repair\"\nname = \"维修报修\"\nrole = \"grid_worker\"\nresponse_hours = 4\nresolve_hours = 18\n")
	cfg, err := config.Load(env(map[string]string{config.EnvConfigFile: path}))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Tickets.Categories
	if len(c) != 2 || !slices.Equal(c[0].Words, []string{"车位", "乱停车"}) || c[1].Words != nil {
		t.Errorf("categories: %+v", c)
	}
	// words must be a list of strings.
	if _, err := config.Load(env(map[string]string{config.EnvConfigFile: writeFile(t, "[[tickets.categories]]\nkey = \"x\"\nwords = \"车位\"\n")})); err == nil {
		t.Error("words = \"车位\" (not a list) loaded")
	}
}
