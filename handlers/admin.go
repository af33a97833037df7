package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers/httpjson"
	"github.com/tongxin/tongxin/storage"
)

// Notifications is what the admin API reads of the notifications ledger.
type Notifications interface {
	ListNotifications(ctx context.Context, status string, limit, offset int) ([]storage.Notification, error)
}

// Retrier puts a failed notification back in the queue (notify.Outbox).
type Retrier interface {
	Retry(ctx context.Context, id int64) error
}

var notificationStatuses = map[string]bool{
	"": true, storage.NotificationPending: true, storage.NotificationSent: true,
	storage.NotificationFailed: true, storage.NotificationDropped: true,
}

// listNotifications serves GET /api/v1/notifications?status=&limit=&offset=.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if !notificationStatuses[status] {
		writeError(w, http.StatusBadRequest, "invalid", "status: must be one of pending, sent, failed, dropped")
		return
	}
	limit, ok := intParam(w, q.Get("limit"), "limit", 50, 1, 200)
	if !ok {
		return
	}
	offset, ok := intParam(w, q.Get("offset"), "offset", 0, 0, 1<<30)
	if !ok {
		return
	}
	rows, err := s.Notifications.ListNotifications(r.Context(), status, limit, offset)
	if err != nil {
		s.internal(w, r, "list notifications", err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"notifications": rows, "limit": limit, "offset": offset})
}

// retryNotification serves POST /api/v1/notifications/{id}/retry.
func (s *Server) retryNotification(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "invalid", "id: must be a positive whole number")
		return
	}
	err = s.Retrier.Retry(r.Context(), id)
	switch {
	case errors.Is(err, bot.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no notification with that id")
	case errors.Is(err, bot.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", "only failed or dropped notifications whose content was not erased can be retried")
	case err != nil:
		s.internal(w, r, "retry notification", err)
	default:
		httpjson.Write(w, http.StatusAccepted, map[string]any{"id": id, "status": storage.NotificationPending})
	}
}
