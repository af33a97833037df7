package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Bot is the [bot] table of the configuration file.
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

func (b Bot) validate() []error {
	var errs []error
	keys := map[string]int{}
	for i, m := range b.Menu {
		name := fmt.Sprintf("bot.menu[%d]", i)
		if strings.TrimSpace(m.Key) == "" {
			errs = append(errs, fmt.Errorf("%s: key must not be empty", name))
		} else if len(m.Key) > 128 {
			// WeChat rejects longer click keys when the menu is pushed.
			errs = append(errs, fmt.Errorf("%s: key %q is longer than WeChat's 128 bytes", name, m.Key))
		} else if j, dup := keys[m.Key]; dup {
			errs = append(errs, fmt.Errorf("%s: key %q already used by bot.menu[%d]", name, m.Key, j))
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
			errs = append(errs, errors.New("bot.replies: keyword must not be empty"))
		} else if strings.TrimSpace(b.Replies[k]) == "" {
			errs = append(errs, fmt.Errorf("bot.replies: reply to %q must not be empty", k))
		}
	}
	return errs
}
