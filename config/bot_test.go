package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tongxin/tongxin/config"
)

// TestLoadBotOperatorsOwnAnswers loads the issue-12 parts of [bot]:
// contains replies, menu links and words per intent.
func TestLoadBotOperatorsOwnAnswers(t *testing.T) {
	path := writeFile(t, `
[[bot.menu]]
key = "REPORT"
label = "诉求报修"

[[bot.menu]]
key = "NEWS"
label = "社区公告"
url = "https://jianlin.example.org/news?tab=1"
keywords = ["公告"]

[bot.replies]
"停车" = "地面车位请到物业服务中心登记。"

[bot.contains]
"疫苗" = "疫苗接种请到社区卫生服务站。"
"社保" = "社保业务请到党群服务中心二楼。"

[bot.words]
"report:repair" = ["下水道", "水表"]
events = ["百家宴"]
`)
	got, err := config.Load(env(map[string]string{"TONGXIN_CONFIG_FILE": path}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := config.Bot{
		Menu: []config.MenuItem{
			{Key: "REPORT", Label: "诉求报修"},
			{Key: "NEWS", Label: "社区公告", URL: "https://jianlin.example.org/news?tab=1", Keywords: []string{"公告"}},
		},
		Replies:  map[string]string{"停车": "地面车位请到物业服务中心登记。"},
		Contains: map[string]string{"疫苗": "疫苗接种请到社区卫生服务站。", "社保": "社保业务请到党群服务中心二楼。"},
		Words:    map[string][]string{"report:repair": {"下水道", "水表"}, "events": {"百家宴"}},
	}
	if diff := cmp.Diff(want, got.Bot); diff != "" {
		t.Errorf("Bot mismatch (-want +got):\n%s", diff)
	}
	red := got.Redacted()
	for key, shown := range map[string]string{"bot.contains": "2", "bot.words": "events,report:repair", "bot.menu": "REPORT,NEWS"} {
		if red[key] != shown {
			t.Errorf("Redacted()[%s] = %q, want %q", key, red[key], shown)
		}
	}
}
