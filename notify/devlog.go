package notify

import (
	"context"
	"regexp"
	"strings"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/storage"
)

// sendLog is development's only channel (Config.LogOnly): it logs what
// the recipient would have read, masked, so that a newcomer trying the
// service sees what staff and residents receive without a real account.
func (o *Outbox) sendLog(ctx context.Context, n storage.Notification, p payload) error {
	o.log.InfoContext(ctx, "notification (development: logged, nothing sent)",
		"id", n.ID, "kind", n.Kind, "to", recipientForLog(n.Recipient), "staff", n.Staff,
		"text", o.maskedText(ctx, n, p))
	o.keepLogged(ctx, n, p)
	return nil
}

// recipientForLog is a role as it is, an openid shortened.
func recipientForLog(to string) string {
	if isRole(to) {
		return to
	}
	return bot.ShortID(to)
}

// maskedText is a notice's text fit for a log: the masked text its author
// wrote for a group (GroupText) when there is one, else its text with
// mobile numbers (138****8000), addresses below the building (3号楼**)
// and the name of the resident it is about (王*) masked.
func (o *Outbox) maskedText(ctx context.Context, n storage.Notification, p payload) string {
	text := p.Text
	if p.GroupText != "" {
		text = p.GroupText
	}
	if n.Subject != "" {
		// Only a name of two or more characters: one would mask every
		// occurrence of a common character.
		if r, err := o.store.Resident(ctx, n.Subject); err == nil && len([]rune(r.Name)) > 1 {
			text = strings.ReplaceAll(text, r.Name, bot.MaskName(r.Name))
		}
	}
	return maskText(text)
}

var (
	// digitRun finds numbers; a mobile is a run of exactly eleven digits
	// starting 1[3-9] (ticket numbers have ten, starting with the year).
	digitRun = regexp.MustCompile(`\d+`)
	mobile   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	// room is an address below its building: 3号楼2单元201室.
	room = regexp.MustCompile(`(\d{1,3}号楼)\d+单元\d+室?`)
)

// maskText masks mobile numbers and addresses below the building in s.
func maskText(s string) string {
	s = digitRun.ReplaceAllStringFunc(s, func(d string) string {
		if mobile.MatchString(d) {
			return bot.MaskPhone(d)
		}
		return d
	})
	return room.ReplaceAllString(s, "${1}**")
}
