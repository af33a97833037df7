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

// Keywords start the flow when a message is exactly one of them. A
// longer message goes to understanding, where the words count with what
// surrounds them: "维修基金怎么查" and "我不是要报修" start no request,
// "楼道灯不亮好几天了" starts one with its words kept.
var Keywords = []string{"报修", "维修", "诉求", "投诉", "反映", "求助",
	"我要报修", "我要维修", "我要投诉", "我要反映", "我要求助", "反映问题", "反映诉求", "报修诉求", "报修/诉求"}

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
		// What a stray "1" right after submitting is told was made.
		Submitted: "诉求已提交",
		Start: func(ctx context.Context, st *bot.State) error {
			if err := svc.MayFile(ctx, st.OpenID); err != nil {
				return err
			}
			// Photos sent before 报修 belong to this request.
			for _, ref := range st.TakeHeld() {
				if _, err := addPhoto(st, ref); err != nil {
					var keep *bot.KeepError
					if errors.As(err, &keep) {
						break // past the most a request carries
					}
					return err
				}
			}
			// "楼道灯不亮好几天了": the description, and the category to
			// ask about first.
			if u := st.Understood(); u != nil {
				if err := keepSaid(st, svc, u); err != nil {
					return err
				}
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
			guessStep(svc),
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
				PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
					if n := len(photos(st)); n > 0 {
						return fmt.Sprintf("已收到您发的 %d 张照片。请简单描述问题，打字或发语音都可以。", n), nil
					}
					return "请简单描述问题，打字或发语音都可以；也可以直接发照片。", nil
				},
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					if in.Msg.Kind == bot.KindImage {
						// A photo says what the problem is: take it as the
						// description; words may follow at the photo step.
						if _, err := addPhoto(st, photoRef(in.Msg)); err != nil {
							return bot.Answer{}, err
						}
						return bot.Answer{Display: byPhoto}, nil
					}
					return describe(in.Text, in.Msg)
				},
			},
			{
				Key: "photos", Label: "照片", Media: []bot.Kind{bot.KindImage},
				PromptFunc: func(ctx context.Context, st *bot.State) (string, error) {
					if n := len(photos(st)); n > 0 && st.Value("description") == "" {
						return fmt.Sprintf("已收到 %d 张照片。可以再用一句话说明问题，或继续发照片（最多 %d 张）；发完请回复 好了。", n, ticket.MaxPhotos), nil
					}
					if n := len(photos(st)); n > 0 {
						return fmt.Sprintf("已收到 %d 张照片，还可以继续发（最多 %d 张），发完请回复 好了。", n, ticket.MaxPhotos), nil
					}
					return fmt.Sprintf("可以发现场照片（最多 %d 张），发完请回复 好了；没有照片请回复 跳过。", ticket.MaxPhotos), nil
				},
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					if in.Msg.Kind == bot.KindImage {
						n, err := addPhoto(st, photoRef(in.Msg))
						if err != nil {
							return bot.Answer{}, err
						}
						return bot.Answer{}, bot.Keep(fmt.Sprintf("收到第 %d 张照片。可以继续发，发完请回复 好了。", n))
					}
					if !doneWords[in.Norm] && st.Value("description") == "" && len(photos(st)) > 0 {
						// The problem was told by a photo: these are its words.
						a, err := describe(in.Text, nil)
						if err != nil {
							return bot.Answer{}, err
						}
						st.Set("description", a)
						return bot.Answer{}, bot.Keep("已记下问题说明。还可以继续发照片，发完请回复 好了。")
					}
					if !doneWords[in.Norm] {
						return bot.Answer{}, moreWords(st, in)
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
				Prompt: "问题在哪里？请回复楼栋房号（如 3号楼2单元201）或地点（如 小区东门），也可以发送位置。",
				Help:   "楼栋可以写 3号楼、三号楼、3栋 或 3#；公共地方直接写地点，例如 小区东门。",
				// The registered address first: most problems are at home.
				Suggest: func(ctx context.Context, st *bot.State) (bot.Answer, bool, error) {
					addr, err := homeAddress(ctx, residents, st.OpenID)
					if err != nil || addr == "" {
						return bot.Answer{}, false, err
					}
					p, err := resolveAddress(ctx, dir, addr)
					if err != nil {
						return bot.Answer{}, false, err
					}
					return p.answer(), true, nil
				},
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					return parsePlace(ctx, dir, residents, st, in)
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
			st.SetRef(t.Number)
			var b strings.Builder
			fmt.Fprintf(&b, "已提交，编号:%s\n我们会在 %s 前联系您。", t.Number, bot.When(t.ResponseDue))
			if rc.SameIssue > 0 {
				here := "本楼"
				if t.BuildingID == 0 {
					here = "此处"
				}
				fmt.Fprintf(&b, "\n%s已有 %d 户反映同类问题，会一并处理。", here, rc.SameIssue)
			}
			fmt.Fprintf(&b, "\n回复 查询 %s 可查看进度。", t.Number)
			return bot.Text(b.String()), nil
		},
	}
}

// maxShown is how much of a description the summary shows: a WeChat
// reply carries 2048 bytes, and 500 characters of description (1,500
// bytes) beside a long place would not fit. Staff get it whole.
const maxShown = 200

// shown is a description as the summary shows it: cut to maxShown.
func shown(desc string) string { return cut(desc, maxShown) }

// cut shortens s to n characters, marking the cut.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// describe reads a description, typed or spoken.
func describe(text string, m *bot.Message) (bot.Answer, error) {
	a, err := input.Bounded(text, 2, 500, "请多说几个字，比如：3楼楼道灯不亮了。", "描述请不要超过 500 字。")
	if err == nil && len([]rune(a.Value)) > maxShown {
		a.Display = shown(a.Value)
	}
	if err == nil && m != nil && m.Kind == bot.KindVoice && m.MediaID != "" {
		// WeChat's recognition can be wrong: staff may want to hear what
		// the resident said.
		a.Items = []string{"media:" + m.MediaID}
	}
	return a, err
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

// byPhoto is how a description given as a photo is shown.
const byPhoto = "（见照片）"

// photoRef is how a photo message is kept: its PicUrl, else its media id.
func photoRef(m *bot.Message) string {
	if m.PicURL != "" {
		return m.PicURL
	}
	return "media:" + m.MediaID
}

// addPhoto keeps a photo; past ticket.MaxPhotos it refuses without a strike.
func addPhoto(st *bot.State, ref string) (int, error) {
	ps := photos(st)
	if len(ps) >= ticket.MaxPhotos {
		return len(ps), bot.Keep(fmt.Sprintf("最多只能发 %d 张照片，这张没有保存。请回复 好了 继续。", ticket.MaxPhotos))
	}
	ps = append(ps, ref)
	return len(ps), st.SetData("photos", ps)
}

// unsureWords say the resident does not know where: no public place.
var unsureWords = []string{"不知道", "不清楚", "说不清", "不确定", "忘了", "不晓得"}

var publicRe = regexp.MustCompile(`^公共区域[ :：,，]*(.*)$`)

// Words that mean the resident's home, and words that place a problem in
// or at their building without naming it.
var (
	homeWords     = []string{"我家", "家里", "家中", "我们家", "自己家", "俺家", "本户"}
	buildingWords = []string{"楼道", "楼下", "楼上", "楼梯", "本楼", "我们楼", "这栋楼", "单元门", "单元", "电梯", "地下室", "楼顶"}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// homeAddress is the address of the resident's profile ("" when none).
func homeAddress(ctx context.Context, residents bot.Residents, openid string) (string, error) {
	return input.FromProfile(residents, input.ProfileAddress)(ctx, openid)
}

// resolveAddress places an address as typed or registered: in its
// building when the community has it, else as the words given.
func resolveAddress(ctx context.Context, dir community.Directory, addr string) (place, error) {
	a, ok := input.ParseAddress(bot.Normalize(addr))
	if !ok {
		return place{Text: addr}, nil
	}
	b, err := dir.FindBuilding(ctx, a.Building)
	if errors.Is(err, bot.ErrNotFound) {
		return place{Text: addr}, nil
	}
	if err != nil {
		return place{}, err
	}
	return place{BuildingID: b.ID, Unit: a.Unit, Text: b.Name + strings.TrimPrefix(a.String(), fmt.Sprintf("%d号楼", a.Building))}, nil
}

// maxPlace is the longest place a resident may type: it is shown in the
// summary and to staff, beside a description of up to 500 characters,
// in replies of at most 2048 bytes.
const maxPlace = 100

// placeHint is the Data key of what the resident said before being asked
// which building ("楼道" → "几号楼？").
const placeHint = "place_hint"

// parsePlace reads where the problem is: a location; 公共区域 …; an
// address or a building among other words; "我家" (the registered
// address); words about the resident's building (楼道, 楼下: the
// registered building, else one short question which); anything else is
// a public place in the resident's words. It never lists the buildings.
func parsePlace(ctx context.Context, dir community.Directory, residents bot.Residents, st *bot.State, in bot.Input) (bot.Answer, error) {
	if loc := in.Msg.Location; in.Msg.Kind == bot.KindLocation && loc != nil {
		label := loc.Label
		if label == "" {
			label = "微信位置"
		}
		return place{Text: "位置：" + label, Lat: loc.Lat, Lng: loc.Lng}.answer(), nil
	}
	if len([]rune(in.Text)) > maxPlace {
		return bot.Answer{}, bot.Invalid(fmt.Sprintf("地点请简短说明，不超过 %d 字，例如：3号楼2单元201 或 小区东门。", maxPlace))
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
	var hint string
	_ = st.Data(placeHint, &hint)
	find := func(n int) *community.Building {
		for i := range buildings {
			if buildings[i].Number == n {
				return &buildings[i]
			}
		}
		return nil
	}
	// withHint adds what was said before the question (楼道) to the
	// building named in answer, once.
	withHint := func(p place) (bot.Answer, error) {
		if hint == "" {
			return p.answer(), nil
		}
		p.Text += " " + hint
		if u, ok := unitIn(bot.Normalize(hint)); ok && p.Unit == 0 {
			p.Unit = u
		}
		return p.answer(), st.SetData(placeHint, "")
	}

	if a, ok := input.ParseAddress(in.Norm); ok {
		b := find(a.Building)
		if b == nil {
			return bot.Answer{}, bot.Invalid(noSuchBuilding(a.Building, buildings))
		}
		return withHint(place{BuildingID: b.ID, Unit: a.Unit, Text: b.Name + strings.TrimPrefix(a.String(), fmt.Sprintf("%d号楼", a.Building))})
	}
	if n, ok := input.BuildingIn(in.Norm); ok {
		// "3号楼旁边的路灯": the building, and the resident's own words.
		b := find(n)
		if b == nil {
			return bot.Answer{}, bot.Invalid(noSuchBuilding(n, buildings))
		}
		return place{BuildingID: b.ID, Text: in.Text}.answer(), nil
	}
	if n, ok := bot.ParseNumber(in.Norm); ok {
		// A bare number is a building (the registered address is "1",
		// taken before this).
		b := find(n)
		if b == nil {
			return bot.Answer{}, bot.Invalid(noSuchBuilding(n, buildings))
		}
		return withHint(place{BuildingID: b.ID, Text: b.Name})
	}

	home, homeRel := containsAny(in.Norm, homeWords), containsAny(in.Norm, buildingWords)
	if home || homeRel {
		addr, err := homeAddress(ctx, residents, st.OpenID)
		if err != nil {
			return bot.Answer{}, err
		}
		if addr != "" {
			p, err := resolveAddress(ctx, dir, addr)
			if err != nil {
				return bot.Answer{}, err
			}
			if homeRel {
				// 楼道, 楼下, 我家楼下 …: the registered building and unit, in
				// the resident's words; not their room.
				if b := buildingOf(p, buildings); b != nil {
					p.Text = b.Name
					if u, ok := unitIn(in.Norm); ok {
						// "2单元楼道": that unit, whatever the resident's own.
						p.Unit = u
					} else if p.Unit > 0 {
						p.Text += strconv.Itoa(p.Unit) + "单元"
					}
				}
				p.Text += " " + in.Text
			}
			return p.answer(), nil
		}
		// No address on record: one short question, not a strike.
		if !homeRel {
			return bot.Answer{}, bot.Keep("请问您家是几号楼几单元几室？例如：3号楼2单元201。")
		}
		// 楼道, 楼下: kept to say where in the building it is.
		if err := st.SetData(placeHint, in.Text); err != nil {
			return bot.Answer{}, err
		}
		return bot.Answer{}, bot.Keep("请问是几号楼？例如：3号楼 或 3号楼2单元。")
	}
	if len([]rune(in.Text)) < 2 {
		return bot.Answer{}, bot.Invalid("请说明地点，例如：3号楼2单元201，或 小区东门。")
	}
	if containsAny(in.Norm, unsureWords) {
		// "不知道" is no place: ask once more, with the easy answers.
		return bot.Answer{}, bot.Keep("大概在哪儿都可以，例如：3号楼、小区东门、车棚旁边。也可以发送位置。")
	}
	// Names no building: a public place, in the resident's words.
	return place{Text: "公共区域：" + in.Text}.answer(), nil
}

var unitRe = regexp.MustCompile(`([0-9]+|[一二两三四五六七八九十]+)单元`)

// unitIn is the unit a text names ("2单元楼道", "三单元门口").
func unitIn(norm string) (int, bool) {
	m := unitRe.FindStringSubmatch(norm)
	if m == nil {
		return 0, false
	}
	n, ok := bot.ParseNumber(m[1])
	return n, ok && n > 0
}

// buildingOf is the building p is in, nil when none.
func buildingOf(p place, buildings []community.Building) *community.Building {
	for i := range buildings {
		if buildings[i].ID == p.BuildingID && p.BuildingID != 0 {
			return &buildings[i]
		}
	}
	return nil
}

// noSuchBuilding says a building number is not the community's, with the
// range of those that are when they run without gaps; never the list.
func noSuchBuilding(n int, buildings []community.Building) string {
	lo, hi := buildings[0].Number, buildings[0].Number
	for _, b := range buildings {
		lo, hi = min(lo, b.Number), max(hi, b.Number)
	}
	msg := fmt.Sprintf("没有找到 %d号楼。", n)
	if hi-lo+1 == len(buildings) {
		msg += fmt.Sprintf("本小区是 %d–%d 号楼，", lo, hi)
	}
	return msg + "请核对楼号，或直接说地点（如 小区东门）。"
}

// moreWords answers words at the photo step where the problem is already
// described. Residents add to what they said ("滴个不停") or type the
// address a step early; neither is a wrong answer, and three of them must
// not end the conversation. More words join the description; an address
// waits for the next step; only what says nothing is asked again, once.
func moreWords(st *bot.State, in bot.Input) error {
	const ask = "有照片请发送，发完回复 好了；没有照片请回复 跳过。"
	if _, ok := input.ParseAddress(in.Norm); ok {
		return bot.Keep("地址下一步再填。" + ask)
	}
	text := strings.TrimSpace(in.Text)
	if len([]rune(text)) < 2 || isKeyword(in.Norm) {
		return bot.Keep("这一步是发照片。" + ask)
	}
	desc := st.Answers["description"]
	joined := desc.Value + "；" + text
	if len([]rune(joined)) > 500 {
		return bot.Keep("问题描述已经很详细了。" + ask)
	}
	desc.Value, desc.Display = joined, shown(joined)
	st.Set("description", desc)
	return bot.Keep("已补充到问题描述。" + ask)
}

func isKeyword(norm string) bool {
	for _, k := range Keywords {
		if strings.Contains(norm, k) {
			return true
		}
	}
	return false
}
