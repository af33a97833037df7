package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/storage"
)

// signupsPage is the resident's page of their sign-ups (handlers/mine), which
// their notices link to: relative, the outbox puts the public URL in
// front.
const signupsPage = "/my/signups"

// Notice kinds.
const (
	kindOffer    = "activity_offer"
	kindPromoted = "activity_promoted"
	kindLapsed   = "activity_lapsed"
)

// residentNews is the group (bot.Notice.Replaces) of the resident's news
// of one activity: each says where their sign-up stands now, so a newer
// one drops those still held (quiet hours): a lapse drops the offer it
// ends. The ledger matches a group with its recipient, so the group
// names the activity only: an openid in it would outlive the resident's
// erasure (the notify hook blanks recipients and payloads, not groups).
// The openid parameter stays so callers need not change.
func residentNews(activityID int64, _ string) string {
	return fmt.Sprintf("activity:%d", activityID)
}

// when formats a time as residents read it: "12-01 周二 09:00".
func when(t time.Time) string {
	t = t.In(bot.Shanghai)
	return t.Format("01-02 ") + bot.Weekday(t) + t.Format(" 15:04")
}

// tell queues news of su for its resident, in tx; a sign-up without
// WeChat (made by staff) has nobody to tell.
func (s *Service) tell(ctx context.Context, tx *storage.Tx, su activity.Signup, kind, text, asks string) error {
	if s.outbox == nil || su.OpenID == "" {
		return nil
	}
	n := bot.Notice{
		Kind: kind, To: su.OpenID, About: su.OpenID, Text: text, URL: signupsPage,
		Key:      fmt.Sprintf("%s:%d", kind, su.ID),
		Replaces: residentNews(su.ActivityID, su.OpenID), Asks: asks,
	}
	if _, err := s.outbox.Enqueue(ctx, tx, n); err != nil {
		return fmt.Errorf("queueing %s: %w", kind, err)
	}
	return nil
}

// offerText asks the resident to take the seats held for them.
func offerText(a activity.Activity, su activity.Signup, until time.Time) string {
	return fmt.Sprintf("「%s」有空位了（%s）。\n已为您保留 %d 个名额至 %s。\n回复 1 或「接受」确认参加\n回复 2 或「放弃」让给下一位",
		a.Title, when(a.StartsAt), su.PartySize, when(until))
}

// promotedText tells the resident the waiting list got them in.
func promotedText(a activity.Activity, su activity.Signup) string {
	return fmt.Sprintf("候补成功！「%s」（%s）已为您确认 %d 个名额。\n签到码:%s", a.Title, when(a.StartsAt), su.PartySize, su.CheckinCode)
}

// lapsedText tells the resident their offer passed on.
func lapsedText(a activity.Activity) string {
	return fmt.Sprintf("「%s」的名额保留已过期，已让给下一位。如仍想参加，可重新报名候补。", a.Title)
}

// withdrawOffer drops the resident's offer of su not yet delivered: they
// answered it.
func (s *Service) withdrawOffer(ctx context.Context, tx *storage.Tx, su activity.Signup, why string) error {
	if s.outbox == nil || su.OpenID == "" {
		return nil
	}
	_, err := s.outbox.Withdraw(ctx, tx, su.OpenID, residentNews(su.ActivityID, su.OpenID), why)
	return err
}
