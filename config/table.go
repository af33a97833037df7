package config

import (
	"fmt"
	"reflect"
)

// A section is what a table of the configuration file ([bot], [notify],
// [tickets]) tells config about itself. Each table's type implements it in
// the table's own file, where it also asserts so:
//
//	var _ section = (*Tickets)(nil)
type section interface {
	// subtables lists the keys below the table, relative to it, whose
	// value must be a table, "*" standing for any one part. The TOML
	// decoder quietly ignores a value of another type (say an array)
	// decoded into a Go map, so these are checked by hand.
	subtables() [][]string
	// validate checks the table's shape. Errors name keys relative to the
	// table (menu[0]: ...); Validate puts the table's name in front.
	// Rules on values a domain owns are not config's: they come in as a
	// Rule.
	validate() []error
	// redact returns what the start-up log shows of the table, by key
	// relative to the table: nothing secret, no free text, and nothing at
	// all for a table the operator left out.
	redact() map[string]string
}

// table is one table of the file and the part of a Config holding it.
type table struct {
	name string
	section
}

// tables lists the tables of the file in c: the fields of Config with a
// toml tag, which names the table. That field is a table's whole
// registration; parsing the file, the check that each table is a table,
// validation and redaction all iterate this list, so none of them can
// miss one. The pointers let the file be decoded into c.
func (c *Config) tables() []table {
	v := reflect.ValueOf(c).Elem()
	var out []table
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, ok := f.Tag.Lookup("toml")
		if !ok {
			continue
		}
		s, ok := v.Field(i).Addr().Interface().(section)
		if !ok {
			// Every test that loads a configuration gets here first.
			panic(fmt.Sprintf("config: Config.%s is tagged as the table [%s], but *%s does not implement section", f.Name, name, f.Type.Name()))
		}
		out = append(out, table{name: name, section: s})
	}
	return out
}

// tableNames are the names of the file's tables.
func tableNames() []string {
	var names []string
	for _, t := range (&Config{}).tables() {
		names = append(names, t.name)
	}
	return names
}

// tablePatterns are the keys of the file whose value must be a table: each
// table and its subtables, "*" standing for any one part.
func tablePatterns() [][]string {
	var patterns [][]string
	for _, t := range (&Config{}).tables() {
		patterns = append(patterns, []string{t.name})
		for _, sub := range t.subtables() {
			patterns = append(patterns, append([]string{t.name}, sub...))
		}
	}
	return patterns
}

// prefixed puts a table's name in front of the errors of its section,
// which name keys relative to the table.
func prefixed(name string, errs []error) []error {
	out := make([]error, len(errs))
	for i, err := range errs {
		out[i] = fmt.Errorf("%s.%w", name, err)
	}
	return out
}
