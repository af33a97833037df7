package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Bot is the [bot] table of the configuration file: the texts and menu the
// operator overrides.
type Bot struct {
	// Welcome is sent to a resident who follows the account.
	Welcome string `toml:"welcome"`
	// Help answers 帮助/菜单/?.
	Help string `toml:"help"`
	// Fallback answers a message nothing else matched, before the menu.
	Fallback string `toml:"fallback"`
	// Menu is the numbered main menu and the custom menu's click keys, in
	// display order.
	Menu []MenuItem `toml:"menu"`
	// Replies maps an exact keyword to an automatic reply.
	Replies map[string]string `toml:"replies"`
}

// MenuItem is one entry of the main menu.
type MenuItem struct {
	// Key is the click key of the WeChat custom menu (e.g. REPORT).
	Key string `toml:"key"`
	// Label is what residents see, in the numbered menu and on the button.
	Label string `toml:"label"`
	// Keywords are extra words that select this entry.
	Keywords []string `toml:"keywords"`
}

var _ section = (*Bot)(nil)

func (Bot) subtables() [][]string { return [][]string{{"replies"}} }

func (b Bot) validate() []error {
	var errs []error
	keys := map[string]int{}
	for i, m := range b.Menu {
		name := fmt.Sprintf("menu[%d]", i)
		if strings.TrimSpace(m.Key) == "" {
			errs = append(errs, fmt.Errorf("%s: key must not be empty", name))
		} else if len(m.Key) > 128 {
			// WeChat rejects longer click keys when the menu is pushed.
			errs = append(errs, fmt.Errorf("%s: key %q is longer than WeChat's 128 bytes", name, m.Key))
		} else if j, dup := keys[m.Key]; dup {
			errs = append(errs, fmt.Errorf("%s: key %q already used by menu[%d]", name, m.Key, j))
		} else {
			keys[m.Key] = i
		}
		if strings.TrimSpace(m.Label) == "" {
			errs = append(errs, fmt.Errorf("%s: label must not be empty", name))
		}
		for _, k := range m.Keywords {
			if strings.TrimSpace(k) == "" {
				errs = append(errs, fmt.Errorf("%s: keywords must not contain an empty keyword", name))
				break
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b.Replies)) {
		if strings.TrimSpace(k) == "" {
			errs = append(errs, errors.New("replies: keyword must not be empty"))
		} else if strings.TrimSpace(b.Replies[k]) == "" {
			errs = append(errs, fmt.Errorf("replies: reply to %q must not be empty", k))
		}
	}
	return errs
}

// redact shows which texts are overridden and the menu's keys, never the
// texts themselves.
func (b Bot) redact() map[string]string {
	m := map[string]string{}
	var texts []string
	for _, t := range []struct{ name, v string }{{"welcome", b.Welcome}, {"help", b.Help}, {"fallback", b.Fallback}} {
		if t.v != "" {
			texts = append(texts, t.name)
		}
	}
	if len(texts) > 0 {
		m["texts"] = strings.Join(texts, ",")
	}
	if len(b.Menu) > 0 {
		keys := make([]string, len(b.Menu))
		for i, mi := range b.Menu {
			keys[i] = mi.Key
		}
		m["menu"] = strings.Join(keys, ",")
	}
	if len(b.Replies) > 0 {
		m["replies"] = strconv.Itoa(len(b.Replies))
	}
	return m
}
