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

// readFile reads the TOML configuration file: top-level TONGXIN_* keys, as
// strings keyed by variable name, and the [bot] table. Unknown keys are an
// error because a misspelt key would otherwise be ignored silently.
func readFile(path string) (map[string]string, Bot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Bot{}, fmt.Errorf("config: %s: %w", EnvConfigFile, err)
	}
	values, bot, err := parseFile(string(data))
	if err != nil {
		return nil, Bot{}, fmt.Errorf("config: %s %s: %w", EnvConfigFile, path, err)
	}
	return values, bot, nil
}

func parseFile(text string) (map[string]string, Bot, error) {
	var raw map[string]toml.Primitive
	md, err := toml.Decode(text, &raw)
	if err != nil {
		return nil, Bot{}, err
	}

	var (
		errs   []error
		bot    Bot
		values = map[string]string{}
	)
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		p := raw[k]
		if k == "bot" {
			if err := md.PrimitiveDecode(p, &bot); err != nil {
				errs = append(errs, fmt.Errorf("bot: %w", err))
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
	// still catches misspelt keys inside [bot].
	for _, key := range md.Undecoded() {
		errs = append(errs, fmt.Errorf("%s: unknown key", key))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, Bot{}, err
	}
	return values, bot, nil
}
