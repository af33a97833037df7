// Package contact answers "网格员电话", "物业电话", "社区电话" (and 联系方式)
// with a contact card: the resident's own grid worker (through their
// registered address, its building and grid), the property company and
// the community office with its hours, from the configuration.
package contact

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/flows"
)

// Words are what asks for the card, anywhere in a message.
var Words = []string{"网格员电话", "网格员的电话", "物业电话", "物业的电话", "社区电话", "居委会电话", "联系方式", "值班电话"}

// Register adds the card's keywords.
func Register(r *bot.Router, d flows.Deps) error {
	h := bot.HandlerFunc(func(ctx context.Context, m *bot.Message) (bot.Reply, error) {
		text, err := Card(ctx, d, m.OpenID)
		if changing(m.Text) {
			// "我想修改联系方式" is about their own number, not ours.
			text = "要修改您登记的电话，请回复 登记 重新填写。\n\n" + text
		}
		return bot.Text(text), err
	})
	for _, w := range Words {
		if err := r.Contains(w, h); err != nil {
			return err
		}
	}
	if err := registerIntents(r, h); err != nil {
		return err
	}
	return r.Exact("电话", h)
}

var buildingRe = regexp.MustCompile(`^(\d{1,4})号楼`)

// Card is the contact card for the resident with openid.
func Card(ctx context.Context, d flows.Deps, openid string) (string, error) {
	lines := []string{"【联系方式】"}
	grid, err := gridLine(ctx, d, openid)
	if err != nil {
		return "", err
	}
	lines = append(lines, grid)
	l := d.Lines
	if l.PropertyPhone != "" || l.PropertyHotline != "" {
		name := l.PropertyName
		if name == "" {
			name = "物业"
		}
		var nums []string
		if l.PropertyPhone != "" {
			nums = append(nums, l.PropertyPhone)
		}
		if l.PropertyHotline != "" {
			nums = append(nums, "24 小时 "+l.PropertyHotline)
		}
		lines = append(lines, name+"："+strings.Join(nums, "，"))
	}
	if l.CommunityPhone != "" {
		s := "社区电话：" + l.CommunityPhone
		if l.OfficeHours != "" {
			s += "（" + l.OfficeHours + "）"
		}
		lines = append(lines, s)
	} else if l.OfficeHours != "" {
		lines = append(lines, "社区办公时间："+l.OfficeHours)
	}
	lines = append(lines, "紧急情况请拨打 119 / 120 / 110。")
	return strings.Join(lines, "\n"), nil
}

// gridLine names the resident's grid worker, or says how to find them.
func gridLine(ctx context.Context, d flows.Deps, openid string) (string, error) {
	var res bot.Resident
	if d.Residents != nil {
		var err error
		res, err = d.Residents.Resident(ctx, openid)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return "", fmt.Errorf("contact: %w", err)
		}
	}
	m := buildingRe.FindStringSubmatch(res.Address)
	if m == nil {
		return "网格员：登记住址后可查到您的网格员，请回复 登记。", nil
	}
	n, _ := strconv.Atoi(m[1])
	if d.Community == nil {
		return "网格员：请咨询社区。", nil
	}
	st, err := d.Community.GridWorker(ctx, n)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return fmt.Sprintf("网格员：%d号楼暂未分配网格员，请联系社区。", n), nil
	case err != nil:
		return "", fmt.Errorf("contact: %w", err)
	case st.WorkPhone == "":
		return fmt.Sprintf("您的网格员（%d号楼）：%s，可回复 人工 请他联系您。", n, st.Name), nil
	}
	return fmt.Sprintf("您的网格员（%d号楼）：%s %s", n, st.Name, st.WorkPhone), nil
}

// changing reports whether text asks to change a number (修改联系方式,
// 电话换了) rather than for ours.
func changing(text string) bool {
	for _, w := range []string{"改", "换", "更新", "变了"} {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}
