// Package report is the service-request conversation (诉求/报修): the flow
// a resident files a request with, and the resident's commands on their
// requests (我的诉求, 查询, 催办, 补充, and the rating after 办结). It talks
// to requests only through ticket.Service.
package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/input"
	"github.com/tongxin/tongxin/bot/ticket"
)

// Name is the flow's name in sessions and metrics.
const Name = "report"

// Keywords start the flow when they appear anywhere in a message.
var Keywords = []string{"报修", "维修", "诉求", "投诉", "反映", "求助"}

// place is the where-answer, kept as JSON in the answer's value.
type place struct {
	BuildingID int64   `json:"b,omitempty"`
	Unit       int     `json:"u,omitempty"`
	Text       string  `json:"t"`
	Lat        float64 `json:"lat,omitempty"`
	Lng        float64 `json:"lng,omitempty"`
}

func (p place) answer() bot.Answer {
	raw, _ := json.Marshal(p)
	return bot.Answer{Value: string(raw), Display: p.Text}
}

var doneWords = map[string]bool{"好了": true, "完成": true, "好": true, "发完了": true, "没有了": true, "跳过": true, "没有": true, "无": true}

// New returns the flow filing requests through svc, with places from dir;
// residents supplies the remembered phone number.
func New(svc ticket.Service, dir community.Directory, residents bot.Residents) *bot.Flow {
	return &bot.Flow{
		Name:  Name,
		Title: "反映诉求",
		Intro: "您好，我来帮您登记诉求，社区工作人员会尽快处理。",
		Help:  "依次选择类型、描述问题、发照片、说明地点、留电话，最后确认提交。",
		Start: func(ctx context.Context, st *bot.State) error {
			if err := svc.MayFile(ctx, st.OpenID); err != nil {
				return err
			}
			// A QR code on a building ("report:3") already says where.
			if st.Param == "" {
				return nil
			}
			n, err := strconv.Atoi(st.Param)
			if err != nil {
				return nil
			}
			b, err := dir.FindBuilding(ctx, n)
			if errors.Is(err, bot.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			st.Set("where", place{BuildingID: b.ID, Text: b.Name}.answer())
			return nil
		},
		Steps: []*bot.Step{
			{
				Key: "category", Label: "类型", Prompt: "请选择问题类型：",
				Choices: func(ctx context.Context, st *bot.State) ([]bot.Choice, error) {
					var cs []bot.Choice
					for _, c := range svc.Categories() {
						cs = append(cs, bot.Choice{Value: c.Key, Label: c.Name})
					}
					return cs, nil
				},
			},
			{
				Key: "description", Label: "问题", Media: []bot.Kind{bot.KindImage},
				Prompt: "请简单描述问题，打字或发语音都可以。",
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					if in.Msg.Kind == bot.KindImage {
						n, err := addPhoto(st, in.Msg)
						if err != nil {
							return bot.Answer{}, err
						}
						return bot.Answer{}, bot.Keep(fmt.Sprintf("收到第 %d 张照片。请再用文字或语音说一下是什么问题。", n))
					}
					a, err := input.Bounded(in.Text, 2, 500, "请多说几个字，比如：3楼楼道灯不亮了。", "描述请不要超过 500 字。")
					if err == nil && in.Msg.Kind == bot.KindVoice && in.Msg.MediaID != "" {
						// WeChat's recognition can be wrong: staff may
						// want to hear what the resident said.
						a.Items = []string{"media:" + in.Msg.MediaID}
					}
					return a, err
				},
			},
			{
				Key: "photos", Label: "照片", Media: []bot.Kind{bot.KindImage},
				PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
					if n := len(photos(st)); n > 0 {
						return fmt.Sprintf("已收到 %d 张照片，还可以继续发（最多 %d 张），发完请回复 好了。", n, ticket.MaxPhotos), nil
					}
					return fmt.Sprintf("可以发现场照片（最多 %d 张），发完请回复 好了；没有照片请回复 跳过。", ticket.MaxPhotos), nil
				},
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					if in.Msg.Kind == bot.KindImage {
						n, err := addPhoto(st, in.Msg)
						if err != nil {
							return bot.Answer{}, err
						}
						return bot.Answer{}, bot.Keep(fmt.Sprintf("收到第 %d 张照片。可以继续发，发完请回复 好了。", n))
					}
					if !doneWords[in.Norm] {
						return bot.Answer{}, bot.Invalid("请发送照片，发完回复 好了；没有照片请回复 跳过。")
					}
					ps := photos(st)
					if len(ps) == 0 {
						return bot.Answer{Display: "无"}, nil
					}
					return bot.Answer{Value: strconv.Itoa(len(ps)), Display: fmt.Sprintf("%d 张", len(ps)), Items: ps}, nil
				},
			},
			{
				Key: "where", Label: "地点", Media: []bot.Kind{bot.KindLocation},
				Prompt: "问题在哪里？请回复楼栋和房号，例如：3号楼2单元201。\n公共区域请回复 公共区域+地点，例如：公共区域 东门广场。\n也可以直接发送位置。",
				Help:   "楼栋可以写 3号楼、三号楼、3栋 或 3#。",
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					return parsePlace(ctx, dir, st, in)
				},
			},
			input.PhoneStep("phone", "电话", "请留下联系电话（11 位手机号）。",
				// The phone of the resident's profile, else of their last request.
				input.FirstOf(input.FromProfile(residents, input.ProfilePhone), lastPhone(svc))),
		},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			var p place
			if err := json.Unmarshal([]byte(st.Value("where")), &p); err != nil {
				return bot.Reply{}, fmt.Errorf("report: where: %w", err)
			}
			name := ""
			if r, err := residents.Resident(ctx, st.OpenID); err == nil {
				name = r.Name
			}
			rc, err := svc.Submit(ctx, ticket.Draft{
				OpenID: st.OpenID, Name: name, Phone: st.Value("phone"),
				Category: st.Value("category"), Description: st.Value("description"),
				Photos: st.Answers["photos"].Items, Voice: voice(st), BuildingID: p.BuildingID, Unit: p.Unit,
				Place: p.Text, Lat: p.Lat, Lng: p.Lng, Source: "wechat", Key: st.DraftKey(),
			})
			if err != nil {
				return bot.Reply{}, err
			}
			t := rc.Ticket
			var b strings.Builder
			fmt.Fprintf(&b, "已提交，编号:%s\n我们会在 %s 前联系您。", t.Number, bot.When(t.ResponseDue))
			if rc.SameIssue > 0 {
				fmt.Fprintf(&b, "\n本楼已有 %d 户反映同类问题，会一并处理。", rc.SameIssue)
			}
			fmt.Fprintf(&b, "\n回复 查询 %s 可查看进度。", t.Number)
			return bot.Text(b.String()), nil
		},
	}
}

// lastPhone remembers the phone of the resident's latest request.
func lastPhone(svc ticket.Service) input.Remembered {
	return func(ctx context.Context, openid string) (string, error) {
		ts, err := svc.Mine(ctx, openid, 1)
		if err != nil || len(ts) == 0 {
			return "", err
		}
		return ts[0].Phone, nil
	}
}

// voice is the voice message the description was told in, if it was.
func voice(st *bot.State) string {
	if items := st.Answers["description"].Items; len(items) > 0 {
		return items[0]
	}
	return ""
}

func photos(st *bot.State) []string {
	var ps []string
	_ = st.Data("photos", &ps)
	return ps
}

// addPhoto keeps a photo; past ticket.MaxPhotos it refuses without a strike.
func addPhoto(st *bot.State, m *bot.Message) (int, error) {
	ps := photos(st)
	if len(ps) >= ticket.MaxPhotos {
		return len(ps), bot.Keep(fmt.Sprintf("最多只能发 %d 张照片，这张没有保存。请回复 好了 继续。", ticket.MaxPhotos))
	}
	ref := m.PicURL
	if ref == "" {
		ref = "media:" + m.MediaID
	}
	ps = append(ps, ref)
	return len(ps), st.SetData("photos", ps)
}

var publicRe = regexp.MustCompile(`^公共区域[ :：,，]*(.*)$`)

func parsePlace(ctx context.Context, dir community.Directory, st *bot.State, in bot.Input) (bot.Answer, error) {
	if loc := in.Msg.Location; in.Msg.Kind == bot.KindLocation && loc != nil {
		label := loc.Label
		if label == "" {
			label = "微信位置"
		}
		return place{Text: "位置：" + label, Lat: loc.Lat, Lng: loc.Lng}.answer(), nil
	}
	if m := publicRe.FindStringSubmatch(in.Norm); m != nil {
		desc := strings.TrimSpace(m[1])
		if len([]rune(desc)) < 2 {
			return bot.Answer{}, bot.Invalid("请说明公共区域的具体位置，例如：公共区域 东门广场。")
		}
		return place{Text: "公共区域：" + desc}.answer(), nil
	}
	buildings, err := dir.Buildings(ctx)
	if err != nil {
		return bot.Answer{}, err
	}
	if len(buildings) == 0 {
		// No building list yet: take the address as given.
		if len([]rune(in.Text)) < 2 {
			return bot.Answer{}, bot.Invalid("请说明地点，例如：3号楼2单元201。")
		}
		return place{Text: in.Text}.answer(), nil
	}
	// After the list was shown, a number picks from it.
	var shown []int64
	if st.Data("buildings", &shown) == nil {
		if n, ok := bot.ParseNumber(in.Norm); ok && n >= 1 && n <= len(shown) {
			for _, b := range buildings {
				if b.ID == shown[n-1] {
					return place{BuildingID: b.ID, Text: b.Name}.answer(), nil
				}
			}
		}
	}
	if a, ok := input.ParseAddress(in.Norm); ok {
		for _, b := range buildings {
			if b.Number == a.Building {
				text := b.Name + strings.TrimPrefix(a.String(), fmt.Sprintf("%d号楼", a.Building))
				return place{BuildingID: b.ID, Unit: a.Unit, Text: text}.answer(), nil
			}
		}
	} else if n, ok := input.BuildingIn(in.Norm); ok {
		// "3号楼旁边的路灯": the building, and the resident's own words.
		for _, b := range buildings {
			if b.Number == n {
				return place{BuildingID: b.ID, Text: in.Text}.answer(), nil
			}
		}
	}
	var list strings.Builder
	list.WriteString("没有找到这个楼栋。请回复序号选择楼栋：")
	ids := make([]int64, len(buildings))
	for i, b := range buildings {
		ids[i] = b.ID
		fmt.Fprintf(&list, "\n%d %s", i+1, b.Name)
	}
	list.WriteString("\n公共区域请回复 公共区域+地点。")
	if err := st.SetData("buildings", ids); err != nil {
		return bot.Answer{}, err
	}
	return bot.Answer{}, bot.Invalid(list.String())
}
