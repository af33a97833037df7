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

// readFile reads the TOML configuration file into cfg's tables and returns
// its top-level TONGXIN_* keys, as strings keyed by variable name. Unknown
// keys are an error because a misspelt key would otherwise be ignored
// silently.
func readFile(path string, cfg *Config) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", EnvConfigFile, err)
	}
	values, err := parseFile(string(data), cfg)
	if err != nil {
		return nil, fmt.Errorf("config: %s %s: %w", EnvConfigFile, path, err)
	}
	return values, nil
}

func parseFile(text string, cfg *Config) (map[string]string, error) {
	var raw map[string]toml.Primitive
	md, err := toml.Decode(text, &raw)
	if err != nil {
		return nil, err
	}

	tables := map[string]section{}
	for _, t := range cfg.tables() {
		tables[t.name] = t.section
	}
	var (
		errs, notTables = checkTables(md)
		values          = map[string]string{}
	)
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		p := raw[k]
		if table, ok := tables[k]; ok {
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
			values[k] = strings.TrimSpace(v)
		case int64:
			// Lets TONGXIN_RATE_PER_MINUTE = 20 be written as a number.
			values[k] = strconv.FormatInt(v, 10)
		default:
			errs = append(errs, fmt.Errorf("%s: want a string, got %s", k, md.Type(k)))
		}
	}
	// Decoding into the map marks every top-level key as decoded; Undecoded
	// still catches misspelt keys inside the tables.
	for _, key := range md.Undecoded() {
		if !inNotTable(key, notTables) {
			errs = append(errs, fmt.Errorf("%s: unknown key", key))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return values, nil
}

// checkTables reports the keys of tables (tablePatterns) that hold
// something else, and returns their names so that nothing inside them is
// reported again.
func checkTables(md toml.MetaData) ([]error, map[string]bool) {
	tables := tablePatterns()
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
