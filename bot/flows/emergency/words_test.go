package emergency_test

import (
	"fmt"
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows/emergency"
)

func TestDetect(t *testing.T) {
	d, err := emergency.NewDetector("water:跑水, medical:摔倒了", "比赛")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want []emergency.Kind
	}{
		{"着火了", []emergency.Kind{emergency.Fire}},
		{"5号楼三楼冒烟了，快来人", []emergency.Kind{emergency.Fire}},
		{"厨房闻到煤气味", []emergency.Kind{emergency.Gas}},
		{"楼道里有燃气味", []emergency.Kind{emergency.Gas}},
		{"插座漏电", []emergency.Kind{emergency.Electric}},
		{"水管爆了！", []emergency.Kind{emergency.Water}},
		{"暖气爆管了在喷水", []emergency.Kind{emergency.Water}},
		{"电梯困人了", []emergency.Kind{emergency.Elevator}},
		{"我被困电梯里了", []emergency.Kind{emergency.Elevator}},
		{"楼下有人晕倒了", []emergency.Kind{emergency.Medical}},
		{"着火了还有人晕倒了", []emergency.Kind{emergency.Fire, emergency.Medical}},
		{"家里跑水了", []emergency.Kind{emergency.Water}},   // the operator's word
		{"老人摔倒了", []emergency.Kind{emergency.Medical}}, // the operator's word
		// Not emergencies.
		{"上次着火演习报名", nil},
		{"防火知识讲座", nil},
		{"消防演练几点开始", nil},
		{"冒烟比赛", nil}, // the operator's ignore word
		{"楼道灯坏了", nil},
		{"物业电话", nil},
		{"1", nil},
	} {
		if got := d.Detect(bot.Normalize(tc.text)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Detect(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	for _, bad := range []string{"flood:跑水", "跑水", "water:"} {
		if _, err := emergency.NewDetector(bad, ""); err == nil {
			t.Errorf("NewDetector(%q) accepted", bad)
		}
	}
}

// TestDetectEverydayWords: what elderly residents type about ordinary
// repairs is no emergency even when it holds an urgent word (着火 in
// 打不着火, 漏气 of a tyre, 喷水 of the fountain), and an emergency is one
// even when it holds an ignore word (宣传栏) or is typed with spaces.
func TestDetectEverydayWords(t *testing.T) {
	d, err := emergency.NewDetector("", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want []emergency.Kind
	}{
		{"煤气灶打不着火", nil},
		{"燃气灶点不着火了，麻烦来看看", nil},
		{"热水器打不着火", nil},
		{"电动车轮胎漏气了", nil},
		{"小区喷水池不喷水了", nil},
		{"家里漏水了", nil},
		{"电梯坏了", nil},
		{"煤气灶打不着火，还闻到煤气味", []emergency.Kind{emergency.Gas}},
		{"楼下宣传栏着火了", []emergency.Kind{emergency.Fire}},
		{"煤气漏了", []emergency.Kind{emergency.Gas}},
		{"家里燃气漏了怎么办", []emergency.Kind{emergency.Gas}},
		{"着 火 了", []emergency.Kind{emergency.Fire}},
		{"电梯困人", []emergency.Kind{emergency.Elevator}},
		// Happening now beats an ignore word; a denial is no alarm.
		{"培训教室着火了", []emergency.Kind{emergency.Fire}},
		{"报名处那边冒烟了，快来", []emergency.Kind{emergency.Fire}},
		{"上次着火演习报名", nil},
		{"火灾知识讲座几点开始", nil},
		{"没着火，就是有点焦味", nil},
		{"刚才检查了，没有漏电", nil},
	} {
		if got := d.Detect(bot.Normalize(tc.text)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Detect(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	for _, bad := range []string{"flood:跑水", "跑水", "water:"} {
		if _, err := emergency.NewDetector(bad, ""); err == nil {
			t.Errorf("NewDetector(%q) accepted", bad)
		}
	}
}
