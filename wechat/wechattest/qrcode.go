package wechattest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// PathQRCreate makes parametric QR codes.
const PathQRCreate = "/cgi-bin/qrcode/create"

// QRRequest is one QR code the fake made.
type QRRequest struct {
	// Action is the action_name: QR_LIMIT_STR_SCENE for a permanent code
	// with a string scene, QR_STR_SCENE for a temporary one.
	Action string
	Scene  string
	// ExpireSeconds is the lifetime asked for: 0 for permanent codes (and
	// for a temporary one asked without, which WeChat keeps 60 s).
	ExpireSeconds int64
}

// Temporary reports whether q made a temporary code.
func (q QRRequest) Temporary() bool { return q.Action == "QR_STR_SCENE" || q.Action == "QR_SCENE" }

// maxTempExpire is the longest lifetime WeChat gives a temporary code
// (30 days), and defaultTempExpire the one it gives when none is asked.
const (
	maxTempExpire     = 2592000
	defaultTempExpire = 60
)

// QRTicket is the ticket the fake gives scene: the same every time, as
// WeChat's is for a permanent code.
func QRTicket(scene string) string {
	sum := sha256.Sum256([]byte(scene))
	return "gQ" + base64.StdEncoding.EncodeToString(sum[:18])
}

// QRURL is the address the fake's code for scene encodes.
func QRURL(scene string) string {
	sum := sha256.Sum256([]byte("url:" + scene))
	return "http://weixin.qq.com/q/" + base64.RawURLEncoding.EncodeToString(sum[:12])
}

// QRCodes returns the QR codes the fake made, in order.
func (f *FakeAPI) QRCodes() []QRRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]QRRequest, 0, len(f.requests[PathQRCreate]))
	for _, raw := range f.requests[PathQRCreate] {
		var m qrBody
		_ = json.Unmarshal(raw, &m)
		out = append(out, QRRequest{Action: m.ActionName, Scene: m.ActionInfo.Scene.SceneStr, ExpireSeconds: m.ExpireSeconds})
	}
	return out
}

type qrBody struct {
	ExpireSeconds int64  `json:"expire_seconds"`
	ActionName    string `json:"action_name"`
	ActionInfo    struct {
		Scene struct {
			SceneStr string `json:"scene_str"`
			SceneID  int    `json:"scene_id"`
		} `json:"scene"`
	} `json:"action_info"`
}

// qrCreate answers qrcode/create as WeChat does: a ticket, its lifetime
// (none for permanent codes; 60 s for a temporary one asked without, at
// most 30 days) and the URL, and no errcode on success.
func (f *FakeAPI) qrCreate(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[PathQRCreate]++
	if code, ok := f.takeFault(PathQRCreate); ok {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": faultMsg(code)})
		return
	}
	if !f.tokens[r.URL.Query().Get("access_token")] {
		writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
		return
	}
	var m qrBody
	if err != nil || json.Unmarshal(body, &m) != nil {
		writeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error"})
		return
	}
	var scene string
	expire := m.ExpireSeconds
	switch m.ActionName {
	case "QR_STR_SCENE", "QR_SCENE":
		if expire == 0 {
			expire = defaultTempExpire
		}
		if expire < 0 || expire > maxTempExpire {
			writeJSON(w, map[string]any{"errcode": 40097, "errmsg": "invalid args: expire_seconds"})
			return
		}
	default:
		// A permanent code has no lifetime: WeChat ignores one given.
		expire = 0
	}
	switch m.ActionName {
	case "QR_LIMIT_STR_SCENE", "QR_STR_SCENE":
		scene = m.ActionInfo.Scene.SceneStr
		if scene == "" || len(scene) > 64 {
			writeJSON(w, map[string]any{"errcode": 40097, "errmsg": "invalid args"})
			return
		}
	case "QR_LIMIT_SCENE", "QR_SCENE":
		scene = strconv.Itoa(m.ActionInfo.Scene.SceneID)
	default:
		writeJSON(w, map[string]any{"errcode": 40097, "errmsg": "invalid action_name"})
		return
	}
	f.accept(PathQRCreate, body)
	answer := map[string]any{"ticket": QRTicket(scene), "url": QRURL(scene)}
	if expire > 0 {
		answer["expire_seconds"] = expire
	}
	writeJSON(w, answer)
}
