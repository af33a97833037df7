package config

import (
	"strings"
	"testing"
)

// TestEveryTableIsRegisteredThroughout holds each table of Config to the
// promise of its registration: the file may hold it, a value of another
// type is refused under its name, and a configuration that leaves it out
// logs nothing of it.
func TestEveryTableIsRegisteredThroughout(t *testing.T) {
	tables := (&Config{}).tables()
	if len(tables) == 0 {
		t.Fatal("Config has no tables")
	}
	quiet := Default().Redacted()
	for _, tb := range tables {
		var cfg Config
		if _, err := parseFile("["+tb.name+"]\n", &cfg); err != nil {
			t.Errorf("[%s]: an empty table is refused: %v", tb.name, err)
		}
		_, err := parseFile(tb.name+" = 3\n", &cfg)
		if err == nil || !strings.Contains(err.Error(), tb.name+": want a table, got integer") {
			t.Errorf("%s = 3: error %v, want one saying [%s] must be a table", tb.name, err, tb.name)
		}
		_, err = parseFile("["+tb.name+"]\nno_such_key = 1\n", &cfg)
		if err == nil || !strings.Contains(err.Error(), tb.name+".no_such_key: unknown key") {
			t.Errorf("[%s] no_such_key: error %v, want the unknown key named", tb.name, err)
		}
		for k := range quiet {
			if strings.HasPrefix(k, tb.name+".") {
				t.Errorf("Default().Redacted() has %s although [%s] is not set", k, tb.name)
			}
		}
		if !isTable(tb.name) {
			t.Errorf("isTable(%q) = false, so a Rule could not check [%s]", tb.name, tb.name)
		}
	}
}

// TestTablesPointIntoConfig makes sure decoding a table fills the Config
// it was listed from, not a copy.
func TestTablesPointIntoConfig(t *testing.T) {
	var cfg Config
	if _, err := parseFile("[bot]\nhelp = \"帮助\"\n[[tickets.categories]]\nkey = \"repair\"\n[notify.templates.ticket_done]\nid = \"t\"\n", &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Bot.Help != "帮助" || len(cfg.Tickets.Categories) != 1 || cfg.Notify.Templates["ticket_done"].ID != "t" {
		t.Errorf("tables not decoded into the Config: %+v", cfg)
	}
}

func TestRedactedTables(t *testing.T) {
	cfg := Default()
	cfg.Bot = Bot{Help: "帮助文本 with a secret", Menu: []MenuItem{{Key: "REPORT"}, {Key: "MY"}}, Replies: map[string]string{"a": "b"}}
	cfg.Notify.Templates = map[string]Template{"ticket_done": {ID: "b"}, "ticket_accepted": {ID: "a"}}
	cfg.Tickets.Categories = []Category{{Key: "repair"}, {Key: "noise"}}
	red := cfg.Redacted()
	for k, want := range map[string]string{
		"bot.texts":          "help",
		"bot.menu":           "REPORT,MY",
		"bot.replies":        "1",
		"notify.templates":   "ticket_accepted,ticket_done",
		"tickets.categories": "repair,noise",
	} {
		if got := red[k]; got != want {
			t.Errorf("Redacted()[%s] = %q, want %q", k, got, want)
		}
	}
	for k, v := range red {
		if strings.Contains(v, "secret") {
			t.Errorf("Redacted()[%s] = %q shows a text", k, v)
		}
	}
}
