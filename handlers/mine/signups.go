package mine

import (
	"context"
	"net/http"
	"strconv"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/activity"
	"github.com/tongxin/tongxin/handlers/web"
)

func (p *Pages) signupRoutes(mux *http.ServeMux) {
	if p.Activities == nil {
		return
	}
	mux.Handle("GET "+Path+"signups", p.auth(p.signups))
	mux.Handle("GET "+Path+"signups/{id}/qr.png", p.auth(p.signupQR))
	mux.Handle("POST "+Path+"signups/{id}/cancel", p.auth(p.signupAct(p.Activities.Cancel, "已取消报名，名额已让给候补的居民。")))
	mux.Handle("POST "+Path+"signups/{id}/accept", p.auth(p.signupAct(p.Activities.Accept, "名额已为您确认！")))
	mux.Handle("POST "+Path+"signups/{id}/decline", p.auth(p.signupAct(p.Activities.Decline, "已放弃这个名额。")))
}

// signupView is one sign-up as the page shows it.
type signupView struct {
	activity.Booking
	// Code shows the check-in code and its QR: only with seats held.
	Code bool
	// Cancel offers cancelling: before the start, not checked in (the
	// service has the last word).
	Cancel bool
	// Offer offers to take or give up the seats offered.
	Offer bool
}

type signupsData struct {
	Page
	Signups []signupView
}

// signups lists the resident's sign-ups for events not yet over, soonest
// first, each with its check-in code as a QR code staff at the door read.
func (p *Pages) signups(w http.ResponseWriter, r *http.Request, openid string) {
	bs, err := p.Activities.Mine(r.Context(), openid)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	now := p.Now()
	d := signupsData{Page: p.page(r, "我的报名", "signups")}
	for _, b := range bs {
		st := b.Signup.Status
		if !st.Active() {
			continue
		}
		d.Signups = append(d.Signups, signupView{Booking: b,
			Code:   (st == activity.Confirmed || st == activity.Attended) && b.Signup.CheckinCode != "",
			Cancel: st != activity.Attended && now.Before(b.Activity.StartsAt),
			Offer:  st == activity.Offered,
		})
	}
	p.render(w, r, http.StatusOK, "signups.html", d)
}

// own finds the resident's active sign-up id among their own.
func (p *Pages) ownSignup(r *http.Request, openid string) (activity.Booking, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return activity.Booking{}, bot.ErrNotFound
	}
	bs, err := p.Activities.Mine(r.Context(), openid)
	if err != nil {
		return activity.Booking{}, err
	}
	for _, b := range bs {
		if b.Signup.ID == id && b.Signup.OpenID == openid {
			return b, nil
		}
	}
	return activity.Booking{}, bot.ErrNotFound
}

// signupQR is the QR code of the check-in code: the six digits staff
// check a resident in with (签到 <code> in WeChat, the console's check-in
// by code, where a handheld scanner types what it reads). The venue's own
// check-in QR (scene checkin:<id>) is the other way round: residents scan
// it. Only the resident's own sign-up with seats held has one.
func (p *Pages) signupQR(w http.ResponseWriter, r *http.Request, openid string) {
	b, err := p.ownSignup(r, openid)
	st := b.Signup.Status
	if err != nil || (st != activity.Confirmed && st != activity.Attended) || b.Signup.CheckinCode == "" {
		http.NotFound(w, r)
		return
	}
	web.QRPNG(w, b.Signup.CheckinCode, 240)
}

// signupAct is a resident's action on their sign-up, as 取消报名 and the
// answers to an offer make it in WeChat; the service checks that it is
// theirs and that it may still be done.
func (p *Pages) signupAct(act func(ctx context.Context, openid string, id int64) (activity.Signup, error), msg string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, openid string) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			p.fail(w, r, bot.ErrNotFound)
			return
		}
		if _, err := act(r.Context(), openid, id); err != nil {
			if bot.ErrorCode(err) == bot.CodeNotFound {
				p.fail(w, r, err)
				return
			}
			p.failTo(w, r, Path+"signups", err)
			return
		}
		p.done(w, r, Path+"signups", msg)
	}
}
