// Package config loads tongxin's configuration: the TONGXIN_* environment
// variables, optionally completed by a TOML file named by TONGXIN_CONFIG_FILE,
// which may also carry tables: the bot texts an operator overrides, the
// template messages of notifications, the request categories.
//
// It only reads values and checks their shape; it does not open
// connections, create directories or supply the bot's built-in texts (those
// live with the bot wiring, so Config.Bot holds only what the operator
// wrote). Nor does it hold the domains' rules on values, such as what a
// valid quiet-hours window or ticket category is: it imports nothing of
// tongxin, so main passes those in as Rules and Validate reports their
// problems with its own.
//
// config.go holds Config, Load and Validate; env.go the TONGXIN_* settings
// table, which media.go's TONGXIN_MEDIA_* settings complete; file.go the
// TOML file; table.go how a table registers; rule.go the domains' rules;
// redact.go what a log shows; and each table has a file of its own
// (bot.go, notify.go, tickets.go).
//
// A new table, say [activities], is one file, activities.go, holding its
// type (fields tagged toml) with the methods of section and the line
//
//	var _ section = (*Activities)(nil)
//
// plus its field in Config, Activities Activities `toml:"activities"`,
// which is its registration: parsing, checks and redaction then include
// it. The domain's rules on its values go to main's list of Rules.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
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
	// PprofAddr, when set, is a loopback address where Go's profiler
	// (net/http/pprof) listens, apart from the service
	// (TONGXIN_PPROF_ADDR; docs/PERFORMANCE.md).
	PprofAddr string
	// PublicURL is the address residents and staff open tongxin's pages
	// at (https://tongxin.example.org), for the links in messages: the
	// console's one-time login link, the resident pages behind template
	// messages. Empty: http:// and the listen address, fine on one machine
	// (TONGXIN_PUBLIC_URL).
	PublicURL string
	// Simulator is "on" or "off" for the resident simulator at /sim; empty
	// means on with development credentials and off with real ones
	// (TONGXIN_SIMULATOR).
	Simulator string
	// DatabaseURL is postgres://…, postgresql://… or sqlite://PATH
	// (TONGXIN_DATABASE_URL).
	DatabaseURL string
	// DatabaseMaxConns is the most database connections this process
	// opens at once; 0 means the engine's default: 20 on PostgreSQL, 4 on
	// SQLite (TONGXIN_DATABASE_MAX_CONNS).
	DatabaseMaxConns int
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
	// NotifyJobTimeout bounds one background job, such as a notification
	// delivery through up to three API calls of 10 s each
	// (TONGXIN_NOTIFY_JOB_TIMEOUT).
	NotifyJobTimeout time.Duration
	// NotifyRescueAfter is how long a notification delivery whose worker
	// died is left before another worker takes it up; it is longer than the
	// job timeout so a delivery still running is never taken up twice
	// (TONGXIN_NOTIFY_RESCUE_AFTER).
	NotifyRescueAfter time.Duration

	// RetentionNotifications is how long the content of a delivered
	// notification (sent, failed or dropped) is kept before it is erased
	// (TONGXIN_RETENTION_NOTIFICATIONS).
	RetentionNotifications time.Duration
	// RetentionRecords is how long a closed record (a closed ticket, the
	// profile of a resident who unfollowed) stays identifiable before it
	// is anonymised (TONGXIN_RETENTION_RECORDS).
	RetentionRecords time.Duration

	// Open311Key is the api_key city platforms post GeoReport v2 requests
	// with; empty refuses every POST (TONGXIN_OPEN311_API_KEY).
	Open311Key string
	// Open311RatePerMinute is how many Open311 requests one client
	// address may make a minute; 0 turns the limit off
	// (TONGXIN_OPEN311_RATE_PER_MINUTE).
	Open311RatePerMinute int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; a request from anywhere else is the client itself, and
	// with none (the default) X-Forwarded-For is never read
	// (TONGXIN_TRUSTED_PROXIES, comma-separated addresses or CIDRs).
	TrustedProxies []netip.Prefix

	// Contact is what residents are given when they need a person, and
	// the words of the emergency path.
	Contact Contact

	// Media is where the copies of tickets' photos and voice messages are
	// kept (TONGXIN_MEDIA_*).
	Media Media

	// Activities tunes event sign-ups: reminders and offers
	// (TONGXIN_ACTIVITY_*).
	Activities Activities

	// DevCredentials lists the TONGXIN_WECHAT_* variables that fell back to
	// development values, so main can warn loudly; empty in production.
	DevCredentials []string
	// File is the TOML file the configuration was completed from, if any.
	File string

	// The tables of the file, which have no environment form. The toml tag
	// names the table and is its registration (see Config.tables); the
	// table's type, in a file of its own, says how it is checked and
	// logged.

	// Bot holds the texts the operator overrides; zero values mean "use the
	// built-in default".
	Bot Bot `toml:"bot"`
	// Tickets holds the request categories the operator overrides.
	Tickets Tickets `toml:"tickets"`
	// Notify holds the template messages by notification kind.
	Notify Notify `toml:"notify"`
	// Clinic tunes the legal clinic (TONGXIN_CLINIC_*) and holds its
	// 法律知识 topics ([clinic]).
	Clinic Clinic `toml:"clinic"`
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
	// Mode is TONGXIN_WECHAT_MODE: "plain", "compat" or "safe", the
	// message mode the account is set to; messages in a weaker one are
	// refused. Empty means safe with an AES key, plain without: use
	// MinMode.
	Mode string
	// APIBase is TONGXIN_WECHAT_API_BASE without a trailing slash, so tests
	// can point every outbound call at a local fake.
	APIBase string
}

// MinMode returns the weakest message mode the webhook accepts: Mode when
// set, else safe when there is an AES key and plain when there is none.
func (w WeChat) MinMode() string {
	switch {
	case w.Mode != "":
		return w.Mode
	case w.AESKey != "":
		return "safe"
	}
	return "plain"
}

// WeCom is the WeCom (企业微信) group robot part of Config.
type WeCom struct {
	// RobotKey is TONGXIN_WECOM_ROBOT_KEY; empty disables staff alerts
	// through the robot.
	RobotKey string
	// APIBase is TONGXIN_WECOM_API_BASE without a trailing slash.
	APIBase string
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
		WeCom:                  WeCom{APIBase: "https://qyapi.weixin.qq.com"},
		RatePerMinute:          20,
		LogLevel:               slog.LevelInfo,
		LogFormat:              "text",
		HandlerTimeout:         4 * time.Second,
		ShutdownTimeout:        15 * time.Second,
		QuietHours:             "22:00-07:00",
		NotifyJobTimeout:       40 * time.Second,
		NotifyRescueAfter:      time.Minute,
		RetentionNotifications: 30 * day,
		RetentionRecords:       3 * year,
		Media:                  Media{Dir: "data/media", S3: MediaS3{Addressing: "auto"}},
		Activities:             Activities{Reminders: []time.Duration{24 * time.Hour, 2 * time.Hour}, Hold: 12 * time.Hour},
		Contact:                Contact{OfficeHours: DefaultOfficeHours},
		Clinic: Clinic{Place: DefaultClinicPlace, Cutoff: DefaultClinicCutoff, MinNotice: DefaultClinicMinNotice,
			Horizon: DefaultClinicHorizon, Reminders: DefaultClinicReminders},
		DevCredentials:       devNames(),
		Open311RatePerMinute: 60,
	}
}

// Load builds the configuration from getenv (os.Getenv when nil) and, when
// TONGXIN_CONFIG_FILE is set, from that TOML file, which alone may hold the
// tables ([bot], [notify], ...); a non-empty environment variable wins over
// the file. The result has passed Validate with rules.
//
// Because getenv cannot tell an empty variable from an unset one, an empty
// variable never overrides the file.
func Load(getenv func(string) string, rules ...Rule) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg := Default()
	cfg.DevCredentials = nil

	var fileValues map[string]string
	if path := strings.TrimSpace(getenv(EnvConfigFile)); path != "" {
		values, err := readFile(path, &cfg)
		if err != nil {
			return Config{}, err
		}
		fileValues, cfg.File = values, path
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
			if s.dev != "" {
				cfg.DevCredentials = append(cfg.DevCredentials, s.name)
			}
			continue
		}
		if err := s.set(&cfg, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", from, err))
		}
	}
	// A plain-mode account may have no EncodingAESKey to give: it gets
	// none rather than the public development one, which would count as
	// a development credential among real ones.
	if cfg.WeChat.Mode == "plain" && slices.Contains(cfg.DevCredentials, "TONGXIN_WECHAT_AES_KEY") {
		cfg.WeChat.AESKey = ""
		cfg.DevCredentials = slices.DeleteFunc(cfg.DevCredentials, func(n string) bool { return n == "TONGXIN_WECHAT_AES_KEY" })
		if len(cfg.DevCredentials) == 0 {
			cfg.DevCredentials = nil // as with no development values at all
		}
	}
	// A value that did not parse keeps its default, so validating anyway
	// still reports every other problem in the same run.
	errs = append(errs, cfg.problems(rules)...)
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// Validate reports every invalid value at once, by config's own checks of
// shape and by the domains' rules, each error naming the variable (or the
// table's key, such as bot.menu[0]) to fix, so an operator needs one
// restart, not ten.
func (c Config) Validate(rules ...Rule) error {
	if err := errors.Join(c.problems(rules)...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

func (c Config) problems(rules []Rule) []error {
	var errs []error
	for _, s := range settings {
		if s.check == nil {
			continue
		}
		if err := s.check(c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	errs = append(errs, mixedCredentials(c)...)
	for _, t := range c.tables() {
		errs = append(errs, prefixed(t.name, t.validate())...)
	}
	return append(errs, checkRules(c, rules)...)
}
