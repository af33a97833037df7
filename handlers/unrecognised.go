package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers/httpjson"
	"github.com/tongxin/tongxin/storage"
)

// UnrecognisedTexts reads the texts nothing understood (storage.Store),
// masked when they were kept.
type UnrecognisedTexts interface {
	// UnrecognisedTexts returns the texts of the days from from
	// (included) to to (excluded), most frequent first, at most limit.
	UnrecognisedTexts(ctx context.Context, from, to time.Time, limit int) ([]storage.UnrecognisedText, error)
}

// unrecognisedDays is the period listed when the request names none: the
// last week, today included.
const unrecognisedDays = 7

// unrecognisedRoutes adds the texts nothing understood to the admin API
// mux.
func (s *Server) unrecognisedRoutes(api *http.ServeMux) {
	if s.Unrecognised == nil {
		return
	}
	api.HandleFunc("GET /api/v1/unrecognised", s.listUnrecognised)
}

// listUnrecognised serves GET /api/v1/unrecognised?from=&to=&limit=: what
// residents asked that the bot did not understand, masked (no digit runs,
// no names), most frequent first, so that operators know which words to
// teach it ([bot.words], [bot.contains]). from and to are days
// (YYYY-MM-DD, Asia/Shanghai, both included); without them the last seven
// days, and either alone spans seven days from or to it. limit is 1–500,
// 100 by default.
func (s *Server) listUnrecognised(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, ok := dateRange(w, q.Get("from"), q.Get("to"))
	if !ok {
		return
	}
	limit, ok := intParam(w, q.Get("limit"), "limit", 100, 1, 500)
	if !ok {
		return
	}
	switch {
	case from.IsZero() && to.IsZero():
		y, m, d := time.Now().In(bot.Shanghai).Date()
		to = time.Date(y, m, d+1, 0, 0, 0, 0, bot.Shanghai)
		from = to.AddDate(0, 0, -unrecognisedDays)
	case from.IsZero():
		from = to.AddDate(0, 0, -unrecognisedDays)
	case to.IsZero():
		to = from.AddDate(0, 0, unrecognisedDays)
	}
	texts, err := s.Unrecognised.UnrecognisedTexts(r.Context(), from, to, limit)
	if err != nil {
		s.fail(w, r, "list unrecognised texts", err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"from":  from.Format(time.DateOnly),
		"to":    to.AddDate(0, 0, -1).Format(time.DateOnly),
		"texts": texts,
	})
}
