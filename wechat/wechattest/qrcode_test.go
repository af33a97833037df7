package wechattest_test

import (
	"fmt"
	"testing"

	"github.com/tongxin/tongxin/wechat/wechattest"
)

// TestFakeTempQR holds the fake to WeChat's rules for temporary codes:
// a missing lifetime is 60 s, more than 30 days is refused, and each code
// is recorded with the lifetime it was given.
func TestFakeTempQR(t *testing.T) {
	f := wechattest.NewFakeAPI(t)
	tok, _ := token(t, f, wechattest.AppID, wechattest.Secret)["access_token"].(string)
	create := func(body string) map[string]any {
		return post(t, f.URL()+wechattest.PathQRCreate+"?access_token="+tok, body)
	}
	temp := func(expire int) string {
		return fmt.Sprintf(`{"expire_seconds":%d,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"login:%d"}}}`, expire, expire)
	}
	if got := create(temp(120)); got["expire_seconds"] != float64(120) || got["ticket"] != wechattest.QRTicket("login:120") || got["url"] != wechattest.QRURL("login:120") {
		t.Errorf("2-minute code: %v", got)
	}
	if got := create(`{"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"login:0"}}}`); got["expire_seconds"] != float64(60) {
		t.Errorf("code without a lifetime: %v, want 60 s", got)
	}
	if got := create(temp(2592001)); errcode(got) != 40097 {
		t.Errorf("31-day code: %v, want errcode 40097", got)
	}
	if got := create(`{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"event:1"}}}`); got["expire_seconds"] != nil || got["ticket"] == nil {
		t.Errorf("permanent code: %v, want a ticket and no lifetime", got)
	}
	made := f.QRCodes()
	want := []wechattest.QRRequest{
		{Action: "QR_STR_SCENE", Scene: "login:120", ExpireSeconds: 120},
		{Action: "QR_STR_SCENE", Scene: "login:0"},
		{Action: "QR_LIMIT_STR_SCENE", Scene: "event:1"},
	}
	if fmt.Sprint(made) != fmt.Sprint(want) {
		t.Fatalf("recorded %+v, want %+v", made, want)
	}
	if !made[0].Temporary() || !made[1].Temporary() || made[2].Temporary() {
		t.Errorf("Temporary: %v %v %v", made[0].Temporary(), made[1].Temporary(), made[2].Temporary())
	}
}
