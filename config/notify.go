package config

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// Notify is the [notify] table of the configuration file.
type Notify struct {
	// Templates maps a notification kind (e.g. ticket_accepted) to its
	// template message; a kind without one goes as customer-service text.
	Templates map[string]Template `toml:"templates"`
}

// Template is one [notify.templates.KIND] table.
type Template struct {
	// ID is the template_id from the official account's console.
	ID string `toml:"id"`
	// URL, when set, is the absolute http(s) detail page the message opens.
	URL string `toml:"url"`
	// Fields maps the template's keywords (thing1, character_string2,
	// time3, ...) to the notice's field names (title, number, status, time,
	// note, name, place, ...). Empty means the notice's field names are the
	// template's keywords.
	Fields map[string]string `toml:"fields"`
}

var _ section = (*Notify)(nil)

func (Notify) subtables() [][]string {
	return [][]string{{"templates"}, {"templates", "*"}, {"templates", "*", "fields"}}
}

func (n Notify) validate() []error {
	var errs []error
	for _, kind := range slices.Sorted(maps.Keys(n.Templates)) {
		t := n.Templates[kind]
		if !validName(kind) {
			errs = append(errs, fmt.Errorf("templates: kind %q must be letters, digits and _, such as ticket_accepted", kind))
			continue
		}
		name := "templates." + kind
		switch {
		case t.ID == "":
			errs = append(errs, fmt.Errorf("%s.id: must not be empty, want the template_id from the console", name))
		case strings.ContainsFunc(t.ID, unicode.IsSpace):
			errs = append(errs, fmt.Errorf("%s.id: template_id %q must not contain spaces", name, t.ID))
		}
		if t.URL != "" {
			if err := checkLink(t.URL); err != nil {
				errs = append(errs, fmt.Errorf("%s.url: %v", name, err))
			}
		}
		for _, key := range slices.Sorted(maps.Keys(t.Fields)) {
			if !validName(key) {
				errs = append(errs, fmt.Errorf("%s.fields: keyword %q must be letters, digits and _, such as thing1", name, key))
			} else if f := t.Fields[key]; !validName(f) {
				errs = append(errs, fmt.Errorf("%s.fields.%s: field %q must be letters, digits and _, such as title", name, key, f))
			}
		}
	}
	return errs
}

// redact shows the kinds that have a template.
func (n Notify) redact() map[string]string {
	if len(n.Templates) == 0 {
		return nil
	}
	return map[string]string{"templates": strings.Join(slices.Sorted(maps.Keys(n.Templates)), ",")}
}

// validName reports whether s is a non-empty run of ASCII letters, digits
// and _: the shape of notification kinds, template keywords and field names.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// checkLink checks a link a message opens: an absolute http(s) URL.
func checkLink(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %v", stripURLError(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL, got %q", s)
	}
	return nil
}
