package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/ticket"
	"github.com/tongxin/tongxin/storage"
)

// Media is what the admin API reads of the copies of tickets' photos and
// voice messages (media.Service).
type Media interface {
	// List returns the media of ticket ticketID, in order.
	List(ctx context.Context, ticketID int64) ([]ticket.Media, error)
	// Open returns media n of the ticket with number for reading, or
	// bot.ErrNotFound (with the Media, when it exists but has no copy).
	Open(ctx context.Context, number string, n int) (io.ReadCloser, ticket.Media, error)
}

// mediaItem is a ticket's media as the ticket JSON lists it: url is
// where a stored copy is served, behind the admin token like the rest.
type mediaItem struct {
	ticket.Media
	URL string `json:"url,omitempty"`
}

// mediaRoutes adds the media endpoint to the admin API mux.
func (s *Server) mediaRoutes(api *http.ServeMux) {
	if s.Media == nil || s.Tickets == nil {
		return
	}
	api.HandleFunc("GET /api/v1/tickets/{number}/media/{n}", s.getMedia)
}

// ticketMedia lists the media of ticket t for its JSON; nil when the
// media service is not wired.
func (s *Server) ticketMedia(ctx context.Context, t ticket.Ticket) ([]mediaItem, error) {
	if s.Media == nil {
		return nil, nil
	}
	ms, err := s.Media.List(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	out := make([]mediaItem, len(ms))
	for i, m := range ms {
		out[i] = mediaItem{Media: m}
		if m.Status == storage.MediaStored {
			out[i].URL = fmt.Sprintf("/api/v1/tickets/%s/media/%d", t.Number, m.N)
		}
	}
	return out, nil
}

// getMedia serves GET /api/v1/tickets/{number}/media/{n}: the copy of a
// photo or voice message, as it was sent.
func (s *Server) getMedia(w http.ResponseWriter, r *http.Request) {
	number, ok := pathNumber(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > 99 {
		writeError(w, http.StatusBadRequest, "invalid", "n: a media number is a whole number from 1")
		return
	}
	rc, m, err := s.Media.Open(r.Context(), number, n)
	if errors.Is(err, bot.ErrNotFound) {
		msg := fmt.Sprintf("ticket %s has no media %d", number, n)
		switch m.Status {
		case storage.MediaPending:
			msg = fmt.Sprintf("media %d of ticket %s is not copied yet", n, number)
		case storage.MediaFailed:
			msg = fmt.Sprintf("media %d of ticket %s could not be copied: %s", n, number, m.Error)
		case storage.MediaErased:
			msg = fmt.Sprintf("media %d of ticket %s was erased", n, number)
		}
		writeError(w, http.StatusNotFound, string(bot.CodeNotFound), msg)
		return
	}
	if err != nil {
		s.fail(w, r, "open media", err)
		return
	}
	defer rc.Close()
	if err := ServeMedia(w, number, n, m, rc); err != nil {
		s.Logger.WarnContext(r.Context(), "serving media cut short", "ticket", number, "n", n, "err", err)
	}
}

// ServeMedia writes media n of ticket number, read from rc, with the
// headers every page that shows one uses (the admin API, the console,
// the resident pages): residents' photos are never cached on the way or
// left in a shared office PC's browser after an erasure, and never
// sniffed into anything but what they are; a voice message (AMR), which
// no browser plays, is a download. Its error is only the copy's.
func ServeMedia(w http.ResponseWriter, number string, n int, m ticket.Media, rc io.Reader) error {
	h := w.Header()
	h.Set("Content-Type", m.ContentType)
	if m.Size > 0 {
		h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	}
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disposition := "inline"
	if m.Kind != ticket.MediaPhoto {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": fmt.Sprintf("%s-%d%s", number, n, extension(m.ContentType))}))
	_, err := io.Copy(w, rc)
	return err
}

// extension names a file of contentType for a download.
func extension(contentType string) string {
	switch contentType {
	case "image/jpeg":
		return ".jpg"
	case "audio/amr":
		return ".amr"
	}
	if exts, _ := mime.ExtensionsByType(contentType); len(exts) > 0 {
		return exts[0]
	}
	return ""
}
