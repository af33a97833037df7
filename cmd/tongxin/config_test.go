package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/storage/storagetest"
)

// serveWith runs `tongxin serve` on vars (and, when toml is not empty, a
// configuration file holding it) and returns its error. The context is
// already cancelled, so a configuration that wrongly passes makes serve
// start on a scratch database and stop at once, and the test fails
// instead of hanging.
func serveWith(t *testing.T, vars map[string]string, toml string) error {
	t.Helper()
	all := map[string]string{
		"TONGXIN_HTTP_ADDR":    "127.0.0.1:0",
		"TONGXIN_DATABASE_URL": storagetest.SQLiteURL(t),
		"TONGXIN_LOG_LEVEL":    "error",
	}
	for k, v := range vars {
		all[k] = v
	}
	if toml != "" {
		path := filepath.Join(t.TempDir(), "tongxin.toml")
		if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
			t.Fatal(err)
		}
		all[config.EnvConfigFile] = path
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return run(ctx, []string{"serve"}, func(k string) string { return all[k] }, nil, io.Discard, io.Discard)
}

// TestServeRefusesWhatDomainsRefuse checks, end to end, that the rules the
// domains own on their variables (wired in configRules) stop `tongxin
// serve` at start-up with the variable named, from the environment and
// from the file alike.
func TestServeRefusesWhatDomainsRefuse(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"TONGXIN_WECHAT_AES_KEY", "tooshort"},
		{"TONGXIN_WECHAT_AES_KEY", strings.Repeat("a", 44)},
		{"TONGXIN_WECHAT_AES_KEY", "!!!defghijklmnopqrstuvwxyz0123456789ABCDEFG"},
		{"TONGXIN_QUIET_HOURS", "on"},
		{"TONGXIN_QUIET_HOURS", "22:00"},
		{"TONGXIN_QUIET_HOURS", "22-07"},
		{"TONGXIN_QUIET_HOURS", "22:00-7:00"},
		{"TONGXIN_QUIET_HOURS", "22:00 - 07:00"},
		{"TONGXIN_QUIET_HOURS", "22:00–07:00"}, // en dash
		{"TONGXIN_QUIET_HOURS", "24:00-07:00"},
		{"TONGXIN_QUIET_HOURS", "22:00-07:60"},
		{"TONGXIN_QUIET_HOURS", "22:00-07:00-08:00"},
		{"TONGXIN_QUIET_HOURS", "+2:00-07:00"},
		{"TONGXIN_QUIET_HOURS", "10pm-7am"},
		{"TONGXIN_QUIET_HOURS", "22:00-22:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			err := serveWith(t, map[string]string{tt.name: tt.value}, "")
			if err == nil || !strings.Contains(err.Error(), tt.name+": ") {
				t.Errorf("serve with %s=%q: %v, want an error naming the variable", tt.name, tt.value, err)
			}
			err = serveWith(t, nil, tt.name+" = '"+tt.value+"'\n")
			if err == nil || !strings.Contains(err.Error(), tt.name) {
				t.Errorf("serve with %s=%q in the file: %v, want an error naming the variable", tt.name, tt.value, err)
			}
		})
	}

	// An empty window is most likely a mistake for "off"; say so.
	err := serveWith(t, map[string]string{"TONGXIN_QUIET_HOURS": "06:00-06:00"}, "")
	if err == nil || !strings.Contains(err.Error(), "TONGXIN_QUIET_HOURS: start and end are both 06:00") || !strings.Contains(err.Error(), "use off") {
		t.Errorf("serve with TONGXIN_QUIET_HOURS=06:00-06:00: %v, want an error naming the variable and suggesting off", err)
	}
}

func TestServeRefusesBadTicketCategories(t *testing.T) {
	const entry = "[[tickets.categories]]\n"
	for name, tt := range map[string]struct{ toml, wantInErr string }{
		"bad role": {entry + "key = \"x\"\nname = \"x\"\nrole = \"boss\"\nresponse_hours = 1\nresolve_hours = 2\n", `tickets.categories[0].role: 未知角色 "boss"`},
		"no name":  {entry + "key = \"x\"\nrole = \"duty\"\nresponse_hours = 1\nresolve_hours = 2\n", "tickets.categories[0].name: required"},
		"bad key":  {entry + "key = \"X Y\"\nname = \"x\"\nrole = \"duty\"\nresponse_hours = 1\nresolve_hours = 2\n", "tickets.categories[0].key: want lower-case letters"},
		"twice": {entry + "key = \"x\"\nname = \"x\"\nrole = \"duty\"\nresponse_hours = 1\nresolve_hours = 2\n" +
			entry + "key = \"x\"\nname = \"y\"\nrole = \"duty\"\nresponse_hours = 1\nresolve_hours = 2\n", `tickets.categories[1].key: "x" appears twice`},
		"hours": {entry + "key = \"x\"\nname = \"x\"\nrole = \"duty\"\nresponse_hours = 5\nresolve_hours = 2\n", "tickets.categories[0]: response_hours must be positive"},
	} {
		if err := serveWith(t, nil, tt.toml); err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
			t.Errorf("%s: serve: %v, want an error containing %q", name, err, tt.wantInErr)
		}
	}
}

// TestServeReportsEveryProblemAtOnce keeps the domains' rules in the one
// report config gives, so an operator needs one restart, not one per
// mistake.
func TestServeReportsEveryProblemAtOnce(t *testing.T) {
	err := serveWith(t, map[string]string{
		"TONGXIN_DATABASE_URL":   "mysql://x",
		"TONGXIN_QUIET_HOURS":    "10pm-7am",
		"TONGXIN_WECHAT_AES_KEY": "tooshort",
	}, "[[tickets.categories]]\nkey = \"x\"\nname = \"x\"\nrole = \"boss\"\nresponse_hours = 1\nresolve_hours = 2\n")
	for _, name := range []string{"TONGXIN_DATABASE_URL", "TONGXIN_QUIET_HOURS", "TONGXIN_WECHAT_AES_KEY", "tickets.categories[0].role"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("serve error does not name %s:\n%v", name, err)
		}
	}

	// The same holds for a Config built by hand. (An empty one is a
	// plain-mode account, which needs no AES key.)
	err = config.Config{}.Validate(configRules...)
	for _, name := range []string{"TONGXIN_HTTP_ADDR", "TONGXIN_QUIET_HOURS"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Config{}.Validate(configRules...) error does not name %s:\n%v", name, err)
		}
	}
}

// TestServeRefusesUnsafeCredentials: `tongxin serve` does not start with
// development credentials mixed among real ones, nor with an admin token
// short enough to guess; it used to start with only a warning.
func TestServeRefusesUnsafeCredentials(t *testing.T) {
	for _, tc := range []struct {
		vars      map[string]string
		wantInErr string
	}{
		{map[string]string{"TONGXIN_WECHAT_APPID": "wx0123456789real"}, "TONGXIN_WECHAT_TOKEN: the development value"},
		{map[string]string{"TONGXIN_ADMIN_TOKEN": "admin"}, "TONGXIN_ADMIN_TOKEN: must be empty (admin API off) or at least 32 characters"},
	} {
		if err := serveWith(t, tc.vars, ""); err == nil || !strings.Contains(err.Error(), tc.wantInErr) {
			t.Errorf("serve with %v: %v, want an error containing %q", tc.vars, err, tc.wantInErr)
		}
	}
}

// TestPlainModeNeedsNoAESKey: an account in plain mode (明文) has no
// EncodingAESKey to give, and serve starts without one.
func TestPlainModeNeedsNoAESKey(t *testing.T) {
	err := serveWith(t, map[string]string{"TONGXIN_WECHAT_MODE": "plain"}, "")
	if err != nil && strings.Contains(err.Error(), "TONGXIN_WECHAT_AES_KEY") {
		t.Errorf("plain mode without an AES key refused: %v", err)
	}
}
