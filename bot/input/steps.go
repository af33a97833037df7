package input

import (
	"context"
	"errors"
	"fmt"

	"github.com/tongxin/tongxin/bot"
)

// Remembered looks up a value the resident gave before (in their profile,
// in an earlier request): "" when there is none.
type Remembered func(ctx context.Context, openid string) (string, error)

// FromProfile remembers a field of the resident's profile in res.
func FromProfile(res bot.Residents, field func(bot.Resident) string) Remembered {
	return func(ctx context.Context, openid string) (string, error) {
		r, err := res.Resident(ctx, openid)
		if errors.Is(err, bot.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("input: remembered profile: %w", err)
		}
		return field(r), nil
	}
}

// ProfileName is the profile's name, for FromProfile.
func ProfileName(r bot.Resident) string { return r.Name }

// ProfilePhone is the profile's mobile number, for FromProfile.
func ProfilePhone(r bot.Resident) string { return r.Phone }

// ProfileAddress is the profile's address, for FromProfile.
func ProfileAddress(r bot.Resident) string { return r.Address }

// FirstOf tries each source in order and returns the first value found.
func FirstOf(sources ...Remembered) Remembered {
	return func(ctx context.Context, openid string) (string, error) {
		for _, src := range sources {
			v, err := src(ctx, openid)
			if err != nil || v != "" {
				return v, err
			}
		}
		return "", nil
	}
}

// PhoneStep asks for a mobile number, offering the remembered one
// ("回复 1 使用 138****8000") when there is one. The answer's value is the
// number, shown masked.
func PhoneStep(key, label, prompt string, remembered Remembered) *bot.Step {
	s := &bot.Step{
		Key: key, Label: label, Prompt: prompt,
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			p, ok := ParsePhone(in.Norm)
			if !ok {
				return bot.Answer{}, bot.Invalid(MsgBadPhone)
			}
			return bot.Answer{Value: p, Display: bot.MaskPhone(p)}, nil
		},
	}
	if remembered != nil {
		s.Suggest = func(ctx context.Context, st *bot.State) (bot.Answer, bool, error) {
			p, err := remembered(ctx, st.OpenID)
			if err != nil || p == "" {
				return bot.Answer{}, false, err
			}
			return bot.Answer{Value: p, Display: bot.MaskPhone(p)}, true, nil
		}
	}
	return s
}

// NameStep asks for a person's name (ParseName), offering the remembered
// one when there is one.
func NameStep(key, label, prompt string, remembered Remembered) *bot.Step {
	s := &bot.Step{
		Key: key, Label: label, Prompt: prompt,
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			name, err := ParseName(in.Text)
			return bot.Answer{Value: name}, err
		},
	}
	if remembered != nil {
		s.Suggest = func(ctx context.Context, st *bot.State) (bot.Answer, bool, error) {
			name, err := remembered(ctx, st.OpenID)
			if err != nil || name == "" {
				return bot.Answer{}, false, err
			}
			return bot.Answer{Value: name}, true, nil
		}
	}
	return s
}

// ChoiceStep asks the resident to pick one of a fixed list of options,
// numbered in order; the answer's value is the option itself.
func ChoiceStep(key, label, prompt string, options ...string) *bot.Step {
	return &bot.Step{
		Key: key, Label: label, Prompt: prompt,
		Choices: func(ctx context.Context, st *bot.State) ([]bot.Choice, error) {
			cs := make([]bot.Choice, len(options))
			for i, o := range options {
				cs[i] = bot.Choice{Value: o, Label: o}
			}
			return cs, nil
		},
	}
}

// TextStep asks for free text of min to max characters; tooShort and
// tooLong are the hints for answers outside those bounds ("" for a hint
// built from the bounds).
func TextStep(key, label, prompt string, min, max int, tooShort, tooLong string) *bot.Step {
	if tooShort == "" {
		tooShort = fmt.Sprintf("请至少写 %d 个字。", min)
	}
	if tooLong == "" {
		tooLong = fmt.Sprintf("请不要超过 %d 字。", max)
	}
	return &bot.Step{
		Key: key, Label: label, Prompt: prompt,
		Parse: func(ctx context.Context, st *bot.State, in bot.Input) (bot.Answer, error) {
			return Bounded(in.Text, min, max, tooShort, tooLong)
		},
	}
}

// Bounded accepts text of min to max characters, else an invalid answer
// with the matching hint.
func Bounded(text string, min, max int, tooShort, tooLong string) (bot.Answer, error) {
	switch n := len([]rune(text)); {
	case n < min:
		return bot.Answer{}, bot.Invalid(tooShort)
	case n > max:
		return bot.Answer{}, bot.Invalid(tooLong)
	}
	return bot.Answer{Value: text}, nil
}
