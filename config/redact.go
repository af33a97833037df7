package config

import (
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// redactURL hides the password of a URL; unparsable input is hidden whole
// because it may still contain one.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return u.Redacted()
		}
	}
	// Query parameters such as password=… are possible for lib/pq.
	q := u.Query()
	changed := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
		return u.String()
	}
	return s
}

// mask is what Redacted shows instead of a secret: whether it is set is
// useful in a log, any part of its value is not.
const mask = "***"

// Redacted returns the effective settings by variable name, with secrets
// masked and passwords removed from URLs, and what each table of the file
// sets by table.key (bot.menu), for logging at start-up.
func (c Config) Redacted() map[string]string {
	m := make(map[string]string, len(settings)+5)
	for _, s := range settings {
		v := s.get(c)
		if s.secret && v != "" {
			v = mask
		}
		m[s.name] = v
	}
	m[EnvConfigFile] = c.File
	for _, t := range c.tables() {
		for k, v := range t.redact() {
			m[t.name+"."+k] = v
		}
	}
	return m
}

// String renders Redacted as sorted key=value pairs, so printing a Config by
// accident cannot leak a secret.
func (c Config) String() string {
	m := c.Redacted()
	keys := slices.Sorted(maps.Keys(m))
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	return b.String()
}

// LogValue makes slog log the redacted form of a Config.
func (c Config) LogValue() slog.Value {
	m := c.Redacted()
	keys := slices.Sorted(maps.Keys(m))
	attrs := make([]slog.Attr, len(keys))
	for i, k := range keys {
		attrs[i] = slog.String(k, m[k])
	}
	return slog.GroupValue(attrs...)
}
