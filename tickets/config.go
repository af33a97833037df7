package tickets

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/config"
)

// categoryKey is the shape of a category key: it is stored with every
// ticket and typed by staff in exports, so short and plain.
var categoryKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// CategoriesFromConfig returns the request categories the [tickets] table
// of the configuration file sets, in the order residents see them, or
// DefaultCategories when it sets none.
//
// It is the one check of that table, which config (importing no domain)
// runs through main's wiring: each key is lower-case letters, digits and
// _ and appears once, each category has a name and a role community knows
// (community.ParseRole), and its deadlines are positive with resolve_hours
// at least response_hours, and it is not marked both public and private
// (private, from files written before public, is what every category not
// public is), and its words are each non-empty, at most MaxWordRunes
// characters and listed once. The error joins every problem, each naming its key relative
// to the table (categories[1].role).
func CategoriesFromConfig(t config.Tickets) ([]ticket.Category, error) {
	if len(t.Categories) == 0 {
		return append([]ticket.Category(nil), DefaultCategories...), nil
	}
	var errs []error
	seen := map[string]bool{}
	out := make([]ticket.Category, len(t.Categories))
	for i, c := range t.Categories {
		at := fmt.Sprintf("categories[%d]", i)
		switch {
		case !categoryKey.MatchString(c.Key):
			errs = append(errs, fmt.Errorf("%s.key: want lower-case letters, digits and _, got %q", at, c.Key))
		case seen[c.Key]:
			errs = append(errs, fmt.Errorf("%s.key: %q appears twice", at, c.Key))
		}
		seen[c.Key] = true
		if strings.TrimSpace(c.Name) == "" {
			errs = append(errs, fmt.Errorf("%s.name: required", at))
		}
		role, err := community.ParseRole(c.Role)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.role: %w", at, err))
		}
		if c.ResponseHours <= 0 || c.ResolveHours < c.ResponseHours {
			errs = append(errs, fmt.Errorf("%s: response_hours must be positive and resolve_hours at least as long", at))
		}
		if c.Public && c.Private {
			errs = append(errs, fmt.Errorf("%s: public and private contradict each other; every category not public is private, so drop private", at))
		}
		words, werrs := categoryWords(at, c.Words)
		errs = append(errs, werrs...)
		out[i] = ticket.Category{Key: c.Key, Name: c.Name, Role: role, ResponseHours: c.ResponseHours, ResolveHours: c.ResolveHours, Public: c.Public, Words: words}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// MaxWordRunes is the longest word a category may bring: words are what
// residents say ("电梯", "楼道灯"), not sentences, which would match
// nothing a resident types.
const MaxWordRunes = 20

// categoryWords checks a category's words and returns them trimmed.
func categoryWords(at string, words []string) ([]string, []error) {
	var errs []error
	var out []string
	seen := map[string]bool{}
	for j, w := range words {
		w = strings.TrimSpace(w)
		switch {
		case w == "":
			errs = append(errs, fmt.Errorf("%s.words[%d]: empty", at, j))
		case utf8.RuneCountInString(w) > MaxWordRunes:
			errs = append(errs, fmt.Errorf("%s.words[%d]: %q is longer than %d characters", at, j, w, MaxWordRunes))
		case seen[w]:
			errs = append(errs, fmt.Errorf("%s.words[%d]: %q appears twice", at, j, w))
		default:
			out = append(out, w)
		}
		seen[w] = true
	}
	return out, errs
}
