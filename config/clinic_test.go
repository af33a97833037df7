package config_test

import (
	"strings"
	"testing"

	"github.com/tongxin/tongxin/config"
)

// clinicToken is a valid TONGXIN_CLINIC_TOKEN of the tests.
const clinicToken = "clinic-0123456789abcdef0123456789abcdef"

func TestClinicTokenRedacted(t *testing.T) {
	cfg, err := config.Load(env(map[string]string{"TONGXIN_CLINIC_TOKEN": clinicToken}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := cfg.Redacted()["TONGXIN_CLINIC_TOKEN"]; got != "***" {
		t.Errorf("TONGXIN_CLINIC_TOKEN shown %q, want ***", got)
	}
	if strings.Contains(cfg.String(), clinicToken) {
		t.Error("Config.String() shows the clinic token")
	}
}

func TestClinicBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"TONGXIN_CLINIC_TOKEN", map[string]string{"TONGXIN_CLINIC_TOKEN": "short"}},
		{"TONGXIN_CLINIC_TOKEN", map[string]string{"TONGXIN_CLINIC_TOKEN": clinicToken, "TONGXIN_ADMIN_TOKEN": clinicToken}},
		{"TONGXIN_CLINIC_CUTOFF", map[string]string{"TONGXIN_CLINIC_CUTOFF": "2 hours"}},
		{"TONGXIN_CLINIC_CUTOFF", map[string]string{"TONGXIN_CLINIC_CUTOFF": "0s"}},
		{"TONGXIN_CLINIC_MIN_NOTICE", map[string]string{"TONGXIN_CLINIC_MIN_NOTICE": "-1h"}},
		{"TONGXIN_CLINIC_HORIZON", map[string]string{"TONGXIN_CLINIC_HORIZON": "1h"}},
		{"TONGXIN_CLINIC_HORIZON", map[string]string{"TONGXIN_CLINIC_HORIZON": "10000h"}},
		{"TONGXIN_CLINIC_HORIZON", map[string]string{"TONGXIN_CLINIC_HORIZON": "48h", "TONGXIN_CLINIC_MIN_NOTICE": "72h"}},
		{"TONGXIN_CLINIC_REMINDERS", map[string]string{"TONGXIN_CLINIC_REMINDERS": "1h,1h"}},
	} {
		_, err := config.Load(env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("Load(%v) error = %v, want one naming %s", tc.env, err, tc.name)
		}
		if err != nil && strings.Contains(err.Error(), clinicToken) {
			t.Errorf("Load(%v) error shows the token: %v", tc.env, err)
		}
	}
}

func TestClinicTopics(t *testing.T) {
	cfg, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	topics := cfg.Clinic.EffectiveTopics()
	var titles []string
	for _, tp := range topics {
		titles = append(titles, tp.Title)
		if tp.Text == "" {
			t.Errorf("default topic %s has no text", tp.Title)
		}
	}
	if got := strings.Join(titles, ","); got != "婚姻家庭,劳动工资,邻里纠纷,房屋租赁,反诈骗" {
		t.Errorf("default topics = %s", got)
	}
	if _, ok := cfg.Redacted()["clinic.topics"]; ok {
		t.Error("topics the operator did not set are shown in the log")
	}

	path := writeFile(t, "[[clinic.topics]]\ntitle = \" 物业纠纷 \"\ntext = \"先找社区调解。详询12348。\"\n")
	cfg, err = config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": path}))
	if err != nil {
		t.Fatalf("Load(file): %v", err)
	}
	if got := cfg.Clinic.EffectiveTopics(); len(got) != 1 || got[0].Title != "物业纠纷" || got[0].Text != "先找社区调解。详询12348。" {
		t.Errorf("file topics = %+v", got)
	}
	if got := cfg.Redacted()["clinic.topics"]; got != "物业纠纷" {
		t.Errorf("clinic.topics shown %q, want the titles", got)
	}

	long := strings.Repeat("长", 601)
	for _, tc := range []struct{ file, want string }{
		{"[[clinic.topics]]\ntitle = \"\"\ntext = \"x\"\n", "clinic.topics[0].title"},
		{"[[clinic.topics]]\ntitle = \"a\"\ntext = \"  \"\n", "clinic.topics[0].text"},
		{"[[clinic.topics]]\ntitle = \"a\"\ntext = \"" + long + "\"\n", "clinic.topics[0].text"},
		{"[[clinic.topics]]\ntitle = \"a\"\ntext = \"x\"\n[[clinic.topics]]\ntitle = \"a\"\ntext = \"y\"\n", "clinic.topics[1].title"},
		{"[[clinic.topics]]\ntitle = \"a\"\ntext = \"x\"\nlink = \"y\"\n", "clinic.topics.link"},
		{"[clinic]\nplace = \"x\"\n", "clinic.place"},
		{"clinic = 3\n", "clinic"},
	} {
		_, err := config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": writeFile(t, tc.file)}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) error = %v, want one naming %s", tc.file, err, tc.want)
		}
	}
}
