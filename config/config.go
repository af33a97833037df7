// Package config loads tongxin's configuration: the TONGXIN_* environment
// variables, optionally completed by a TOML file named by TONGXIN_CONFIG_FILE,
// which may also carry the bot texts an operator overrides and the template
// messages of notifications.
//
// It only reads and checks values; it does not open connections, create
// directories or supply the bot's built-in texts (those live with the bot
// wiring, so Config.Bot holds only what the operator wrote).
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The development credentials below are used when the operator sets none, so
// that `tongxin serve` works on a fresh machine. They must never reach
// production, which is why Load lists them in Config.DevCredentials.
const (
	// DevWeChatAppID is the AppID used when TONGXIN_WECHAT_APPID is unset.
	DevWeChatAppID = "wx00000000tongxin"
	// DevWeChatSecret is the AppSecret used when TONGXIN_WECHAT_SECRET is
	// unset.
	DevWeChatSecret = "tongxin-development-secret"
	// DevWeChatToken is the token used when TONGXIN_WECHAT_TOKEN is unset.
	DevWeChatToken = "tongxindev"
	// DevWeChatAESKey is the EncodingAESKey used when TONGXIN_WECHAT_AES_KEY
	// is unset: the sample key of WeChat's documentation, valid in shape and
	// known to everyone.
	DevWeChatAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// EnvConfigFile names the variable that points at the optional TOML file.
const EnvConfigFile = "TONGXIN_CONFIG_FILE"

// Config is the effective configuration of one tongxin process.
type Config struct {
	// HTTPAddr is the listen address (TONGXIN_HTTP_ADDR).
	HTTPAddr string
	// DatabaseURL is postgres://…, postgresql://… or sqlite://PATH
	// (TONGXIN_DATABASE_URL).
	DatabaseURL string
	// RedisURL is redis://… or rediss://…; empty means an embedded
	// in-process Redis (TONGXIN_REDIS_URL).
	RedisURL string
	// WeChat holds the official-account credentials and API base.
	WeChat WeChat
	// WeCom holds the staff group robot settings.
	WeCom WeCom
	// AdminToken is the admin API's bearer token; empty means the admin API
	// refuses every request (TONGXIN_ADMIN_TOKEN).
	AdminToken string
	// RatePerMinute is how many messages one resident may send a minute
	// before being asked to slow down; 0 turns the limit off
	// (TONGXIN_RATE_PER_MINUTE).
	RatePerMinute int
	// LogLevel is the minimum level logged (TONGXIN_LOG_LEVEL).
	LogLevel slog.Level
	// LogFormat is "text" or "json" (TONGXIN_LOG_FORMAT).
	LogFormat string
	// HandlerTimeout is how long the bot may work on a message before the
	// webhook answers "success" and sends the reply later; it must stay
	// below WeChat's 5 s to be useful (TONGXIN_HANDLER_TIMEOUT).
	HandlerTimeout time.Duration
	// ShutdownTimeout bounds the drain of in-flight work on SIGTERM
	// (TONGXIN_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// HolidaysFile is the public holiday and 调休 file deadlines count
	// working hours with; empty means the built-in 2026 calendar
	// (TONGXIN_HOLIDAYS_FILE).
	HolidaysFile string
	// QuietHours is "off" or the nightly window "HH:MM-HH:MM" (Asia/Shanghai
	// time, 24-hour; a start after the end spans midnight) in which
	// non-urgent resident notifications wait (TONGXIN_QUIET_HOURS).
	QuietHours string
	// NotifyRescueAfter is how long a notification delivery whose worker
	// died is left before another worker takes it up; it is longer than the
	// 40 s job timeout so a delivery still running is never taken up twice
	// (TONGXIN_NOTIFY_RESCUE_AFTER).
	NotifyRescueAfter time.Duration

	// DevCredentials lists the TONGXIN_WECHAT_* variables that fell back to
	// development values, so main can warn loudly; empty in production.
	DevCredentials []string
	// File is the TOML file the configuration was completed from, if any.
	File string
	// Bot holds the texts the operator overrides; zero values mean "use the
	// built-in default".
	Bot Bot
	// Open311Key is the api_key city platforms post GeoReport v2 requests
	// with; empty refuses every POST (TONGXIN_OPEN311_API_KEY).
	Open311Key string
	// Tickets holds the request categories the operator overrides.
	Tickets Tickets
	// Notify is the [notify] table of the file: the template messages by
	// notification kind. It has no environment form.
	Notify Notify
}

// WeChat is the official-account part of Config.
type WeChat struct {
	// AppID is TONGXIN_WECHAT_APPID.
	AppID string
	// Secret is TONGXIN_WECHAT_SECRET, used to fetch access tokens.
	Secret string
	// Token is TONGXIN_WECHAT_TOKEN, used to sign webhook requests.
	Token string
	// AESKey is TONGXIN_WECHAT_AES_KEY, the 43-character EncodingAESKey of
	// the compatible and safe modes.
	AESKey string
	// APIBase is TONGXIN_WECHAT_API_BASE without a trailing slash, so tests
	// can point every outbound call at a local fake.
	APIBase string
}

// WeCom is the WeCom (企业微信) group robot part of Config.
type WeCom struct {
	// RobotKey is TONGXIN_WECOM_ROBOT_KEY; empty disables staff alerts
	// through the robot.
	RobotKey string
	// APIBase is TONGXIN_WECOM_API_BASE without a trailing slash.
	APIBase string
}

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

// setting describes one TONGXIN_* variable: how it is stored in Config and
// how it is shown in logs. One table keeps Load, the file check and Redacted
// from drifting apart.
type setting struct {
	name   string
	set    func(*Config, string) error
	get    func(Config) string
	secret bool
	// dev marks the credentials that fall back to development values.
	dev bool
}

var settings = []setting{
	{name: "TONGXIN_HTTP_ADDR",
		set: func(c *Config, v string) error { c.HTTPAddr = v; return nil },
		get: func(c Config) string { return c.HTTPAddr }},
	{name: "TONGXIN_DATABASE_URL",
		set: func(c *Config, v string) error { c.DatabaseURL = v; return nil },
		get: func(c Config) string { return redactURL(c.DatabaseURL) }},
	{name: "TONGXIN_REDIS_URL",
		set: func(c *Config, v string) error { c.RedisURL = v; return nil },
		get: func(c Config) string { return redactURL(c.RedisURL) }},
	{name: "TONGXIN_WECHAT_APPID", dev: true,
		set: func(c *Config, v string) error { c.WeChat.AppID = v; return nil },
		get: func(c Config) string { return c.WeChat.AppID }},
	{name: "TONGXIN_WECHAT_SECRET", dev: true, secret: true,
		set: func(c *Config, v string) error { c.WeChat.Secret = v; return nil },
		get: func(c Config) string { return c.WeChat.Secret }},
	{name: "TONGXIN_WECHAT_TOKEN", dev: true, secret: true,
		set: func(c *Config, v string) error { c.WeChat.Token = v; return nil },
		get: func(c Config) string { return c.WeChat.Token }},
	{name: "TONGXIN_WECHAT_AES_KEY", dev: true, secret: true,
		set: func(c *Config, v string) error { c.WeChat.AESKey = v; return nil },
		get: func(c Config) string { return c.WeChat.AESKey }},
	{name: "TONGXIN_WECHAT_API_BASE",
		set: func(c *Config, v string) error { c.WeChat.APIBase = strings.TrimRight(v, "/"); return nil },
		get: func(c Config) string { return c.WeChat.APIBase }},
	{name: "TONGXIN_WECOM_ROBOT_KEY", secret: true,
		set: func(c *Config, v string) error { c.WeCom.RobotKey = v; return nil },
		get: func(c Config) string { return c.WeCom.RobotKey }},
	{name: "TONGXIN_WECOM_API_BASE",
		set: func(c *Config, v string) error { c.WeCom.APIBase = strings.TrimRight(v, "/"); return nil },
		get: func(c Config) string { return c.WeCom.APIBase }},
	{name: "TONGXIN_ADMIN_TOKEN", secret: true,
		set: func(c *Config, v string) error { c.AdminToken = v; return nil },
		get: func(c Config) string { return c.AdminToken }},
	{name: "TONGXIN_RATE_PER_MINUTE",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("want a whole number of messages, got %q", v)
			}
			c.RatePerMinute = n
			return nil
		},
		get: func(c Config) string { return strconv.Itoa(c.RatePerMinute) }},
	{name: "TONGXIN_LOG_LEVEL",
		set: func(c *Config, v string) error {
			l, err := parseLevel(v)
			c.LogLevel = l
			return err
		},
		get: func(c Config) string { return strings.ToLower(c.LogLevel.String()) }},
	{name: "TONGXIN_LOG_FORMAT",
		set: func(c *Config, v string) error { c.LogFormat = strings.ToLower(v); return nil },
		get: func(c Config) string { return c.LogFormat }},
	{name: "TONGXIN_OPEN311_API_KEY", secret: true,
		set: func(c *Config, v string) error { c.Open311Key = v; return nil },
		get: func(c Config) string { return c.Open311Key }},
	{name: "TONGXIN_HOLIDAYS_FILE",
		set: func(c *Config, v string) error { c.HolidaysFile = v; return nil },
		get: func(c Config) string { return c.HolidaysFile }},
	{name: "TONGXIN_HANDLER_TIMEOUT",
		set: func(c *Config, v string) error { return parseDuration(&c.HandlerTimeout, v) },
		get: func(c Config) string { return c.HandlerTimeout.String() }},
	{name: "TONGXIN_SHUTDOWN_TIMEOUT",
		set: func(c *Config, v string) error { return parseDuration(&c.ShutdownTimeout, v) },
		get: func(c Config) string { return c.ShutdownTimeout.String() }},
	{name: "TONGXIN_QUIET_HOURS",
		// Only "off" has letters; the consumer may compare it exactly.
		set: func(c *Config, v string) error { c.QuietHours = strings.ToLower(v); return nil },
		get: func(c Config) string { return c.QuietHours }},
	{name: "TONGXIN_NOTIFY_RESCUE_AFTER",
		set: func(c *Config, v string) error { return parseDuration(&c.NotifyRescueAfter, v) },
		get: func(c Config) string { return c.NotifyRescueAfter.String() }},
}

// minRescueAfter is the shortest TONGXIN_NOTIFY_RESCUE_AFTER: just over the
// notification job timeout of 40 s, so a delivery still running is not
// taken up by a second worker.
const minRescueAfter = 41 * time.Second

// parseQuietHours checks TONGXIN_QUIET_HOURS: "off", or "HH:MM-HH:MM" with
// two-digit 24-hour times, start and end apart.
func parseQuietHours(s string) error {
	if s == "off" {
		return nil
	}
	start, end, ok := strings.Cut(s, "-")
	if !ok {
		return fmt.Errorf("want off or HH:MM-HH:MM such as 22:00-07:00, got %q", s)
	}
	a, okA := clockMinutes(start)
	b, okB := clockMinutes(end)
	if !okA || !okB {
		return fmt.Errorf("want off or HH:MM-HH:MM such as 22:00-07:00 (24-hour, 00:00 to 23:59), got %q", s)
	}
	if a == b {
		return fmt.Errorf("start and end are both %s, which leaves no window; use off for no quiet hours", start)
	}
	return nil
}

// clockMinutes reads a 24-hour "HH:MM" as minutes since midnight.
func clockMinutes(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for i, r := range s {
		if i != 2 && (r < '0' || r > '9') {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

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

// Default returns the configuration of an empty environment: the documented
// defaults and the development WeChat credentials.
func Default() Config {
	return Config{
		HTTPAddr:    ":8080",
		DatabaseURL: "sqlite://data/tongxin.db",
		WeChat: WeChat{
			AppID:   DevWeChatAppID,
			Secret:  DevWeChatSecret,
			Token:   DevWeChatToken,
			AESKey:  DevWeChatAESKey,
			APIBase: "https://api.weixin.qq.com",
		},
		WeCom:             WeCom{APIBase: "https://qyapi.weixin.qq.com"},
		RatePerMinute:     20,
		LogLevel:          slog.LevelInfo,
		LogFormat:         "text",
		HandlerTimeout:    4 * time.Second,
		ShutdownTimeout:   15 * time.Second,
		QuietHours:        "22:00-07:00",
		NotifyRescueAfter: time.Minute,
		DevCredentials:    devNames(),
	}
}

func devNames() []string {
	var names []string
	for _, s := range settings {
		if s.dev {
			names = append(names, s.name)
		}
	}
	return names
}

// Load builds the configuration from getenv (os.Getenv when nil) and, when
// TONGXIN_CONFIG_FILE is set, from that TOML file, which alone may hold the
// [bot] and [notify] tables; a non-empty environment variable wins over the
// file. The result has passed Validate.
//
// Because getenv cannot tell an empty variable from an unset one, an empty
// variable never overrides the file.
func Load(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg := Default()
	cfg.DevCredentials = nil

	var fileValues map[string]string
	if path := strings.TrimSpace(getenv(EnvConfigFile)); path != "" {
		f, err := readFile(path)
		if err != nil {
			return Config{}, err
		}
		fileValues, cfg.File, cfg.Bot, cfg.Notify, cfg.Tickets = f.values, path, f.bot, f.notify, f.tickets
	}

	var errs []error
	for _, s := range settings {
		v := strings.TrimSpace(getenv(s.name))
		from := s.name
		if v == "" {
			v = fileValues[s.name]
			from = s.name + " (from " + cfg.File + ")"
		}
		if v == "" {
			if s.dev {
				cfg.DevCredentials = append(cfg.DevCredentials, s.name)
			}
			continue
		}
		if err := s.set(&cfg, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", from, err))
		}
	}
	// A value that did not parse keeps its default, so validating anyway
	// still reports every other problem in the same run.
	errs = append(errs, cfg.problems()...)
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// Validate reports every invalid value at once, each error naming the
// variable (or bot.* or notify.* key) to fix, so an operator needs one restart, not ten.
func (c Config) Validate() error {
	if err := errors.Join(c.problems()...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

func (c Config) problems() []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}

	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("TONGXIN_HTTP_ADDR", "want host:port such as :8080, got %q", c.HTTPAddr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("TONGXIN_HTTP_ADDR", "invalid port in %q", c.HTTPAddr)
	}

	if err := checkDatabaseURL(c.DatabaseURL); err != nil {
		bad("TONGXIN_DATABASE_URL", "%v", err)
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		switch {
		case err != nil:
			bad("TONGXIN_REDIS_URL", "not a URL: %v", stripURLError(err))
		case u.Scheme != "redis" && u.Scheme != "rediss":
			bad("TONGXIN_REDIS_URL", "want a redis:// or rediss:// URL (or empty for the embedded Redis), got scheme %q", u.Scheme)
		case u.Host == "":
			bad("TONGXIN_REDIS_URL", "missing host in %s", redactURL(c.RedisURL))
		}
	}

	if c.WeChat.AppID == "" {
		bad("TONGXIN_WECHAT_APPID", "must not be empty")
	}
	if c.WeChat.Secret == "" {
		bad("TONGXIN_WECHAT_SECRET", "must not be empty")
	}
	if !validToken(c.WeChat.Token) {
		// The WeChat console accepts only this shape, so anything else can
		// never match the signatures it sends.
		bad("TONGXIN_WECHAT_TOKEN", "want 3 to 32 ASCII letters or digits, as the WeChat console requires")
	}
	if err := checkAESKey(c.WeChat.AESKey); err != nil {
		bad("TONGXIN_WECHAT_AES_KEY", "%v", err)
	}
	if err := checkAPIBase(c.WeChat.APIBase); err != nil {
		bad("TONGXIN_WECHAT_API_BASE", "%v", err)
	}
	if err := checkAPIBase(c.WeCom.APIBase); err != nil {
		bad("TONGXIN_WECOM_API_BASE", "%v", err)
	}

	if c.RatePerMinute < 0 {
		bad("TONGXIN_RATE_PER_MINUTE", "must be 0 (off) or more, got %d", c.RatePerMinute)
	}
	switch c.LogLevel {
	case slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError:
	default:
		bad("TONGXIN_LOG_LEVEL", "want debug, info, warn or error, got %v", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("TONGXIN_LOG_FORMAT", "want text or json, got %q", c.LogFormat)
	}
	if c.HandlerTimeout <= 0 {
		bad("TONGXIN_HANDLER_TIMEOUT", "must be positive, got %v", c.HandlerTimeout)
	}
	if c.ShutdownTimeout <= 0 {
		bad("TONGXIN_SHUTDOWN_TIMEOUT", "must be positive, got %v", c.ShutdownTimeout)
	}

	if err := parseQuietHours(c.QuietHours); err != nil {
		bad("TONGXIN_QUIET_HOURS", "%v", err)
	}
	if c.NotifyRescueAfter < minRescueAfter {
		bad("TONGXIN_NOTIFY_RESCUE_AFTER", "must be at least %v, longer than the 40s notification job timeout, got %v", minRescueAfter, c.NotifyRescueAfter)
	}

	errs = append(errs, c.Bot.validate()...)
	errs = append(errs, c.Notify.validate()...)
	return append(errs, c.Tickets.validate()...)
}

// Tickets is the [tickets] table of the configuration file.
type Tickets struct {
	// Categories replace the built-in request categories when set, in
	// the order residents see them.
	Categories []Category `toml:"categories"`
}

// Category is one [[tickets.categories]] entry: a kind of request, its
// deadlines in working hours, the role that handles it and whether its
// requests are about a person.
type Category struct {
	Key           string  `toml:"key"`
	Name          string  `toml:"name"`
	Role          string  `toml:"role"`
	ResponseHours float64 `toml:"response_hours"`
	ResolveHours  float64 `toml:"resolve_hours"`
	// Private keeps the requests' description, coordinates and unit out of
	// what is published (Open311). A category with the key or name of a
	// built-in private one is private without it.
	Private bool `toml:"private"`
}

// categoryRoles are the roles a category may route to.
var categoryRoles = map[string]bool{
	"grid_worker": true, "building_head": true, "unit_head": true, "supervisor": true,
	"duty": true, "mediator": true, "employment": true, "admin": true,
}

var categoryKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

func (t Tickets) validate() []error {
	var errs []error
	seen := map[string]bool{}
	for i, c := range t.Categories {
		at := fmt.Sprintf("tickets.categories[%d]", i)
		switch {
		case !categoryKey.MatchString(c.Key):
			errs = append(errs, fmt.Errorf("%s.key: want lower-case letters, digits and _, got %q", at, c.Key))
		case seen[c.Key]:
			errs = append(errs, fmt.Errorf("%s.key: %q appears twice", at, c.Key))
		}
		seen[c.Key] = true
		if strings.TrimSpace(c.Name) == "" {
			errs = append(errs, fmt.Errorf("%s.name: required", at))
		}
		if !categoryRoles[c.Role] {
			errs = append(errs, fmt.Errorf("%s.role: want one of grid_worker, supervisor, duty, mediator, employment, building_head, unit_head, admin, got %q", at, c.Role))
		}
		if c.ResponseHours <= 0 || c.ResolveHours < c.ResponseHours {
			errs = append(errs, fmt.Errorf("%s: response_hours must be positive and resolve_hours at least as long", at))
		}
	}
	return errs
}

func (n Notify) validate() []error {
	var errs []error
	for _, kind := range slices.Sorted(maps.Keys(n.Templates)) {
		t := n.Templates[kind]
		if !validName(kind) {
			errs = append(errs, fmt.Errorf("notify.templates: kind %q must be letters, digits and _, such as ticket_accepted", kind))
			continue
		}
		name := "notify.templates." + kind
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

func checkAESKey(k string) error {
	if len(k) != 43 {
		return fmt.Errorf("want the 43-character EncodingAESKey, got %d characters", len(k))
	}
	// WeChat drops the single "=" of the base64 encoding of a 32-byte key.
	b, err := base64.StdEncoding.DecodeString(k + "=")
	if err != nil || len(b) != 32 {
		return errors.New("not a valid EncodingAESKey (43 characters of base64 encoding 32 bytes)")
	}
	return nil
}

func validToken(t string) bool {
	if len(t) < 3 || len(t) > 32 {
		return false
	}
	for _, r := range t {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
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
// masked and passwords removed from URLs, for logging at start-up.
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
	if c.Bot.Welcome != "" || c.Bot.Help != "" || c.Bot.Fallback != "" {
		var set []string
		for _, t := range []struct{ name, v string }{{"welcome", c.Bot.Welcome}, {"help", c.Bot.Help}, {"fallback", c.Bot.Fallback}} {
			if t.v != "" {
				set = append(set, t.name)
			}
		}
		m["bot.texts"] = strings.Join(set, ",")
	}
	if len(c.Bot.Menu) > 0 {
		keys := make([]string, len(c.Bot.Menu))
		for i, mi := range c.Bot.Menu {
			keys[i] = mi.Key
		}
		m["bot.menu"] = strings.Join(keys, ",")
	}
	if len(c.Bot.Replies) > 0 {
		m["bot.replies"] = strconv.Itoa(len(c.Bot.Replies))
	}
	if len(c.Notify.Templates) > 0 {
		m["notify.templates"] = strings.Join(slices.Sorted(maps.Keys(c.Notify.Templates)), ",")
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
