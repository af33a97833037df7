package config_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/config"
)

// env turns a map into a getenv function, so no test reads the real
// environment.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeFile writes a TOML file into a fresh directory and returns its path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tongxin.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	validAESKey = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	adminToken  = "admin-0123456789abcdef0123456789abcdef"
	allDev      = "TONGXIN_WECHAT_APPID TONGXIN_WECHAT_SECRET TONGXIN_WECHAT_TOKEN TONGXIN_WECHAT_AES_KEY"
)

func TestLoadDefaults(t *testing.T) {
	got, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load(empty environment): %v", err)
	}
	want := config.Config{
		HTTPAddr:    ":8080",
		DatabaseURL: "sqlite://data/tongxin.db",
		RedisURL:    "",
		WeChat: config.WeChat{
			AppID:   config.DevWeChatAppID,
			Secret:  config.DevWeChatSecret,
			Token:   config.DevWeChatToken,
			AESKey:  config.DevWeChatAESKey,
			APIBase: "https://api.weixin.qq.com",
		},
		WeCom:                  config.WeCom{APIBase: "https://qyapi.weixin.qq.com"},
		RatePerMinute:          20,
		LogLevel:               slog.LevelInfo,
		LogFormat:              "text",
		HandlerTimeout:         4 * time.Second,
		ShutdownTimeout:        15 * time.Second,
		QuietHours:             "22:00-07:00",
		NotifyJobTimeout:       40 * time.Second,
		NotifyRescueAfter:      time.Minute,
		RetentionNotifications: 30 * 24 * time.Hour,
		RetentionRecords:       3 * 365 * 24 * time.Hour,
		Media:                  defaultMedia,
		Activities:             config.Activities{Reminders: []time.Duration{24 * time.Hour, 2 * time.Hour}, Hold: 12 * time.Hour},
		Contact:                config.Contact{OfficeHours: config.DefaultOfficeHours},
		Clinic: config.Clinic{Place: "社区服务中心法律诊所", Cutoff: 2 * time.Hour, MinNotice: time.Hour, Horizon: 14 * 24 * time.Hour,
			Reminders: []time.Duration{24 * time.Hour, time.Hour}},
		DevCredentials:       strings.Fields(allDev),
		Open311RatePerMinute: 60,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load(empty) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(config.Default(), got); diff != "" {
		t.Errorf("Default() differs from Load(empty) (-Default +Load):\n%s", diff)
	}
	if err := config.Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	if len(config.DevWeChatAESKey) != 43 {
		t.Errorf("DevWeChatAESKey has %d characters, want 43", len(config.DevWeChatAESKey))
	}
}

func TestLoadEnvironment(t *testing.T) {
	got, err := config.Load(env(map[string]string{
		"TONGXIN_HTTP_ADDR":               "127.0.0.1:9000",
		"TONGXIN_DATABASE_URL":            "postgres://tongxin@db:5432/tongxin?sslmode=disable",
		"TONGXIN_REDIS_URL":               "redis://cache:6379/1",
		"TONGXIN_WECHAT_APPID":            "wx1234567890abcdef",
		"TONGXIN_WECHAT_SECRET":           "s3cr3t",
		"TONGXIN_WECHAT_TOKEN":            "jianlin2024",
		"TONGXIN_WECHAT_AES_KEY":          validAESKey,
		"TONGXIN_WECHAT_API_BASE":         "http://127.0.0.1:4000/",
		"TONGXIN_WECOM_ROBOT_KEY":         "robot-key",
		"TONGXIN_WECOM_API_BASE":          "http://127.0.0.1:4001",
		"TONGXIN_ADMIN_TOKEN":             adminToken,
		"TONGXIN_RATE_PER_MINUTE":         "0",
		"TONGXIN_LOG_LEVEL":               "DEBUG",
		"TONGXIN_LOG_FORMAT":              "json",
		"TONGXIN_HANDLER_TIMEOUT":         "3500ms",
		"TONGXIN_SHUTDOWN_TIMEOUT":        " 1m ",
		"TONGXIN_QUIET_HOURS":             "OFF",
		"TONGXIN_NOTIFY_JOB_TIMEOUT":      "30s",
		"TONGXIN_NOTIFY_RESCUE_AFTER":     "90s",
		"TONGXIN_RETENTION_NOTIFICATIONS": "14d",
		"TONGXIN_RETENTION_RECORDS":       "2y",
		"TONGXIN_OPEN311_RATE_PER_MINUTE": "0",
		"TONGXIN_TRUSTED_PROXIES":         " 10.0.0.0/8, 127.0.0.1,::1 ,192.168.1.7/24",
		"TONGXIN_COMMUNITY_PHONE":         "0937-6220000",
		"TONGXIN_OFFICE_HOURS":            "08:30-12:00,14:30-18:00",
		"TONGXIN_PROPERTY_NAME":           "建林物业",
		"TONGXIN_PROPERTY_PHONE":          "0937-6221111",
		"TONGXIN_PROPERTY_HOTLINE":        "0937-6888888",
		"TONGXIN_URGENT_WORDS":            "water:跑水",
		"TONGXIN_URGENT_IGNORE":           "演讲",
		"TONGXIN_ACTIVITY_REMINDERS":      "2h, 48h,30m",
		"TONGXIN_ACTIVITY_HOLD":           "6h",
		"TONGXIN_CLINIC_PLACE":            "建林社区二楼法律诊所",
		"TONGXIN_CLINIC_CUTOFF":           "3h",
		"TONGXIN_CLINIC_MIN_NOTICE":       "30m",
		"TONGXIN_CLINIC_HORIZON":          "168h",
		"TONGXIN_CLINIC_REMINDERS":        "off",
		"TONGXIN_CLINIC_TOKEN":            clinicToken,
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := config.Config{
		HTTPAddr:    "127.0.0.1:9000",
		DatabaseURL: "postgres://tongxin@db:5432/tongxin?sslmode=disable",
		RedisURL:    "redis://cache:6379/1",
		WeChat: config.WeChat{
			AppID:   "wx1234567890abcdef",
			Secret:  "s3cr3t",
			Token:   "jianlin2024",
			AESKey:  validAESKey,
			APIBase: "http://127.0.0.1:4000",
		},
		WeCom:                  config.WeCom{RobotKey: "robot-key", APIBase: "http://127.0.0.1:4001"},
		AdminToken:             adminToken,
		RatePerMinute:          0,
		LogLevel:               slog.LevelDebug,
		LogFormat:              "json",
		HandlerTimeout:         3500 * time.Millisecond,
		ShutdownTimeout:        time.Minute,
		QuietHours:             "off",
		NotifyJobTimeout:       30 * time.Second,
		NotifyRescueAfter:      90 * time.Second,
		RetentionNotifications: 14 * 24 * time.Hour,
		RetentionRecords:       2 * 365 * 24 * time.Hour,
		Media:                  defaultMedia,
		Activities:             config.Activities{Reminders: []time.Duration{48 * time.Hour, 2 * time.Hour, 30 * time.Minute}, Hold: 6 * time.Hour},
		Contact: config.Contact{CommunityPhone: "0937-6220000", OfficeHours: "08:30-12:00,14:30-18:00",
			PropertyName: "建林物业", PropertyPhone: "0937-6221111", PropertyHotline: "0937-6888888",
			UrgentWords: "water:跑水", UrgentIgnore: "演讲"},
		Clinic: config.Clinic{Place: "建林社区二楼法律诊所", Cutoff: 3 * time.Hour, MinNotice: 30 * time.Minute, Horizon: 7 * 24 * time.Hour,
			Reminders: []time.Duration{}, Token: clinicToken},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"),
			netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.168.1.0/24")},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadEnvironmentWinsOverFile(t *testing.T) {
	path := writeFile(t, `
TONGXIN_HTTP_ADDR = ":9090"
TONGXIN_RATE_PER_MINUTE = 5
TONGXIN_LOG_LEVEL = "warn"
TONGXIN_WECHAT_APPID = "wxfile"
TONGXIN_WECHAT_SECRET = "filesecret"
TONGXIN_WECHAT_TOKEN = "fromfile"
TONGXIN_WECHAT_AES_KEY = "`+validAESKey+`"
`)
	got, err := config.Load(env(map[string]string{
		"TONGXIN_CONFIG_FILE":  path,
		"TONGXIN_HTTP_ADDR":    ":7070",
		"TONGXIN_WECHAT_TOKEN": "fromenv",
		"TONGXIN_LOG_LEVEL":    "", // empty never overrides the file
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.HTTPAddr != ":7070" {
		t.Errorf("HTTPAddr = %q, want the environment's :7070", got.HTTPAddr)
	}
	if got.WeChat.Token != "fromenv" {
		t.Errorf("WeChat.Token = %q, want the environment's fromenv", got.WeChat.Token)
	}
	if got.RatePerMinute != 5 {
		t.Errorf("RatePerMinute = %d, want the file's 5", got.RatePerMinute)
	}
	if got.LogLevel != slog.LevelWarn {
		t.Errorf("LogLevel = %v, want the file's warn", got.LogLevel)
	}
	if got.File != path {
		t.Errorf("File = %q, want %q", got.File, path)
	}
	if got.WeChat.AppID != "wxfile" || got.DevCredentials != nil {
		t.Errorf("AppID %q, DevCredentials %v; want the file's AppID and no development values", got.WeChat.AppID, got.DevCredentials)
	}
}

func TestLoadFileOnly(t *testing.T) {
	path := writeFile(t, `
TONGXIN_HTTP_ADDR = ":9090"
TONGXIN_DATABASE_URL = "postgresql://u:p@db/tongxin"
TONGXIN_REDIS_URL = "rediss://:pw@cache:6380/2"
TONGXIN_WECHAT_APPID = "wxfile"
TONGXIN_WECHAT_SECRET = "filesecret"
TONGXIN_WECHAT_TOKEN = "filetoken"
TONGXIN_WECHAT_AES_KEY = "`+validAESKey+`"
TONGXIN_WECHAT_API_BASE = "https://wechat.example"
TONGXIN_WECOM_ROBOT_KEY = "filerobot"
TONGXIN_WECOM_API_BASE = "https://wecom.example/"
TONGXIN_ADMIN_TOKEN = "fileadmin-0123456789abcdef0123456789"
TONGXIN_RATE_PER_MINUTE = "30"
TONGXIN_LOG_LEVEL = "error"
TONGXIN_LOG_FORMAT = "json"
TONGXIN_HANDLER_TIMEOUT = "2s"
TONGXIN_SHUTDOWN_TIMEOUT = "30s"
TONGXIN_QUIET_HOURS = "12:30-14:00"
TONGXIN_NOTIFY_RESCUE_AFTER = "41s"
TONGXIN_RETENTION_NOTIFICATIONS = "7d"
TONGXIN_RETENTION_RECORDS = "5y"

[bot]
welcome = "欢迎关注"
help = "帮助文本"
fallback = "没听懂"

[[bot.menu]]
key = "REPORT"
label = "诉求报修"
keywords = ["报修", "诉求"]

[[bot.menu]]
key = "MY"
label = "我的"

[bot.replies]
"物业电话" = "0937-0000000"
wifi = "没有公共 Wi-Fi"

[notify.templates.ticket_accepted]
id = "tplAccepted-0_x"
url = "https://jianlin.example.org/my/tickets?tab=open#top"
fields = { thing1 = "title", character_string2 = "number", time3 = "time" }

[notify.templates.event_reminder]
id = "tplReminder"
`)
	got, err := config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": path}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := config.Config{
		HTTPAddr:    ":9090",
		DatabaseURL: "postgresql://u:p@db/tongxin",
		RedisURL:    "rediss://:pw@cache:6380/2",
		WeChat: config.WeChat{
			AppID:   "wxfile",
			Secret:  "filesecret",
			Token:   "filetoken",
			AESKey:  validAESKey,
			APIBase: "https://wechat.example",
		},
		WeCom:                  config.WeCom{RobotKey: "filerobot", APIBase: "https://wecom.example"},
		AdminToken:             "fileadmin-0123456789abcdef0123456789",
		RatePerMinute:          30,
		LogLevel:               slog.LevelError,
		LogFormat:              "json",
		HandlerTimeout:         2 * time.Second,
		ShutdownTimeout:        30 * time.Second,
		QuietHours:             "12:30-14:00",
		NotifyJobTimeout:       40 * time.Second,
		NotifyRescueAfter:      41 * time.Second,
		RetentionNotifications: 7 * 24 * time.Hour,
		RetentionRecords:       5 * 365 * 24 * time.Hour,
		Media:                  defaultMedia,
		Activities:             config.Default().Activities,
		Clinic:                 config.Default().Clinic,
		Contact:                config.Contact{OfficeHours: config.DefaultOfficeHours},
		File:                   path,
		Open311RatePerMinute:   60,
		Bot: config.Bot{
			Welcome:  "欢迎关注",
			Help:     "帮助文本",
			Fallback: "没听懂",
			Menu: []config.MenuItem{
				{Key: "REPORT", Label: "诉求报修", Keywords: []string{"报修", "诉求"}},
				{Key: "MY", Label: "我的"},
			},
			Replies: map[string]string{"物业电话": "0937-0000000", "wifi": "没有公共 Wi-Fi"},
		},
		Notify: config.Notify{Templates: map[string]config.Template{
			"ticket_accepted": {
				ID:     "tplAccepted-0_x",
				URL:    "https://jianlin.example.org/my/tickets?tab=open#top",
				Fields: map[string]string{"thing1": "title", "character_string2": "number", "time3": "time"},
			},
			"event_reminder": {ID: "tplReminder"},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadBotUnsetStaysEmpty(t *testing.T) {
	path := writeFile(t, "[bot]\nhelp = \"只改帮助\"\n")
	got, err := config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": path}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	// The built-in texts live with the bot wiring, so Config must not fill
	// in anything the operator did not write.
	if diff := cmp.Diff(config.Bot{Help: "只改帮助"}, got.Bot); diff != "" {
		t.Errorf("Bot mismatch (-want +got):\n%s", diff)
	}
}

func TestExampleFile(t *testing.T) {
	const path = "tongxin.example.toml"
	got, err := config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": path}))
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if len(got.Bot.Menu) == 0 || len(got.Bot.Replies) == 0 || got.Bot.Welcome == "" {
		t.Errorf("example [bot] table not loaded: %+v", got.Bot)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name := range config.Default().Redacted() {
		if strings.HasPrefix(name, "TONGXIN_") && name != "TONGXIN_CONFIG_FILE" && !bytes.Contains(text, []byte(name+" =")) {
			t.Errorf("%s does not document %s", path, name)
		}
	}
	for _, key := range []string{"welcome =", "help =", "fallback =", "[[bot.menu]]", "key =", "label =", "keywords =", "[bot.replies]", "[bot.contains]", "url =", "# [bot.words]",
		"# [notify.templates.", "# id =", "# url =", "# fields ="} {
		if !bytes.Contains(text, []byte(key)) {
			t.Errorf("%s does not document %q", path, key)
		}
	}
	if len(got.Notify.Templates) != 0 {
		t.Errorf("example [notify] should stay commented out, got %+v", got.Notify)
	}

	// The commented [notify] example, the end of the file, must load once
	// uncommented.
	i := bytes.Index(text, []byte("\n# [notify.templates."))
	if i < 0 {
		t.Fatalf("%s has no commented [notify.templates.KIND] example", path)
	}
	uncommented := append([]byte(nil), text[:i+1]...)
	for _, line := range strings.Split(string(text[i+1:]), "\n") {
		line, ok := strings.CutPrefix(line, "#")
		if !ok && strings.TrimSpace(line) != "" {
			t.Fatalf("%s: line %q after the [notify] example is not commented; keep the example last", path, line)
		}
		uncommented = append(uncommented, strings.TrimPrefix(line, " ")+"\n"...)
	}
	got, err = config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": writeFile(t, string(uncommented))}))
	if err != nil {
		t.Fatalf("Load(%s with the [notify] example uncommented): %v", path, err)
	}
	tpl, ok := got.Notify.Templates["ticket_accepted"]
	if !ok || tpl.ID == "" || tpl.URL == "" || len(tpl.Fields) == 0 {
		t.Errorf("uncommented example: Notify.Templates[ticket_accepted] = %+v, want id, url and fields", tpl)
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"TONGXIN_HTTP_ADDR", "8080"},
		{"TONGXIN_HTTP_ADDR", ":http-alt"},
		{"TONGXIN_DATABASE_URL", "mysql://db/tongxin"},
		{"TONGXIN_DATABASE_URL", "data/tongxin.db"},
		{"TONGXIN_DATABASE_URL", "sqlite://"},
		{"TONGXIN_DATABASE_URL", "postgres://u:p@db:5432/%zz"},
		{"TONGXIN_REDIS_URL", "memcache://cache:11211"},
		{"TONGXIN_REDIS_URL", "127.0.0.1:6379"},
		{"TONGXIN_REDIS_URL", "redis:///0"},
		{"TONGXIN_WECHAT_TOKEN", "has space"},
		{"TONGXIN_WECHAT_TOKEN", "ab"},
		{"TONGXIN_WECHAT_API_BASE", "api.weixin.qq.com"},
		{"TONGXIN_WECHAT_API_BASE", "ftp://api.weixin.qq.com"},
		{"TONGXIN_WECHAT_API_BASE", "/cgi-bin"},
		{"TONGXIN_WECOM_API_BASE", "qyapi.weixin.qq.com"},
		{"TONGXIN_WECOM_API_BASE", "https://qyapi.weixin.qq.com?x=1"},
		{"TONGXIN_RATE_PER_MINUTE", "-1"},
		{"TONGXIN_RATE_PER_MINUTE", "twenty"},
		{"TONGXIN_LOG_LEVEL", "verbose"},
		{"TONGXIN_LOG_FORMAT", "xml"},
		{"TONGXIN_HANDLER_TIMEOUT", "4"},
		{"TONGXIN_HANDLER_TIMEOUT", "0s"},
		{"TONGXIN_HANDLER_TIMEOUT", "-1s"},
		{"TONGXIN_SHUTDOWN_TIMEOUT", "soon"},
		{"TONGXIN_SHUTDOWN_TIMEOUT", "0"},
		{"TONGXIN_NOTIFY_RESCUE_AFTER", "15s"},
		{"TONGXIN_NOTIFY_RESCUE_AFTER", "0"},
		{"TONGXIN_NOTIFY_RESCUE_AFTER", "-1m"},
		{"TONGXIN_NOTIFY_RESCUE_AFTER", "60"},
		{"TONGXIN_WECHAT_MODE", "aes"},
		{"TONGXIN_WECHAT_MODE", "secure"},
		{"TONGXIN_OPEN311_RATE_PER_MINUTE", "-1"},
		{"TONGXIN_OPEN311_RATE_PER_MINUTE", "sixty"},
		{"TONGXIN_TRUSTED_PROXIES", "proxy.internal"},
		{"TONGXIN_TRUSTED_PROXIES", "10.0.0.0/33"},
		{"TONGXIN_TRUSTED_PROXIES", "10.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("Load(%s=%q) succeeded, want an error", tt.name, tt.value)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("Load(%s=%q) error %q does not name the variable", tt.name, tt.value, err)
			}

			// The same value from the file must be caught too.
			path := writeFile(t, tt.name+" = "+tomlLiteral(tt.value)+"\n")
			_, err = config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": path}))
			if err == nil {
				t.Fatalf("Load(file %s=%q) succeeded, want an error", tt.name, tt.value)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("Load(file %s=%q) error %q does not name the variable", tt.name, tt.value, err)
			}
		})
	}
}

// tomlLiteral quotes a value as a TOML literal string, which needs no
// escaping for the values above.
func tomlLiteral(s string) string { return "'" + s + "'" }

func TestLoadQuietHours(t *testing.T) {
	for value, want := range map[string]string{
		"22:00-07:00":   "22:00-07:00", // across midnight
		"07:00-22:00":   "07:00-22:00",
		"00:00-23:59":   "00:00-23:59",
		"23:59-00:00":   "23:59-00:00",
		"12:30-12:31":   "12:30-12:31",
		"off":           "off",
		"Off":           "off",
		" 13:00-14:00 ": "13:00-14:00",
	} {
		got, err := config.Load(env(map[string]string{"TONGXIN_QUIET_HOURS": value}))
		if err != nil {
			t.Errorf("Load(TONGXIN_QUIET_HOURS=%q): %v", value, err)
			continue
		}
		if got.QuietHours != want {
			t.Errorf("Load(TONGXIN_QUIET_HOURS=%q).QuietHours = %q, want %q", value, got.QuietHours, want)
		}
	}
	// What is a valid window is notify's rule (notify.ParseQuietHours),
	// which main passes to Load: see cmd/tongxin's config tests.
}

func TestLoadNotifyRescueAfter(t *testing.T) {
	got, err := config.Load(env(map[string]string{"TONGXIN_NOTIFY_RESCUE_AFTER": "41s"}))
	if err != nil {
		t.Fatalf("Load(TONGXIN_NOTIFY_RESCUE_AFTER=41s), the minimum: %v", err)
	}
	if got.NotifyRescueAfter != 41*time.Second {
		t.Errorf("NotifyRescueAfter = %v, want 41s", got.NotifyRescueAfter)
	}
	_, err = config.Load(env(map[string]string{"TONGXIN_NOTIFY_RESCUE_AFTER": "40999ms"}))
	if err == nil || !strings.Contains(err.Error(), "TONGXIN_NOTIFY_RESCUE_AFTER") || !strings.Contains(err.Error(), "41s") {
		t.Errorf("Load(TONGXIN_NOTIFY_RESCUE_AFTER=40999ms) error = %v, want one naming the variable and the 41s minimum", err)
	}
}

// TestLoadNotifyJobTimeout: the rescue delay follows the job timeout, so a
// short timeout (the crash test runs the binary with 2s) allows a short
// rescue.
func TestLoadNotifyJobTimeout(t *testing.T) {
	got, err := config.Load(env(map[string]string{"TONGXIN_NOTIFY_JOB_TIMEOUT": "2s", "TONGXIN_NOTIFY_RESCUE_AFTER": "3s"}))
	if err != nil {
		t.Fatalf("Load(job timeout 2s, rescue after 3s): %v", err)
	}
	if got.NotifyJobTimeout != 2*time.Second || got.NotifyRescueAfter != 3*time.Second {
		t.Errorf("NotifyJobTimeout, NotifyRescueAfter = %v, %v, want 2s, 3s", got.NotifyJobTimeout, got.NotifyRescueAfter)
	}
	for _, c := range []struct {
		vars map[string]string
		want []string
	}{
		{map[string]string{"TONGXIN_NOTIFY_JOB_TIMEOUT": "2s", "TONGXIN_NOTIFY_RESCUE_AFTER": "2500ms"},
			[]string{"TONGXIN_NOTIFY_RESCUE_AFTER", "3s", "TONGXIN_NOTIFY_JOB_TIMEOUT"}},
		{map[string]string{"TONGXIN_NOTIFY_JOB_TIMEOUT": "90s"}, // over the default rescue
			[]string{"TONGXIN_NOTIFY_RESCUE_AFTER", "1m31s"}},
		{map[string]string{"TONGXIN_NOTIFY_JOB_TIMEOUT": "0s"}, []string{"TONGXIN_NOTIFY_JOB_TIMEOUT", "positive"}},
		{map[string]string{"TONGXIN_NOTIFY_JOB_TIMEOUT": "forty"}, []string{"TONGXIN_NOTIFY_JOB_TIMEOUT", "duration"}},
	} {
		_, err := config.Load(env(c.vars))
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Load(%v) error = %v, want one containing %q", c.vars, err, w)
			}
		}
	}
}

func TestLoadRetention(t *testing.T) {
	const day = 24 * time.Hour
	for _, c := range []struct {
		in    string
		want  time.Duration
		shown string
	}{
		{"30d", 30 * day, "30d"},
		{"3y", 3 * 365 * day, "3y"},
		{"720h", 30 * day, "30d"},
		{"1095d", 3 * 365 * day, "3y"},
		{"36h", 36 * time.Hour, "36h0m0s"},
		{"100y", 100 * 365 * day, "100y"},
	} {
		for _, name := range []string{"TONGXIN_RETENTION_NOTIFICATIONS", "TONGXIN_RETENTION_RECORDS"} {
			cfg, err := config.Load(env(map[string]string{name: c.in}))
			if err != nil {
				t.Errorf("Load(%s=%s): %v", name, c.in, err)
				continue
			}
			got := map[string]time.Duration{"TONGXIN_RETENTION_NOTIFICATIONS": cfg.RetentionNotifications, "TONGXIN_RETENTION_RECORDS": cfg.RetentionRecords}[name]
			if got != c.want || cfg.Redacted()[name] != c.shown {
				t.Errorf("Load(%s=%s) = %v shown %q, want %v shown %q", name, c.in, got, cfg.Redacted()[name], c.want, c.shown)
			}
		}
	}
	for _, bad := range []string{"30", "thirty days", "0d", "-1y", "0s", "101y", "1.5y", "d"} {
		_, err := config.Load(env(map[string]string{"TONGXIN_RETENTION_RECORDS": bad}))
		if err == nil || !strings.Contains(err.Error(), "TONGXIN_RETENTION_RECORDS") {
			t.Errorf("Load(TONGXIN_RETENTION_RECORDS=%s) error = %v, want one naming the variable", bad, err)
		}
	}
}

func TestLoadInvalidReportsEveryVariable(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"TONGXIN_DATABASE_URL":    "mysql://x",
		"TONGXIN_RATE_PER_MINUTE": "-3",
		"TONGXIN_LOG_FORMAT":      "xml",
	}))
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	for _, name := range []string{"TONGXIN_DATABASE_URL", "TONGXIN_RATE_PER_MINUTE", "TONGXIN_LOG_FORMAT"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		desc, text, wantInErr string
	}{
		{"syntax error", "TONGXIN_HTTP_ADDR = \n", "TONGXIN_CONFIG_FILE"},
		{"unknown top-level key", "TONGXIN_HTTP_ADRR = \":1\"\n", "TONGXIN_HTTP_ADRR"},
		{"config file key in the file", "TONGXIN_CONFIG_FILE = \"x\"\n", "TONGXIN_CONFIG_FILE: unknown key"},
		{"unknown bot key", "[bot]\nwellcome = \"hi\"\n", "bot.wellcome"},
		{"unknown menu key", "[[bot.menu]]\nkey = \"MY\"\nlabel = \"我的\"\nlable = \"x\"\n", "bot.menu.lable"},
		{"wrong type", "TONGXIN_LOG_LEVEL = true\n", "TONGXIN_LOG_LEVEL"},
		{"wrong bot type", "[bot]\nwelcome = 1\n", "bot"},
		{"menu without key", "[[bot.menu]]\nlabel = \"我的\"\n", "bot.menu[0]"},
		{"menu without label", "[[bot.menu]]\nkey = \"MY\"\n", "bot.menu[0]"},
		{"duplicate menu key", "[[bot.menu]]\nkey = \"MY\"\nlabel = \"a\"\n[[bot.menu]]\nkey = \"MY\"\nlabel = \"b\"\n", "bot.menu[1]"},
		{"empty keyword", "[[bot.menu]]\nkey = \"MY\"\nlabel = \"a\"\nkeywords = [\"\"]\n", "bot.menu[0]"},
		{"empty reply", "[bot.replies]\n\"物业电话\" = \"\"\n", "bot.replies"},
		{"unknown template key", "[notify.templates.ticket_accepted]\nid = \"t\"\ncolour = \"#ff0000\"\n", "notify.templates.ticket_accepted.colour"},
		{"unknown notify key", "[notify]\ntemplate = \"t\"\n", "notify.template: unknown key"},
		{"unknown notify table", "[notify.template.ticket_accepted]\nid = \"t\"\n", "notify.template.ticket_accepted.id: unknown key"},
		{"notify in the environment's form", "TONGXIN_NOTIFY_TEMPLATES = \"t\"\n", "TONGXIN_NOTIFY_TEMPLATES: unknown key"},
		{"notify not a table", "notify = \"t\"\n", "notify"},
		{"template id not a string", "[notify.templates.ticket_accepted]\nid = 1\n", "notify"},
		{"fields not a table", "[notify.templates.ticket_accepted]\nid = \"t\"\nfields = [\"thing1\"]\n", "notify.templates.ticket_accepted.fields: want a table"},
		{"fields a string", "[notify.templates.ticket_accepted]\nid = \"t\"\nfields = \"thing1\"\n", "notify.templates.ticket_accepted.fields: want a table"},
		{"templates not a table", "[notify]\ntemplates = [\"ticket_accepted\"]\n", "notify.templates: want a table"},
		{"templates an array of tables", "[[notify.templates]]\nid = \"t\"\n", "notify.templates: want a table, got an array of tables"},
		{"notify a number", "notify = 3\n", "notify: want a table, got integer"},
		{"template not a table", "[notify.templates]\nticket_accepted = \"t\"\n", "notify.templates.ticket_accepted: want a table"},
		{"bot replies not a table", "[bot]\nreplies = [\"物业电话\"]\n", "bot.replies: want a table"},
		{"empty contains reply", "[bot.contains]\n\"疫苗\" = \" \"\n", "bot.contains: reply to \"疫苗\""},
		{"empty contains word", "[bot.contains]\n\"\" = \"x\"\n", "bot.contains"},
		{"contains and exact", "[bot.replies]\n\"社保\" = \"a\"\n[bot.contains]\n\"社保\" = \"b\"\n", "bot.contains: \"社保\" is also a key of replies"},
		{"contains not a table", "[bot]\ncontains = [\"疫苗\"]\n", "bot.contains: want a table"},
		{"contains not text", "[bot.contains]\n\"疫苗\" = 1\n", "bot"},
		{"words not a table", "[bot]\nwords = [\"水表\"]\n", "bot.words: want a table"},
		{"words not a list", "[bot.words]\n\"report:repair\" = \"水表\"\n", "bot"},
		{"no words", "[bot.words]\n\"report:repair\" = []\n", "bot.words.\"report:repair\": list at least one word"},
		{"empty word", "[bot.words]\n\"report:repair\" = [\"水表\", \" \"]\n", "bot.words.\"report:repair\": words must not contain an empty word"},
		{"empty intent", "[bot.words]\n\"\" = [\"水表\"]\n", "bot.words"},
		{"menu link http", "[[bot.menu]]\nkey = \"NEWS\"\nlabel = \"社区公告\"\nurl = \"http://jianlin.example.org/news\"\n", "bot.menu[0].url: want an https URL"},
		{"menu link relative", "[[bot.menu]]\nkey = \"NEWS\"\nlabel = \"社区公告\"\nurl = \"/news\"\n", "bot.menu[0].url: want an absolute"},
		{"menu link too long", "[[bot.menu]]\nkey = \"NEWS\"\nlabel = \"社区公告\"\nurl = \"https://jianlin.example.org/" + strings.Repeat("a", 1000) + "\"\n", "bot.menu[0].url: longer than WeChat's 1024 bytes"},
		{"field not a string", "[notify.templates.ticket_accepted]\nid = \"t\"\nfields = { thing1 = 1 }\n", "notify"},
		{"template without id", "[notify.templates.ticket_accepted]\nurl = \"https://x.example\"\n", "notify.templates.ticket_accepted.id"},
		{"empty template id", "[notify.templates.ticket_accepted]\nid = \"\"\n", "notify.templates.ticket_accepted.id"},
		{"template id with space", "[notify.templates.ticket_accepted]\nid = \"abc def\"\n", "notify.templates.ticket_accepted.id"},
		{"relative url", "[notify.templates.ticket_accepted]\nid = \"t\"\nurl = \"/my/tickets\"\n", "notify.templates.ticket_accepted.url"},
		{"url without scheme", "[notify.templates.ticket_accepted]\nid = \"t\"\nurl = \"jianlin.example.org/my\"\n", "notify.templates.ticket_accepted.url"},
		{"ftp url", "[notify.templates.ticket_accepted]\nid = \"t\"\nurl = \"ftp://jianlin.example.org/\"\n", "notify.templates.ticket_accepted.url"},
		{"unparsable url", "[notify.templates.ticket_accepted]\nid = \"t\"\nurl = \"https://x.example/%zz\"\n", "notify.templates.ticket_accepted.url"},
		{"bad kind", "[notify.templates.\"ticket accepted\"]\nid = \"t\"\n", "notify.templates: kind \"ticket accepted\""},
		{"empty kind", "[notify.templates.\"\"]\nid = \"t\"\n", "notify.templates: kind \"\""},
		{"bad keyword", "[notify.templates.ticket_accepted]\nid = \"t\"\nfields = { \"thing-1\" = \"title\" }\n", "notify.templates.ticket_accepted.fields: keyword \"thing-1\""},
		{"empty keyword", "[notify.templates.ticket_accepted]\nid = \"t\"\nfields = { \"\" = \"title\" }\n", "notify.templates.ticket_accepted.fields: keyword \"\""},
		{"empty field", "[notify.templates.ticket_accepted]\nid = \"t\"\nfields = { thing1 = \"\" }\n", "notify.templates.ticket_accepted.fields.thing1"},
		{"bad field", "[notify.templates.ticket_accepted]\nid = \"t\"\nfields = { thing1 = \"the title\" }\n", "notify.templates.ticket_accepted.fields.thing1"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			path := writeFile(t, tt.text)
			_, err := config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": path}))
			if err == nil {
				t.Fatalf("Load(%q) succeeded, want an error", tt.text)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("Load(%q) error %q does not mention %q", tt.text, err, tt.wantInErr)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope.toml")
		_, err := config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": missing}))
		if err == nil || !strings.Contains(err.Error(), "TONGXIN_CONFIG_FILE") {
			t.Errorf("Load(missing file) error = %v, want one naming TONGXIN_CONFIG_FILE", err)
		}
	})
}

func TestDevCredentials(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string
	}{
		{nil, strings.Fields(allDev)},
		// Some real, some development: refused (TestMixedCredentialsRefused).
		{map[string]string{
			"TONGXIN_WECHAT_APPID":   "wxreal",
			"TONGXIN_WECHAT_SECRET":  "real",
			"TONGXIN_WECHAT_TOKEN":   "realtoken",
			"TONGXIN_WECHAT_AES_KEY": validAESKey,
		}, nil},
	}
	for _, tt := range tests {
		got, err := config.Load(env(tt.env))
		if err != nil {
			t.Fatalf("Load(%v): %v", tt.env, err)
		}
		if diff := cmp.Diff(tt.want, got.DevCredentials); diff != "" {
			t.Errorf("Load(%v).DevCredentials mismatch (-want +got):\n%s", tt.env, diff)
		}
	}
}

func TestRedacted(t *testing.T) {
	secrets := map[string]string{
		"TONGXIN_WECHAT_SECRET":   "wechat-secret-value",
		"TONGXIN_WECHAT_TOKEN":    "wechatTokenValue",
		"TONGXIN_WECHAT_AES_KEY":  validAESKey,
		"TONGXIN_ADMIN_TOKEN":     "admin-token-value-0123456789abcdef",
		"TONGXIN_WECOM_ROBOT_KEY": "robot-key-value",
	}
	vars := map[string]string{
		"TONGXIN_WECHAT_APPID": "wxvisibleappid",
		"TONGXIN_DATABASE_URL": "postgres://tongxin:dbpassword@db:5432/tongxin?sslmode=disable",
		"TONGXIN_REDIS_URL":    "redis://:redispassword@cache:6379/0",
	}
	for k, v := range secrets {
		vars[k] = v
	}
	cfg, err := config.Load(env(vars))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	red := cfg.Redacted()
	for name := range secrets {
		if got := red[name]; got != "***" {
			t.Errorf("Redacted()[%s] = %q, want ***", name, got)
		}
	}
	if got := red["TONGXIN_WECHAT_APPID"]; got != "wxvisibleappid" {
		t.Errorf("Redacted()[TONGXIN_WECHAT_APPID] = %q, want the app id (not a secret)", got)
	}
	if got := red["TONGXIN_HANDLER_TIMEOUT"]; got != "4s" {
		t.Errorf("Redacted()[TONGXIN_HANDLER_TIMEOUT] = %q, want 4s", got)
	}
	if got := red["TONGXIN_DATABASE_URL"]; !strings.Contains(got, "@db:5432/tongxin") {
		t.Errorf("Redacted()[TONGXIN_DATABASE_URL] = %q, want the host and database kept", got)
	}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", cfg)
	renderings := map[string]string{
		"String": cfg.String(),
		"%v":     fmt.Sprintf("%v", cfg),
		"%+v":    fmt.Sprintf("%+v", cfg),
		"slog":   logged.String(),
		"Redacted": func() string {
			var b strings.Builder
			for k, v := range red {
				b.WriteString(k + "=" + v + "\n")
			}
			return b.String()
		}(),
	}
	hidden := []string{"dbpassword", "redispassword"}
	for _, v := range secrets {
		hidden = append(hidden, v)
	}
	for how, text := range renderings {
		for _, s := range hidden {
			if strings.Contains(text, s) {
				t.Errorf("%s rendering leaks %q:\n%s", how, s, text)
			}
		}
		if !strings.Contains(text, "wxvisibleappid") {
			t.Errorf("%s rendering lacks the app id:\n%s", how, text)
		}
	}

	if got := red["TONGXIN_QUIET_HOURS"]; got != "22:00-07:00" {
		t.Errorf("Redacted()[TONGXIN_QUIET_HOURS] = %q, want 22:00-07:00", got)
	}
	if got := red["TONGXIN_NOTIFY_RESCUE_AFTER"]; got != "1m0s" {
		t.Errorf("Redacted()[TONGXIN_NOTIFY_RESCUE_AFTER] = %q, want 1m0s", got)
	}
	if _, ok := red["notify.templates"]; ok {
		t.Errorf("Redacted() has notify.templates with no template configured")
	}
	withTemplates := cfg
	withTemplates.Notify.Templates = map[string]config.Template{"ticket_done": {ID: "b"}, "ticket_accepted": {ID: "a"}}
	if got := withTemplates.Redacted()["notify.templates"]; got != "ticket_accepted,ticket_done" {
		t.Errorf("Redacted()[notify.templates] = %q, want the sorted kinds ticket_accepted,ticket_done", got)
	}

	// Unset secrets show as empty, so the log tells "not configured" apart
	// from "configured".
	if got := config.Default().Redacted()["TONGXIN_ADMIN_TOKEN"]; got != "" {
		t.Errorf("Default().Redacted()[TONGXIN_ADMIN_TOKEN] = %q, want empty", got)
	}
}

func TestRedactedPasswordInQuery(t *testing.T) {
	cfg := config.Default()
	cfg.DatabaseURL = "postgres://db/tongxin?user=u&password=querypassword"
	if got := cfg.Redacted()["TONGXIN_DATABASE_URL"]; strings.Contains(got, "querypassword") {
		t.Errorf("Redacted()[TONGXIN_DATABASE_URL] = %q leaks the password", got)
	}
}

func TestValidateNotify(t *testing.T) {
	cfg := config.Default()
	cfg.Notify.Templates = map[string]config.Template{
		"ticket_accepted": {ID: "a", Fields: map[string]string{"thing1": "title"}},
		"ticket_done":     {URL: "https://x.example"},
		"event_reminder":  {ID: "c", Fields: map[string]string{"time2": "-"}},
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	for _, want := range []string{"notify.templates.ticket_done.id", "notify.templates.event_reminder.fields.time2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() error does not name %s:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "ticket_accepted") {
		t.Errorf("Validate() complains about the valid ticket_accepted:\n%v", err)
	}
}

func TestValidateZeroConfig(t *testing.T) {
	err := config.Config{}.Validate()
	if err == nil {
		t.Fatal("Config{}.Validate() = nil, want errors")
	}
	for _, name := range []string{
		"TONGXIN_HTTP_ADDR", "TONGXIN_DATABASE_URL", "TONGXIN_WECHAT_APPID",
		"TONGXIN_WECHAT_SECRET", "TONGXIN_WECHAT_TOKEN",
		"TONGXIN_WECHAT_API_BASE", "TONGXIN_WECOM_API_BASE", "TONGXIN_LOG_FORMAT",
		"TONGXIN_HANDLER_TIMEOUT", "TONGXIN_SHUTDOWN_TIMEOUT",
		"TONGXIN_NOTIFY_RESCUE_AFTER",
	} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("Config{}.Validate() error does not name %s:\n%v", name, err)
		}
	}
}

func TestTicketCategoriesFromFile(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		path := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("[[tickets.categories]]\nkey = \"repair\"\nname = \"维修报修\"\nrole = \"grid_worker\"\nresponse_hours = 4\nresolve_hours = 18\npublic = true\n\n[[tickets.categories]]\nkey = \"noise\"\nname = \"噪音扰民\"\nrole = \"mediator\"\nresponse_hours = 2\nresolve_hours = 12\n\n" +
		// A file written before public still loads.
		"[[tickets.categories]]\nkey = \"dispute\"\nname = \"矛盾纠纷\"\nrole = \"mediator\"\nresponse_hours = 4\nresolve_hours = 30\nprivate = true\n")
	cfg, err := config.Load(env(map[string]string{config.EnvConfigFile: good}))
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Tickets.Categories; len(c) != 3 || c[1].Role != "mediator" || c[0].ResolveHours != 18 ||
		!c[0].Public || c[1].Public || c[2].Public || !c[2].Private {
		t.Errorf("categories: %+v", c)
	}
	// The values' rules are the tickets service's (tickets.CategoriesFromConfig),
	// which main passes to Load: see cmd/tongxin's config tests.
	for name, text := range map[string]string{
		"unknown field": "[[tickets.categories]]\nkey = \"x\"\nname = \"x\"\nrole = \"duty\"\nresponse_hours = 1\nresolve_hours = 2\ncolour = \"red\"\n",
		"not a table":   "tickets = 3\n",
	} {
		if _, err := config.Load(env(map[string]string{config.EnvConfigFile: write(text)})); err == nil || !strings.Contains(err.Error(), "tickets") {
			t.Errorf("%s: %v, want an error naming tickets", name, err)
		}
	}
}

// TestWeChatMode: the webhook's weakest accepted mode is safe whenever an
// AES key is set (the development defaults have one) unless
// TONGXIN_WECHAT_MODE says otherwise; an account in plain mode need not
// give an AES key and then has none, not the public development one.
func TestWeChatMode(t *testing.T) {
	real := map[string]string{"TONGXIN_WECHAT_APPID": "wxreal", "TONGXIN_WECHAT_SECRET": "realsecret", "TONGXIN_WECHAT_TOKEN": "realtoken"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range real {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		mode   string
		aesKey string
		dev    []string
	}{
		{"development defaults", nil, "safe", config.DevWeChatAESKey, strings.Fields(allDev)},
		{"a real AES key", with(map[string]string{"TONGXIN_WECHAT_AES_KEY": validAESKey}), "safe", validAESKey, nil},
		{"compat", with(map[string]string{"TONGXIN_WECHAT_AES_KEY": validAESKey, "TONGXIN_WECHAT_MODE": "Compat"}), "compat", validAESKey, nil},
		{"plain with a key", with(map[string]string{"TONGXIN_WECHAT_AES_KEY": validAESKey, "TONGXIN_WECHAT_MODE": "plain"}), "plain", validAESKey, nil},
		{"plain without a key", with(map[string]string{"TONGXIN_WECHAT_MODE": "plain"}), "plain", "", nil},
		{"plain in development", map[string]string{"TONGXIN_WECHAT_MODE": "plain"}, "plain", "",
			[]string{"TONGXIN_WECHAT_APPID", "TONGXIN_WECHAT_SECRET", "TONGXIN_WECHAT_TOKEN"}},
	} {
		got, err := config.Load(env(tc.env))
		if err != nil {
			t.Errorf("%s: Load: %v", tc.name, err)
			continue
		}
		if got.WeChat.MinMode() != tc.mode || got.WeChat.AESKey != tc.aesKey || got.Redacted()["TONGXIN_WECHAT_MODE"] != tc.mode {
			t.Errorf("%s: mode %q, AES key %q, logged mode %q; want %q, %q", tc.name, got.WeChat.MinMode(), got.WeChat.AESKey,
				got.Redacted()["TONGXIN_WECHAT_MODE"], tc.mode, tc.aesKey)
		}
		if diff := cmp.Diff(tc.dev, got.DevCredentials); diff != "" {
			t.Errorf("%s: DevCredentials mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
	// A Config built by hand cannot ask for encryption without a key.
	cfg := config.Default()
	cfg.WeChat.AESKey, cfg.WeChat.Mode = "", "safe"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "TONGXIN_WECHAT_MODE: safe mode needs the EncodingAESKey") {
		t.Errorf("Validate(safe without a key) = %v", err)
	}
	cfg.WeChat.Mode = ""
	if cfg.WeChat.MinMode() != "plain" {
		t.Errorf("MinMode() without a key or mode = %q, want plain", cfg.WeChat.MinMode())
	}
}

// TestMixedCredentialsRefused: the development credentials are public (in
// this repository), so an account configured with some real and some
// development values, say a real AppID with the development token, would
// accept messages anyone can sign. Load refuses it, naming each
// development value; all development or all real is fine.
func TestMixedCredentialsRefused(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		devs []string
	}{
		{map[string]string{"TONGXIN_WECHAT_APPID": "wxreal"},
			[]string{"TONGXIN_WECHAT_SECRET", "TONGXIN_WECHAT_TOKEN", "TONGXIN_WECHAT_AES_KEY"}},
		{map[string]string{"TONGXIN_WECHAT_APPID": "wxreal", "TONGXIN_WECHAT_SECRET": "real", "TONGXIN_WECHAT_AES_KEY": validAESKey},
			[]string{"TONGXIN_WECHAT_TOKEN"}},
		{map[string]string{"TONGXIN_WECHAT_TOKEN": "realtoken"},
			[]string{"TONGXIN_WECHAT_APPID", "TONGXIN_WECHAT_SECRET", "TONGXIN_WECHAT_AES_KEY"}},
		// A development value set explicitly is no less public.
		{map[string]string{"TONGXIN_WECHAT_APPID": "wxreal", "TONGXIN_WECHAT_SECRET": "real", "TONGXIN_WECHAT_TOKEN": "realtoken",
			"TONGXIN_WECHAT_AES_KEY": config.DevWeChatAESKey}, []string{"TONGXIN_WECHAT_AES_KEY"}},
	} {
		_, err := config.Load(env(tc.env))
		if err == nil {
			t.Errorf("Load(%v) succeeded, want development and real credentials refused", tc.env)
			continue
		}
		for _, name := range tc.devs {
			if !strings.Contains(err.Error(), name+": the development value") {
				t.Errorf("Load(%v) error does not name %s:\n%v", tc.env, name, err)
			}
		}
	}
	for _, ok := range []map[string]string{
		nil,
		{"TONGXIN_WECHAT_APPID": "wxreal", "TONGXIN_WECHAT_SECRET": "real", "TONGXIN_WECHAT_TOKEN": "realtoken", "TONGXIN_WECHAT_AES_KEY": validAESKey},
		{"TONGXIN_WECHAT_APPID": "wxreal", "TONGXIN_WECHAT_SECRET": "real", "TONGXIN_WECHAT_TOKEN": "realtoken", "TONGXIN_WECHAT_MODE": "plain"},
	} {
		if _, err := config.Load(env(ok)); err != nil {
			t.Errorf("Load(%v): %v", ok, err)
		}
	}
}

// TestAdminTokenLength: the admin API reads and changes every record, so
// its token must be long enough not to be guessed: 32 characters at
// least. Empty stays allowed and means the admin API refuses everything.
func TestAdminTokenLength(t *testing.T) {
	for _, short := range []string{"s3cr3t", "e2e-admin", strings.Repeat("x", 31)} {
		_, err := config.Load(env(map[string]string{"TONGXIN_ADMIN_TOKEN": short}))
		if err == nil || !strings.Contains(err.Error(), "TONGXIN_ADMIN_TOKEN: ") || !strings.Contains(err.Error(), "32") {
			t.Errorf("Load(TONGXIN_ADMIN_TOKEN of %d characters) = %v, want an error naming the variable and 32", len(short), err)
		}
		if err != nil && strings.Contains(err.Error(), short) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
	for _, ok := range []string{"", strings.Repeat("x", 32), strings.Repeat("令", 32)} {
		if _, err := config.Load(env(map[string]string{"TONGXIN_ADMIN_TOKEN": ok})); err != nil {
			t.Errorf("Load(TONGXIN_ADMIN_TOKEN of %d characters): %v", len([]rune(ok)), err)
		}
	}
}

func TestActivityReminders(t *testing.T) {
	for in, want := range map[string]string{"off": "off", "OFF": "off", "24h": "24h0m0s", "2h,24h": "24h0m0s,2h0m0s"} {
		cfg, err := config.Load(env(map[string]string{"TONGXIN_ACTIVITY_REMINDERS": in}))
		if err != nil {
			t.Errorf("Load(TONGXIN_ACTIVITY_REMINDERS=%s): %v", in, err)
			continue
		}
		if got := cfg.Redacted()["TONGXIN_ACTIVITY_REMINDERS"]; got != want {
			t.Errorf("TONGXIN_ACTIVITY_REMINDERS=%s shown %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{",", "2h,2h", "-1h", "0s", "800h", "2 hours", "90s,60s", "30s", "2h,1h30s"} {
		if _, err := config.Load(env(map[string]string{"TONGXIN_ACTIVITY_REMINDERS": bad})); err == nil || !strings.Contains(err.Error(), "TONGXIN_ACTIVITY_REMINDERS") {
			t.Errorf("Load(TONGXIN_ACTIVITY_REMINDERS=%q) error = %v, want one naming the variable", bad, err)
		}
	}
	if _, err := config.Load(env(map[string]string{"TONGXIN_ACTIVITY_HOLD": "0s"})); err == nil || !strings.Contains(err.Error(), "TONGXIN_ACTIVITY_HOLD") {
		t.Errorf("Load(TONGXIN_ACTIVITY_HOLD=0s) error = %v, want one naming the variable", err)
	}
}
