// Package profile is the resident profile flow (姓名, 手机, 住址, 身份,
// 特殊情况) and the "我的信息" view. It is the demonstration flow of the
// engine: it uses validation, remembered values, runtime choices, an
// optional step and the 1/2/0 summary, and it stores through bot.Residents.
package profile

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows/address"
)

// Name is the flow's name in sessions and metrics.
const Name = "profile"

// Roles are the household roles offered, in order.
var Roles = []string{"户主", "家庭成员", "租户", "其他"}

var mobile = regexp.MustCompile(`^1[3-9]\d{9}$`)

// ParsePhone validates a mainland mobile number, tolerating spaces, dashes
// and a +86 prefix.
func ParsePhone(norm string) (string, bool) {
	p := strings.NewReplacer(" ", "", "-", "").Replace(norm)
	if len(p) == 13 || len(p) == 14 {
		p = strings.TrimPrefix(strings.TrimPrefix(p, "+"), "86")
	}
	return p, mobile.MatchString(p)
}

func parseName(text string) (string, error) {
	name := strings.TrimSpace(text)
	n := len([]rune(name))
	if n < 2 || n > 20 {
		return "", bot.Invalid("姓名请填写 2 到 20 个字。")
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && r != '·' && r != ' ' && r != '•' {
			return "", bot.Invalid("姓名只能包含文字，请重新输入。")
		}
	}
	return name, nil
}

// remembered offers a stored field of the resident back to them.
func remembered(res bot.Residents, field func(bot.Resident) (bot.Answer, bool)) func(context.Context, *bot.State) (bot.Answer, bool, error) {
	return func(ctx context.Context, st *bot.State) (bot.Answer, bool, error) {
		r, err := res.Resident(ctx, st.OpenID)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Answer{}, false, nil
		}
		if err != nil {
			return bot.Answer{}, false, err
		}
		a, ok := field(r)
		return a, ok, nil
	}
}

// New returns the profile flow storing into res.
func New(res bot.Residents) *bot.Flow {
	return &bot.Flow{
		Name:  Name,
		Title: "登记个人信息",
		Intro: "登记后，以后报修、报名会自动带出您的信息（约 1 分钟）。",
		Help:  "您的信息只用于社区联系您，不会公开。",
		Steps: []*bot.Step{
			{
				Key: "name", Label: "姓名", Prompt: "请问您怎么称呼？请填写真实姓名。",
				Suggest: remembered(res, func(r bot.Resident) (bot.Answer, bool) {
					return bot.Answer{Value: r.Name}, r.Name != ""
				}),
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					name, err := parseName(in.Text)
					return bot.Answer{Value: name}, err
				},
			},
			{
				Key: "phone", Label: "手机", Prompt: "请输入您的手机号（11 位）。",
				Help: "手机号用于工作人员联系您，例如 13800138000。",
				Suggest: remembered(res, func(r bot.Resident) (bot.Answer, bool) {
					return bot.Answer{Value: r.Phone, Display: bot.MaskPhone(r.Phone)}, r.Phone != ""
				}),
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					p, ok := ParsePhone(in.Norm)
					if !ok {
						return bot.Answer{}, bot.Invalid("手机号应为 11 位数字，以 1 开头，例如 13800138000。")
					}
					return bot.Answer{Value: p, Display: bot.MaskPhone(p)}, nil
				},
			},
			{
				Key: "address", Label: "住址", Prompt: "请问您住在哪里？例如：3号楼2单元201",
				Help: "按 楼号+单元+房号 填写，例如 3号楼2单元201，也可以写 3-2-201。",
				Suggest: remembered(res, func(r bot.Resident) (bot.Answer, bool) {
					return bot.Answer{Value: r.Address}, r.Address != ""
				}),
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					a, ok := address.Parse(in.Norm)
					if !ok {
						return bot.Answer{}, bot.Invalid("没看懂这个地址，请按 楼号+单元+房号 填写，例如 3号楼2单元201。")
					}
					return bot.Answer{Value: a.String()}, nil
				},
			},
			{
				Key: "role", Label: "身份", Prompt: "您是这户的：",
				Choices: func(ctx context.Context, st *bot.State) ([]bot.Choice, error) {
					cs := make([]bot.Choice, len(Roles))
					for i, r := range Roles {
						cs[i] = bot.Choice{Value: r, Label: r}
					}
					return cs, nil
				},
			},
			{
				Key: "note", Label: "特殊情况", Optional: true,
				Prompt: "家里有需要社区特别关照的情况吗？例如独居老人、行动不便。",
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					if n := len([]rune(in.Text)); n == 0 || n > 100 {
						return bot.Answer{}, bot.Invalid("请用 100 字以内说明，或回复 跳过。")
					}
					return bot.Answer{Value: in.Text}, nil
				},
			},
		},
		Submit: func(ctx context.Context, st *bot.State) (bot.Reply, error) {
			err := res.SaveProfile(ctx, bot.Resident{
				OpenID:  st.OpenID,
				Name:    st.Value("name"),
				Phone:   st.Value("phone"),
				Address: st.Value("address"),
				Role:    st.Value("role"),
				Note:    st.Value("note"),
			})
			if err != nil {
				return bot.Reply{}, fmt.Errorf("profile: save: %w", err)
			}
			return bot.Text("已保存，谢谢！以后办事会自动带出您的信息。\n回复 我的信息 可随时查看。"), nil
		},
	}
}

// Mine shows the resident what the community has on record for them.
func Mine(res bot.Residents) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		r, err := res.Resident(ctx, m.OpenID)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return bot.Reply{}, fmt.Errorf("profile: mine: %w", err)
		}
		if r.Name == "" {
			return bot.Text("您还没有登记个人信息。\n回复 登记 开始，约 1 分钟。"), nil
		}
		note := r.Note
		if note == "" {
			note = "无"
		}
		return bot.Text(fmt.Sprintf("您登记的信息：\n姓名：%s\n手机：%s\n住址：%s\n身份：%s\n特殊情况：%s\n回复 登记 可修改。",
			r.Name, bot.MaskPhone(r.Phone), r.Address, r.Role, note)), nil
	})
}
