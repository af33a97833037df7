package bot_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tongxin/tongxin/bot"
)

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bot.Code
	}{
		{nil, ""},
		{errors.New("disk full"), bot.CodeInternal},
		{fmt.Errorf("op: %w", bot.ErrNotFound), bot.CodeNotFound},
		{fmt.Errorf("op: %w", bot.ErrConflict), bot.CodeConflict},
		{bot.Say("请说明地点。"), bot.CodeInvalid},
		{fmt.Errorf("op: %w", bot.FieldError("phone", "手机号不对")), bot.CodeInvalid},
		{fmt.Errorf("op: %w", bot.Refuse("编号 %s 已办结。", "2611260001")), bot.CodeConflict},
		{&bot.UserError{Message: "没有找到。", Err: bot.ErrNotFound}, bot.CodeNotFound},
		{&bot.UserError{Code: bot.CodeForbidden, Message: "仅限工作人员。", Err: bot.ErrNotFound}, bot.CodeForbidden},
		{&bot.UserError{Message: "x"}, bot.CodeInvalid},
	} {
		if got := bot.ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	err := fmt.Errorf("op: %w", bot.FieldError("phone", "手机号不对"))
	var ue *bot.UserError
	if !errors.As(err, &ue) || ue.Field != "phone" || bot.UserMessage(err) != "手机号不对" {
		t.Errorf("field error: %v", err)
	}
	if got := bot.UserMessage(errors.New("secret detail")); got != bot.MsgInternal {
		t.Errorf("UserMessage of an internal error = %q", got)
	}
	if got := bot.UserMessage(bot.Refuse("编号 %s 已办结。", "2611260001")); got != "编号 2611260001 已办结。" {
		t.Errorf("Refuse formats: %q", got)
	}
}
