// Package profile is the resident profile flow (姓名, 手机, 住址, 身份,
// 特殊情况) and the "我的信息" view. It is the demonstration flow of the
// engine: it uses validation, remembered values, runtime choices, an
// optional step and the 1/2/0 summary, and it stores through bot.Residents.
package profile

import (
	"context"
	"errors"
	"fmt"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
	"github.com/tongxin/tongxin/bot/input"
)

// Name is the flow's name in sessions and metrics.
const Name = "profile"

// Roles are the household roles offered, in order.
var Roles = []string{"户主", "家庭成员", "租户", "其他"}

// New returns the profile flow storing into res.
func New(res bot.Residents) *bot.Flow {
	phone := input.PhoneStep("phone", "手机", "请输入您的手机号（11 位）。", input.FromProfile(res, input.ProfilePhone))
	phone.Help = "手机号用于工作人员联系您，例如 13800138000。"
	const noteHint = "请用 100 字以内说明，或回复 跳过。"
	note := input.TextStep("note", "特殊情况", "家里有需要社区特别关照的情况吗？例如独居老人、行动不便。", 1, 100, noteHint, noteHint)
	note.Optional = true
	return &bot.Flow{
		Name:  Name,
		Title: "登记个人信息",
		Intro: "登记后，以后报修、报名会自动带出您的信息（约 1 分钟）。",
		Help:  "您的信息只用于社区联系您，不会公开。",
		Steps: []*bot.Step{
			input.NameStep("name", "姓名", "请问您怎么称呼？请填写真实姓名。", input.FromProfile(res, input.ProfileName)),
			phone,
			{
				Key: "address", Label: "住址", Prompt: "请问您住在哪里？例如：3号楼2单元201",
				Help: "按 楼号+单元+房号 填写，例如 3号楼2单元201，也可以写 3-2-201。",
				Suggest: func(ctx context.Context, st *bot.State) (bot.Answer, bool, error) {
					a, err := input.FromProfile(res, input.ProfileAddress)(ctx, st.OpenID)
					return bot.Answer{Value: a}, a != "", err
				},
				Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
					a, ok := input.ParseAddress(in.Norm)
					if !ok {
						return bot.Answer{}, bot.Invalid("没看懂这个地址，请按 楼号+单元+房号 填写，例如 3号楼2单元201。")
					}
					return bot.Answer{Value: a.String()}, nil
				},
			},
			input.ChoiceStep("role", "身份", "您是这户的：", Roles...),
			note,
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

// Register adds the profile flow (登记, 修改信息, 登记信息, the QR scene
// "profile") and the MY menu action (我的信息) to r.
func Register(r *bot.Router, d flows.Deps) error {
	if err := r.Flow(New(d.Residents)); err != nil {
		return err
	}
	start := r.StartFlow(Name)
	if err := r.Keywords(
		bot.Keyword{Word: "登记", Handler: start},
		bot.Keyword{Word: "修改信息", Handler: start},
		bot.Keyword{Word: "登记信息", Handler: start},
	); err != nil {
		return err
	}
	if err := r.Scene("profile", r.SceneFlow(Name)); err != nil {
		return err
	}
	return r.Action(bot.MenuEntry{Key: "MY", Label: "我的信息", Handler: Mine(d.Residents)})
}
