package mine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/community"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/handlers"
	"github.com/tongxin/tongxin/storage"
)

func (p *Pages) ticketRoutes(mux *http.ServeMux) {
	if p.Tickets == nil {
		return
	}
	mux.Handle("GET "+Path+"tickets/{number}", p.auth(p.ticket))
	mux.Handle("POST "+Path+"tickets/{number}/rate", p.auth(p.rate))
	mux.Handle("GET "+Path+"tickets/{number}/photos/{n}", p.auth(p.photo))
}

// photo is one of the ticket's photos on its page.
type photo struct {
	N   int
	URL string
}

type ticketData struct {
	Page
	Ticket   ticket.Ticket
	Timeline []ticket.Entry
	Photos   []photo
	// Pending counts photos not copied yet (or lost): said, not shown.
	Pending int
	// Rate offers the rating (the ticket is resolved).
	Rate   bool
	Rating string
}

// ratingNames are the ratings as the WeChat question numbers them.
var ratingNames = map[int]string{
	ticket.RatingSatisfied:    "满意",
	ticket.RatingBasically:    "基本满意",
	ticket.RatingDissatisfied: "不满意",
}

// view is the resident's own ticket: the service's access check (the
// policy lets its resident, its handler and dispatchers read it), then
// only as its resident: these pages are the resident's, so a staff member
// opening them sees no more than any resident would. Anything else is
// bot.ErrNotFound.
func (p *Pages) view(ctx context.Context, openid, number string) (ticket.Ticket, []ticket.Entry, error) {
	t, entries, err := p.Tickets.View(ctx, openid, number)
	if err != nil {
		return ticket.Ticket{}, nil, err
	}
	if !community.Resident(openid).MayRead(t.Record()) {
		return ticket.Ticket{}, nil, fmt.Errorf("mine: ticket %s: %w", number, bot.ErrNotFound)
	}
	return t, entries, nil
}

func (p *Pages) ticket(w http.ResponseWriter, r *http.Request, openid string) {
	ctx := r.Context()
	number := r.PathValue("number")
	t, entries, err := p.view(ctx, openid, number)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	d := ticketData{Page: p.page(r, "诉求 "+t.Number, "home"), Ticket: t, Timeline: entries,
		Rate: t.Status == ticket.Resolved, Rating: ratingNames[t.Rating]}
	if p.Media != nil {
		ms, err := p.Media.List(ctx, t.ID)
		if err != nil {
			p.Logger.ErrorContext(ctx, "resident page: ticket media", "ticket", t.Number, "err", err)
		}
		for _, m := range ms {
			if m.Kind != ticket.MediaPhoto {
				continue
			}
			if m.Status == storage.MediaStored {
				d.Photos = append(d.Photos, photo{N: m.N, URL: fmt.Sprintf("%stickets/%s/photos/%d", Path, t.Number, m.N)})
			} else if m.Status != storage.MediaErased {
				d.Pending++
			}
		}
	}
	p.render(w, r, http.StatusOK, "ticket.html", d)
}

// rate is the rating form: the same service call as the resident's
// answer to the rating question in WeChat, with the reason.
func (p *Pages) rate(w http.ResponseWriter, r *http.Request, openid string) {
	number := r.PathValue("number")
	back := Path + "tickets/" + number
	rating, _ := strconv.Atoi(r.PostFormValue("rating"))
	t, err := p.Tickets.RateWhy(r.Context(), openid, number, rating, r.PostFormValue("reason"))
	if err != nil {
		if errors.Is(err, bot.ErrNotFound) {
			p.fail(w, r, err)
			return
		}
		p.failTo(w, r, back, err)
		return
	}
	msg := "感谢您的评价！"
	if t.Status == ticket.Reopened {
		msg = "已收到，诉求已重新交办，我们会尽快处理。"
	}
	p.done(w, r, back, msg)
}

// photo serves one photo of the resident's own ticket.
func (p *Pages) photo(w http.ResponseWriter, r *http.Request, openid string) {
	ctx := r.Context()
	number := r.PathValue("number")
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > 99 || p.Media == nil {
		http.NotFound(w, r)
		return
	}
	if _, _, err := p.view(ctx, openid, number); err != nil {
		if !errors.Is(err, bot.ErrNotFound) {
			p.Logger.ErrorContext(ctx, "resident page: photo", "err", err)
		}
		http.NotFound(w, r)
		return
	}
	rc, m, err := p.Media.Open(ctx, number, n)
	if err != nil || m.Kind != ticket.MediaPhoto {
		if err == nil {
			rc.Close()
		} else if !errors.Is(err, bot.ErrNotFound) {
			p.Logger.ErrorContext(ctx, "resident page: photo", "err", err)
		}
		http.NotFound(w, r)
		return
	}
	defer rc.Close()
	if err := handlers.ServeMedia(w, number, n, m, rc); err != nil {
		p.Logger.WarnContext(ctx, "serving a photo cut short", "ticket", number, "n", n, "err", err)
	}
}
