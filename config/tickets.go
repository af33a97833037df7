package config

import "strings"

// Tickets is the [tickets] table of the configuration file. config checks
// only its shape; the tickets service, which owns what a category is,
// checks its values (tickets.CategoriesFromConfig, passed in as a Rule).
type Tickets struct {
	// Categories replace the built-in request categories when set, in
	// the order residents see them.
	Categories []Category `toml:"categories"`
}

// Category is one [[tickets.categories]] entry: a kind of request, its
// deadlines in working hours, the role (grid_worker, mediator, ...) that
// handles it and whether what is published of its requests includes
// their descriptions.
type Category struct {
	Key           string  `toml:"key"`
	Name          string  `toml:"name"`
	Role          string  `toml:"role"`
	ResponseHours float64 `toml:"response_hours"`
	ResolveHours  float64 `toml:"resolve_hours"`
	// Public publishes the requests' masked descriptions, units and
	// rounded coordinates (Open311); without it only category, status,
	// building and dates are.
	Public bool `toml:"public"`
	// Private is what files written before Public said of a category
	// about a person. Every category not public is private now, so it
	// changes nothing; it is still read so those files keep loading, and
	// the tickets service refuses it together with public.
	Private bool `toml:"private"`
	// Words are what residents say of this kind of request ("电梯",
	// "漏水"), added to the built-in vocabulary of its key, so that a
	// category the operator adds is understood from a resident's own
	// words (syntax: bot/intent.New).
	Words []string `toml:"words"`
}

var _ section = (*Tickets)(nil)

func (Tickets) subtables() [][]string { return nil }

// validate has nothing to add to the decoder's checks of types: what makes
// a category valid is the tickets service's rule.
func (Tickets) validate() []error { return nil }

// redact shows the categories' keys, when the operator sets any.
func (t Tickets) redact() map[string]string {
	if len(t.Categories) == 0 {
		return nil
	}
	keys := make([]string, len(t.Categories))
	for i, c := range t.Categories {
		keys[i] = c.Key
	}
	return map[string]string{"categories": strings.Join(keys, ",")}
}
