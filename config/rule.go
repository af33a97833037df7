package config

import (
	"fmt"
	"slices"
)

// Rule is a check a domain owns on one variable or table of the
// configuration, such as notify's quiet-hours parser on TONGXIN_QUIET_HOURS
// or the tickets service's check of the [tickets] table. config imports no
// domain, so main passes the rules to Load or Validate, which report their
// problems with config's own: one start-up names every mistake, and each
// rule has one home.
type Rule struct {
	// Key is the variable (TONGXIN_QUIET_HOURS) or table (tickets) checked.
	Key string
	// Check returns what is wrong with the value, or nil. Validate puts
	// Key in front of each error, with ": " after a variable and "." after
	// a table, so a table's errors start with the key inside it
	// (categories[1].role: ...) and read tickets.categories[1].role: ....
	// The errors of errors.Join are reported one by one.
	Check func(Config) error
}

// checkRules runs the domains' rules, naming the key of each problem.
func checkRules(c Config, rules []Rule) []error {
	var errs []error
	for _, r := range rules {
		var prefix string
		switch {
		case isTable(r.Key):
			prefix = r.Key + "."
		case isSetting(r.Key):
			prefix = r.Key + ": "
		default:
			// A misspelt key in main's wiring would otherwise check
			// nothing, silently.
			errs = append(errs, fmt.Errorf("%s: a rule checks this key, which is no variable or table", r.Key))
			continue
		}
		err := r.Check(c)
		if err == nil {
			continue
		}
		each := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			each = j.Unwrap()
		}
		for _, e := range each {
			errs = append(errs, fmt.Errorf("%s%w", prefix, e))
		}
	}
	return errs
}

func isSetting(name string) bool {
	_, ok := lookupSetting(name)
	return ok
}

func isTable(name string) bool {
	return slices.Contains(tableNames(), name)
}
