package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// file is what the TOML configuration file holds.
type file struct {
	// values are the top-level TONGXIN_* keys, as strings keyed by
	// variable name.
	values  map[string]string
	bot     Bot
	notify  Notify
	tickets Tickets
}

// readFile reads the TOML configuration file: top-level TONGXIN_* keys and
// the [bot] and [notify] tables. Unknown keys are an error because a
// misspelt key would otherwise be ignored silently.
func readFile(path string) (file, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return file{}, fmt.Errorf("config: %s: %w", EnvConfigFile, err)
	}
	f, err := parseFile(string(data))
	if err != nil {
		return file{}, fmt.Errorf("config: %s %s: %w", EnvConfigFile, path, err)
	}
	return f, nil
}

func parseFile(text string) (file, error) {
	var raw map[string]toml.Primitive
	md, err := toml.Decode(text, &raw)
	if err != nil {
		return file{}, err
	}

	var (
		errs, notTables = checkTables(md)
		f               = file{values: map[string]string{}}
	)
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		p := raw[k]
		var table any
		switch k {
		case "bot":
			table = &f.bot
		case "notify":
			table = &f.notify
		case "tickets":
			table = &f.tickets
		}
		if table != nil {
			if notTables[k] {
				continue // already reported
			}
			if err := md.PrimitiveDecode(p, table); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", k, err))
			}
			continue
		}
		if _, ok := lookupSetting(k); !ok {
			errs = append(errs, fmt.Errorf("%s: unknown key", k))
			continue
		}
		var v any
		if err := md.PrimitiveDecode(p, &v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
			continue
		}
		switch v := v.(type) {
		case string:
			f.values[k] = strings.TrimSpace(v)
		case int64:
			// Lets TONGXIN_RATE_PER_MINUTE = 20 be written as a number.
			f.values[k] = strconv.FormatInt(v, 10)
		default:
			errs = append(errs, fmt.Errorf("%s: want a string, got %s", k, md.Type(k)))
		}
	}
	// Decoding into the map marks every top-level key as decoded; Undecoded
	// still catches misspelt keys inside [bot] and [notify].
	for _, key := range md.Undecoded() {
		if !inNotTable(key, notTables) {
			errs = append(errs, fmt.Errorf("%s: unknown key", key))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return file{}, err
	}
	return f, nil
}

// tables are the keys whose value must be a table, "*" standing for any one
// part. The TOML decoder quietly ignores a value of another type (say an
// array) decoded into a Go map, so these are checked by hand.
var tables = [][]string{
	{"bot"},
	{"bot", "replies"},
	{"notify"},
	{"notify", "templates"},
	{"notify", "templates", "*"},
	{"notify", "templates", "*", "fields"},
	{"tickets"},
}

// checkTables reports the keys of tables that hold something else, and
// returns their names so that nothing inside them is reported again.
func checkTables(md toml.MetaData) ([]error, map[string]bool) {
	var errs []error
	notTables := map[string]bool{}
	seen := map[string]bool{}
	for _, key := range md.Keys() {
		name := key.String()
		if seen[name] || inNotTable(key, notTables) ||
			!slices.ContainsFunc(tables, func(pattern []string) bool { return matchKey(pattern, key) }) {
			continue
		}
		seen[name] = true
		// The decoder calls tables and inline tables "Hash".
		switch t := md.Type(key...); t {
		case "Hash":
			continue
		case "ArrayHash":
			errs = append(errs, fmt.Errorf("%s: want a table, got an array of tables", name))
		default:
			errs = append(errs, fmt.Errorf("%s: want a table, got %s", name, strings.ToLower(t)))
		}
		notTables[name] = true
	}
	return errs, notTables
}

// inNotTable reports whether key lies inside one of notTables.
func inNotTable(key toml.Key, notTables map[string]bool) bool {
	for i := 1; i < len(key); i++ {
		if notTables[key[:i].String()] {
			return true
		}
	}
	return false
}

func matchKey(pattern []string, key toml.Key) bool {
	if len(pattern) != len(key) {
		return false
	}
	for i, p := range pattern {
		if p != "*" && p != key[i] {
			return false
		}
	}
	return true
}
