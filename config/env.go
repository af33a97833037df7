package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// setting describes one TONGXIN_* variable: how it is stored in Config,
// how its shape is checked and how it is shown in logs. One entry per
// variable keeps Load, the file check, Validate and Redacted from drifting
// apart. Rules on a value that a domain owns (TONGXIN_QUIET_HOURS,
// TONGXIN_WECHAT_AES_KEY) are not here: main passes them in as Rules.
type setting struct {
	name string
	set  func(*Config, string) error
	get  func(Config) string
	// check, when set, reports what is wrong with the stored value; the
	// error need not name the variable.
	check  func(Config) error
	secret bool
	// dev is the development value a credential falls back to; empty for
	// every other setting.
	dev string
}

var settings = append([]setting{
	{name: "TONGXIN_HTTP_ADDR",
		set:   func(c *Config, v string) error { c.HTTPAddr = v; return nil },
		get:   func(c Config) string { return c.HTTPAddr },
		check: func(c Config) error { return checkAddr(c.HTTPAddr) }},
	{name: "TONGXIN_PPROF_ADDR",
		set: func(c *Config, v string) error { c.PprofAddr = v; return nil },
		get: func(c Config) string { return c.PprofAddr },
		check: func(c Config) error {
			if c.PprofAddr == "" {
				return nil
			}
			host, _, err := net.SplitHostPort(c.PprofAddr)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return fmt.Errorf("%q: the profiler listens on loopback only (127.0.0.1:PORT)", c.PprofAddr)
			}
			return nil
		}},
	{name: "TONGXIN_PUBLIC_URL",
		set: func(c *Config, v string) error { c.PublicURL = strings.TrimRight(v, "/"); return nil },
		get: func(c Config) string { return c.PublicURL },
		check: func(c Config) error {
			if c.PublicURL == "" {
				return nil
			}
			u, err := url.Parse(c.PublicURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("%q: want the address people open, like https://tongxin.example.org", c.PublicURL)
			}
			return nil
		}},
	{name: "TONGXIN_SIMULATOR",
		set: func(c *Config, v string) error { c.Simulator = strings.ToLower(strings.TrimSpace(v)); return nil },
		get: func(c Config) string { return c.Simulator },
		check: func(c Config) error {
			switch c.Simulator {
			case "", "on", "off":
				return nil
			}
			return fmt.Errorf("%q: want on or off", c.Simulator)
		}},
	{name: "TONGXIN_DATABASE_URL",
		set:   func(c *Config, v string) error { c.DatabaseURL = v; return nil },
		get:   func(c Config) string { return redactURL(c.DatabaseURL) },
		check: func(c Config) error { return checkDatabaseURL(c.DatabaseURL) }},
	{name: "TONGXIN_DATABASE_MAX_CONNS",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("want a whole number of connections, got %q", v)
			}
			c.DatabaseMaxConns = n
			return nil
		},
		get: func(c Config) string { return strconv.Itoa(c.DatabaseMaxConns) },
		check: func(c Config) error {
			// Migrations hold one connection for their lock while they
			// run on another: one connection alone would wait forever.
			if c.DatabaseMaxConns != 0 && c.DatabaseMaxConns < MinDatabaseConns {
				return fmt.Errorf("must be 0 (the engine's default: 20 on PostgreSQL, 4 on SQLite) or at least %d, got %d", MinDatabaseConns, c.DatabaseMaxConns)
			}
			return nil
		}},
	{name: "TONGXIN_REDIS_URL",
		set:   func(c *Config, v string) error { c.RedisURL = v; return nil },
		get:   func(c Config) string { return redactURL(c.RedisURL) },
		check: func(c Config) error { return checkRedisURL(c.RedisURL) }},
	{name: "TONGXIN_WECHAT_APPID", dev: DevWeChatAppID,
		set:   func(c *Config, v string) error { c.WeChat.AppID = v; return nil },
		get:   func(c Config) string { return c.WeChat.AppID },
		check: func(c Config) error { return notEmpty(c.WeChat.AppID) }},
	{name: "TONGXIN_WECHAT_SECRET", dev: DevWeChatSecret, secret: true,
		set:   func(c *Config, v string) error { c.WeChat.Secret = v; return nil },
		get:   func(c Config) string { return c.WeChat.Secret },
		check: func(c Config) error { return notEmpty(c.WeChat.Secret) }},
	{name: "TONGXIN_WECHAT_TOKEN", dev: DevWeChatToken, secret: true,
		set:   func(c *Config, v string) error { c.WeChat.Token = v; return nil },
		get:   func(c Config) string { return c.WeChat.Token },
		check: func(c Config) error { return checkToken(c.WeChat.Token) }},
	{name: "TONGXIN_WECHAT_AES_KEY", dev: DevWeChatAESKey, secret: true,
		set: func(c *Config, v string) error { c.WeChat.AESKey = v; return nil },
		get: func(c Config) string { return c.WeChat.AESKey }},
	{name: "TONGXIN_WECHAT_MODE",
		set: func(c *Config, v string) error { c.WeChat.Mode = strings.ToLower(v); return nil },
		get: func(c Config) string { return c.WeChat.MinMode() },
		check: func(c Config) error {
			switch c.WeChat.Mode {
			case "", "plain":
				return nil
			case "compat", "safe":
				if c.WeChat.AESKey == "" {
					return fmt.Errorf("%s mode needs the EncodingAESKey (TONGXIN_WECHAT_AES_KEY)", c.WeChat.Mode)
				}
				return nil
			}
			return fmt.Errorf("want plain, compat or safe (the account's 消息加解密方式), got %q", c.WeChat.Mode)
		}},
	{name: "TONGXIN_WECHAT_API_BASE",
		set:   func(c *Config, v string) error { c.WeChat.APIBase = strings.TrimRight(v, "/"); return nil },
		get:   func(c Config) string { return c.WeChat.APIBase },
		check: func(c Config) error { return checkAPIBase(c.WeChat.APIBase) }},
	{name: "TONGXIN_WECOM_ROBOT_KEY", secret: true,
		set: func(c *Config, v string) error { c.WeCom.RobotKey = v; return nil },
		get: func(c Config) string { return c.WeCom.RobotKey }},
	{name: "TONGXIN_WECOM_API_BASE",
		set:   func(c *Config, v string) error { c.WeCom.APIBase = strings.TrimRight(v, "/"); return nil },
		get:   func(c Config) string { return c.WeCom.APIBase },
		check: func(c Config) error { return checkAPIBase(c.WeCom.APIBase) }},
	{name: "TONGXIN_ADMIN_TOKEN", secret: true,
		set: func(c *Config, v string) error { c.AdminToken = v; return nil },
		get: func(c Config) string { return c.AdminToken },
		check: func(c Config) error {
			// The token opens every record; the message says how long it
			// is, never what it is.
			if n := utf8.RuneCountInString(c.AdminToken); n > 0 && n < MinAdminToken {
				return fmt.Errorf("must be empty (admin API off) or at least %d characters, got %d; generate one with: openssl rand -hex 32", MinAdminToken, n)
			}
			return nil
		}},
	{name: "TONGXIN_RATE_PER_MINUTE",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("want a whole number of messages, got %q", v)
			}
			c.RatePerMinute = n
			return nil
		},
		get: func(c Config) string { return strconv.Itoa(c.RatePerMinute) },
		check: func(c Config) error {
			if c.RatePerMinute < 0 {
				return fmt.Errorf("must be 0 (off) or more, got %d", c.RatePerMinute)
			}
			return nil
		}},
	{name: "TONGXIN_LOG_LEVEL",
		set: func(c *Config, v string) error {
			l, err := parseLevel(v)
			c.LogLevel = l
			return err
		},
		get: func(c Config) string { return strings.ToLower(c.LogLevel.String()) },
		check: func(c Config) error {
			switch c.LogLevel {
			case slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError:
				return nil
			}
			return fmt.Errorf("want debug, info, warn or error, got %v", c.LogLevel)
		}},
	{name: "TONGXIN_LOG_FORMAT",
		set: func(c *Config, v string) error { c.LogFormat = strings.ToLower(v); return nil },
		get: func(c Config) string { return c.LogFormat },
		check: func(c Config) error {
			if c.LogFormat != "text" && c.LogFormat != "json" {
				return fmt.Errorf("want text or json, got %q", c.LogFormat)
			}
			return nil
		}},
	{name: "TONGXIN_OPEN311_API_KEY", secret: true,
		set: func(c *Config, v string) error { c.Open311Key = v; return nil },
		get: func(c Config) string { return c.Open311Key }},
	{name: "TONGXIN_OPEN311_RATE_PER_MINUTE",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("want a whole number of requests, got %q", v)
			}
			c.Open311RatePerMinute = n
			return nil
		},
		get: func(c Config) string { return strconv.Itoa(c.Open311RatePerMinute) },
		check: func(c Config) error {
			if c.Open311RatePerMinute < 0 {
				return fmt.Errorf("must be 0 (off) or more, got %d", c.Open311RatePerMinute)
			}
			return nil
		}},
	{name: "TONGXIN_TRUSTED_PROXIES",
		set: func(c *Config, v string) error {
			ps, err := parsePrefixes(v)
			c.TrustedProxies = ps
			return err
		},
		get: func(c Config) string {
			out := make([]string, len(c.TrustedProxies))
			for i, p := range c.TrustedProxies {
				out[i] = p.String()
			}
			return strings.Join(out, ",")
		}},
	{name: "TONGXIN_HOLIDAYS_FILE",
		set: func(c *Config, v string) error { c.HolidaysFile = v; return nil },
		get: func(c Config) string { return c.HolidaysFile }},
	{name: "TONGXIN_HANDLER_TIMEOUT",
		set:   func(c *Config, v string) error { return parseDuration(&c.HandlerTimeout, v) },
		get:   func(c Config) string { return c.HandlerTimeout.String() },
		check: func(c Config) error { return positive(c.HandlerTimeout) }},
	{name: "TONGXIN_SHUTDOWN_TIMEOUT",
		set:   func(c *Config, v string) error { return parseDuration(&c.ShutdownTimeout, v) },
		get:   func(c Config) string { return c.ShutdownTimeout.String() },
		check: func(c Config) error { return positive(c.ShutdownTimeout) }},
	{name: "TONGXIN_QUIET_HOURS",
		// Only "off" has letters; the consumer may compare it exactly.
		set: func(c *Config, v string) error { c.QuietHours = strings.ToLower(v); return nil },
		get: func(c Config) string { return c.QuietHours }},
	{name: "TONGXIN_NOTIFY_JOB_TIMEOUT",
		set:   func(c *Config, v string) error { return parseDuration(&c.NotifyJobTimeout, v) },
		get:   func(c Config) string { return c.NotifyJobTimeout.String() },
		check: func(c Config) error { return positive(c.NotifyJobTimeout) }},
	{name: "TONGXIN_NOTIFY_RESCUE_AFTER",
		set: func(c *Config, v string) error { return parseDuration(&c.NotifyRescueAfter, v) },
		get: func(c Config) string { return c.NotifyRescueAfter.String() },
		check: func(c Config) error {
			if least := max(c.NotifyJobTimeout, 0) + rescueMargin; c.NotifyRescueAfter < least {
				return fmt.Errorf("must be at least %v, longer than the %v notification job timeout (TONGXIN_NOTIFY_JOB_TIMEOUT), got %v", least, c.NotifyJobTimeout, c.NotifyRescueAfter)
			}
			return nil
		}},
	{name: "TONGXIN_RETENTION_NOTIFICATIONS",
		set:   func(c *Config, v string) error { return parseRetention(&c.RetentionNotifications, v) },
		get:   func(c Config) string { return formatRetention(c.RetentionNotifications) },
		check: func(c Config) error { return positive(c.RetentionNotifications) }},
	{name: "TONGXIN_RETENTION_RECORDS",
		set:   func(c *Config, v string) error { return parseRetention(&c.RetentionRecords, v) },
		get:   func(c Config) string { return formatRetention(c.RetentionRecords) },
		check: func(c Config) error { return positive(c.RetentionRecords) }},
}, slices.Concat(mediaSettings, contactSettings, activitySettings, clinicSettings)...)

// day and year are the units of retention periods; a year is 365 days.
const (
	day  = 24 * time.Hour
	year = 365 * day
)

// parseRetention reads a retention period: whole days ("30d"), whole
// years of 365 days ("3y") or a Go duration ("720h"), since nobody should
// have to work out three years in hours.
func parseRetention(dst *time.Duration, v string) error {
	const want = "want a period such as 30d (days), 3y (years of 365 days) or 720h, got %q"
	unit := time.Duration(0)
	switch {
	case strings.HasSuffix(v, "d"):
		unit = day
	case strings.HasSuffix(v, "y"):
		unit = year
	}
	if unit == 0 {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf(want, v)
		}
		*dst = d
		return nil
	}
	// A hundred years is forever enough, and far from time.Duration's
	// limit of about 292.
	n, err := strconv.Atoi(v[:len(v)-1])
	if err != nil || time.Duration(n) > 100*year/unit {
		return fmt.Errorf(want, v)
	}
	*dst = time.Duration(n) * unit
	return nil
}

// formatRetention shows a period as parseRetention reads it, in years or
// days when it is whole.
func formatRetention(d time.Duration) string {
	switch {
	case d > 0 && d%year == 0:
		return strconv.Itoa(int(d/year)) + "y"
	case d > 0 && d%day == 0:
		return strconv.Itoa(int(d/day)) + "d"
	}
	return d.String()
}

// MinDatabaseConns is the smallest TONGXIN_DATABASE_MAX_CONNS that can
// work: the migrations hold one connection while they use another.
const MinDatabaseConns = 2

// MinAdminToken is the fewest characters TONGXIN_ADMIN_TOKEN may have:
// long enough that it cannot be guessed through the API.
const MinAdminToken = 32

// mixedCredentials reports each WeChat credential left at its development
// value while another is the account's own. The development values are
// public (they are in tongxin's source), so a real AppID with the development
// token would accept messages anyone can sign: development and real
// credentials mix only by mistake. All of either kind passes; an empty
// AES key (an account in plain mode) is neither.
func mixedCredentials(c Config) []error {
	var devs []string
	real := false
	for _, s := range settings {
		if s.dev == "" {
			continue
		}
		switch v := s.get(c); v {
		case s.dev:
			devs = append(devs, s.name)
		case "":
		default:
			real = true
		}
	}
	if !real {
		return nil
	}
	errs := make([]error, len(devs))
	for i, name := range devs {
		hint := "set the account's own value"
		if name == "TONGXIN_WECHAT_AES_KEY" {
			hint = "set the account's EncodingAESKey, or TONGXIN_WECHAT_MODE=plain for an account in plain mode"
		}
		errs[i] = fmt.Errorf("%s: the development value, which is public, mixed with the account's real credentials; %s", name, hint)
	}
	return errs
}

// rescueMargin is how much longer than the job timeout
// TONGXIN_NOTIFY_RESCUE_AFTER must be at least, so a delivery still running
// is not taken up by a second worker.
const rescueMargin = time.Second

func lookupSetting(name string) (setting, bool) {
	for _, s := range settings {
		if s.name == name {
			return s, true
		}
	}
	return setting{}, false
}

func parseLevel(v string) (slog.Level, error) {
	switch strings.ToLower(v) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("want debug, info, warn or error, got %q", v)
}

func parseDuration(dst *time.Duration, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want a duration such as 4s or 1m30s, got %q", v)
	}
	*dst = d
	return nil
}

func devNames() []string {
	var names []string
	for _, s := range settings {
		if s.dev != "" {
			names = append(names, s.name)
		}
	}
	return names
}

// parsePrefixes reads comma-separated IP addresses (a /32 or /128) and
// CIDRs, such as 10.0.0.0/8,127.0.0.1.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("want IP addresses or CIDRs separated by commas, such as 10.0.0.0/8,127.0.0.1; got %q", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port such as :8080, got %q", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("invalid port in %q", addr)
	}
	return nil
}

func checkDatabaseURL(s string) error {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" {
		return fmt.Errorf("want postgres://…, postgresql://… or sqlite://PATH, got %q", redactURL(s))
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		if _, err := url.Parse(s); err != nil {
			return fmt.Errorf("not a URL: %v", stripURLError(err))
		}
	case "sqlite":
		if strings.TrimPrefix(rest, "//") == "" {
			return errors.New("sqlite URL has no path, want sqlite://PATH such as sqlite://data/tongxin.db")
		}
	default:
		return fmt.Errorf("unsupported scheme %q, want postgres, postgresql or sqlite", scheme)
	}
	return nil
}

func checkRedisURL(s string) error {
	if s == "" {
		return nil // the embedded Redis
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL: %v", stripURLError(err))
	case u.Scheme != "redis" && u.Scheme != "rediss":
		return fmt.Errorf("want a redis:// or rediss:// URL (or empty for the embedded Redis), got scheme %q", u.Scheme)
	case u.Host == "":
		return fmt.Errorf("missing host in %s", redactURL(s))
	}
	return nil
}

func checkAPIBase(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %v", stripURLError(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL, got %q", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("want a base URL without query or fragment, got %q", s)
	}
	return nil
}

// checkToken checks the shape the WeChat console accepts for a token:
// anything else can never match the signatures it sends.
func checkToken(t string) error {
	const want = "want 3 to 32 ASCII letters or digits, as the WeChat console requires"
	if len(t) < 3 || len(t) > 32 {
		return errors.New(want)
	}
	for _, r := range t {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return errors.New(want)
		}
	}
	return nil
}

func notEmpty(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func positive(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("must be positive, got %v", d)
	}
	return nil
}

// stripURLError drops the URL itself from a url.Error, since it may hold a
// password.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
