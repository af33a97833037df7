package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/config"
)

func TestRules(t *testing.T) {
	var seen []string
	rules := []config.Rule{
		{Key: "TONGXIN_QUIET_HOURS", Check: func(c config.Config) error {
			seen = append(seen, c.QuietHours)
			return errors.New("want a window")
		}},
		{Key: "tickets", Check: func(config.Config) error {
			return errors.Join(errors.New("categories[0].role: unknown"), errors.New("categories[2].key: twice"))
		}},
		{Key: "TONGXIN_HANDLER_TIMEOUT", Check: func(config.Config) error { return nil }},
	}
	_, err := config.Load(env(map[string]string{
		"TONGXIN_QUIET_HOURS":  "Later",
		"TONGXIN_DATABASE_URL": "mysql://x",
	}), rules...)
	if err == nil {
		t.Fatal("Load with failing rules succeeded")
	}
	// A rule sees the value as config stored it, and its problems are
	// reported with config's own, each under its key.
	if len(seen) != 1 || seen[0] != "later" {
		t.Errorf("the quiet-hours rule saw %q, want the stored [later]", seen)
	}
	for _, want := range []string{
		"TONGXIN_DATABASE_URL: unsupported scheme",
		"TONGXIN_QUIET_HOURS: want a window",
		"tickets.categories[0].role: unknown",
		"tickets.categories[2].key: twice",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load error does not contain %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "TONGXIN_HANDLER_TIMEOUT") {
		t.Errorf("a passing rule was reported:\n%v", err)
	}

	if err := config.Default().Validate(rules[2]); err != nil {
		t.Errorf("Default().Validate(passing rule) = %v", err)
	}
	if err := config.Default().Validate(rules[0]); err == nil || !strings.Contains(err.Error(), "TONGXIN_QUIET_HOURS: want a window") {
		t.Errorf("Default().Validate(failing rule) = %v, want the rule's error under its variable", err)
	}
}

// TestRuleOnUnknownKey keeps a misspelt key in main's wiring from checking
// nothing without a word.
func TestRuleOnUnknownKey(t *testing.T) {
	for _, key := range []string{"TONGXIN_QUIET_HOUR", "ticket", "tickets.categories", ""} {
		rule := config.Rule{Key: key, Check: func(config.Config) error { return nil }}
		err := config.Default().Validate(rule)
		if err == nil || !strings.Contains(err.Error(), "no variable or table") {
			t.Errorf("Validate(rule on %q) = %v, want an error saying the key does not exist", key, err)
		}
	}
}
