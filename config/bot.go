package config

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
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
	// Contains maps a word to an automatic reply to any message that
	// contains it: WeChat's 半匹配 ("物业费" answers "物业费怎么交"). Exact
	// keywords, prefixes and menu keys come first; the longest contained
	// word wins.
	Contains map[string]string `toml:"contains"`
	// Words adds the operator's words to an intent a feature registered
	// ("report:repair" = ["下水道", "水表"]), so that messages saying them
	// are understood as that intent.
	Words map[string][]string `toml:"words"`
}

// MenuItem is one entry of the main menu.
type MenuItem struct {
	// Key is the click key of the WeChat custom menu (e.g. REPORT).
	Key string `toml:"key"`
	// Label is what residents see, in the numbered menu and on the button.
	Label string `toml:"label"`
	// Keywords are extra words that select this entry.
	Keywords []string `toml:"keywords"`
	// URL, when set, makes the entry a link (社区公告, 办事指南): the
	// custom menu's button opens it, and the numbered menu's entry
	// answers with it. Only https, as WeChat opens it in its browser.
	URL string `toml:"url"`
}

// maxMenuURL is the longest link WeChat accepts on a view button, in
// bytes.
const maxMenuURL = 1024

var _ section = (*Bot)(nil)

func (Bot) subtables() [][]string { return [][]string{{"replies"}, {"contains"}, {"words"}} }

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
		if m.URL != "" {
			if err := checkMenuLink(m.URL); err != nil {
				errs = append(errs, fmt.Errorf("%s.url: %v", name, err))
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
	for _, k := range slices.Sorted(maps.Keys(b.Contains)) {
		switch {
		case strings.TrimSpace(k) == "":
			errs = append(errs, errors.New("contains: word must not be empty"))
		case strings.TrimSpace(b.Contains[k]) == "":
			errs = append(errs, fmt.Errorf("contains: reply to %q must not be empty", k))
		}
		if _, dup := b.Replies[k]; dup {
			// The exact reply would always win; one of them is a mistake.
			errs = append(errs, fmt.Errorf("contains: %q is also a key of replies: keep one", k))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(b.Words)) {
		if strings.TrimSpace(name) == "" {
			errs = append(errs, errors.New("words: intent name must not be empty"))
			continue
		}
		if len(b.Words[name]) == 0 {
			errs = append(errs, fmt.Errorf("words.%s: list at least one word", quoteKey(name)))
		}
		for _, w := range b.Words[name] {
			if strings.TrimSpace(w) == "" {
				errs = append(errs, fmt.Errorf("words.%s: words must not contain an empty word", quoteKey(name)))
				break
			}
		}
	}
	return errs
}

// checkMenuLink checks a menu button's link: WeChat opens only an
// absolute https URL of at most maxMenuURL bytes.
func checkMenuLink(s string) error {
	if err := checkLink(s); err != nil {
		return err
	}
	if u, _ := url.Parse(s); u.Scheme != "https" {
		return fmt.Errorf("want an https URL, got %q", s)
	}
	if len(s) > maxMenuURL {
		return fmt.Errorf("longer than WeChat's %d bytes", maxMenuURL)
	}
	return nil
}

// quoteKey writes a key as the file would need it: intent names hold a
// colon ("report:repair"), so they are quoted.
func quoteKey(k string) string { return strconv.Quote(k) }

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
	if len(b.Contains) > 0 {
		m["contains"] = strconv.Itoa(len(b.Contains))
	}
	if len(b.Words) > 0 {
		m["words"] = strings.Join(slices.Sorted(maps.Keys(b.Words)), ",")
	}
	return m
}
