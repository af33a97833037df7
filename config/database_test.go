package config_test

import (
	"strings"
	"testing"

	"github.com/tongxin/tongxin/config"
)

func TestDatabaseMaxConns(t *testing.T) {
	got, err := config.Load(env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if got.DatabaseMaxConns != 0 {
		t.Errorf("default DatabaseMaxConns = %d, want 0 (the engine's default)", got.DatabaseMaxConns)
	}
	got, err = config.Load(env(map[string]string{"TONGXIN_DATABASE_MAX_CONNS": " 8 "}))
	if err != nil || got.DatabaseMaxConns != 8 {
		t.Errorf("TONGXIN_DATABASE_MAX_CONNS=8: %d, %v", got.DatabaseMaxConns, err)
	}
	if v := got.Redacted()["TONGXIN_DATABASE_MAX_CONNS"]; v != "8" {
		t.Errorf("Redacted shows %q, want 8", v)
	}
	got, err = config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": writeFile(t, "TONGXIN_DATABASE_MAX_CONNS = \"40\"\n")}))
	if err != nil || got.DatabaseMaxConns != 40 {
		t.Errorf("TONGXIN_DATABASE_MAX_CONNS from the file: %d, %v", got.DatabaseMaxConns, err)
	}
	for _, bad := range []string{"-1", "1", "twenty", "2.5"} {
		_, err := config.Load(env(map[string]string{"TONGXIN_DATABASE_MAX_CONNS": bad}))
		if err == nil || !strings.Contains(err.Error(), "TONGXIN_DATABASE_MAX_CONNS") {
			t.Errorf("TONGXIN_DATABASE_MAX_CONNS=%s: %v, want an error naming the variable", bad, err)
		}
	}
}
