package handlers

// This file is the admin API's plumbing, shared by every domain's
// endpoints: JSON in (the JSON out is httpjson's, which Open311 shares),
// the admin error shape, query parameters, date ranges, and the one
// mapping from a service error's code to an HTTP status.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/handlers/httpjson"
)

// maxJSONBody bounds an admin API request body; the largest is a grid with
// its buildings, far below this.
const maxJSONBody = 1 << 20

// writeError writes the admin API's error shape.
func writeError(w http.ResponseWriter, code int, errCode, msg string) {
	httpjson.Write(w, code, map[string]any{"error": map[string]string{"code": errCode, "message": msg}})
}

// decodeJSON reads the body into v, refusing unknown fields and anything
// after the object. It writes the 4xx naming the field and reports false
// when the body is not acceptable.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errors.New("trailing data")
		}
	}
	if err == nil {
		return true
	}
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooLong *http.MaxBytesError
	)
	msg := "body: must be one JSON object and nothing after it"
	switch {
	case errors.As(err, &tooLong):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body: must be at most %d bytes", tooLong.Limit))
		return false
	case errors.Is(err, io.EOF):
		msg = "body: is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "body: malformed JSON (cut short)"
	case errors.As(err, &syntax):
		msg = fmt.Sprintf("body: malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			msg = "body: must be a JSON object"
		} else {
			msg = fmt.Sprintf("%s: must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if uq, uerr := strconv.Unquote(name); uerr == nil {
			name = uq
		}
		msg = name + ": unknown field"
	}
	writeError(w, http.StatusBadRequest, "invalid", msg)
	return false
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "slice", k == "array":
		return "a list"
	case k == "map", k == "struct":
		return "an object"
	case k == "bool":
		return "true or false"
	}
	return k
}

// intParam reads a whole-number query parameter within lo..hi (def when
// absent), writing the 400 itself and reporting false on a bad value.
func intParam(w http.ResponseWriter, v, name string, def, lo, hi int) (int, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		writeError(w, http.StatusBadRequest, "invalid", name+": must be a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
		return 0, false
	}
	return n, true
}

// dateRange reads from and to as YYYY-MM-DD days in Asia/Shanghai, both
// included: it returns the start of from and the start of the day after
// to, zero for a bound not given.
func dateRange(w http.ResponseWriter, fromS, toS string) (from, to time.Time, ok bool) {
	var err error
	if fromS != "" {
		if from, err = time.ParseInLocation(time.DateOnly, fromS, bot.Shanghai); err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "from: must be a date as YYYY-MM-DD")
			return from, to, false
		}
	}
	if toS != "" {
		if to, err = time.ParseInLocation(time.DateOnly, toS, bot.Shanghai); err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "to: must be a date as YYYY-MM-DD")
			return from, to, false
		}
		to = to.AddDate(0, 0, 1)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		writeError(w, http.StatusBadRequest, "invalid", "to: must not be before from")
		return from, to, false
	}
	return from, to, true
}

// statuses maps the code a service gave its error to the HTTP status.
var statuses = map[bot.Code]int{
	bot.CodeInvalid:   http.StatusBadRequest,
	bot.CodeNotFound:  http.StatusNotFound,
	bot.CodeConflict:  http.StatusConflict,
	bot.CodeForbidden: http.StatusForbidden,
}

// fail answers an error of a service with the status its code names and
// the person-safe message: "field: message" for bad input naming a field,
// the *bot.UserError's message otherwise, a generic sentence for
// sentinels without one. Anything else is logged and answered 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, op string, err error) {
	code := bot.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		if errors.Is(err, context.Canceled) {
			// The client went away; nobody reads the answer.
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		s.internal(w, r, op, err)
		return
	}
	var ue *bot.UserError
	msg := ""
	if errors.As(err, &ue) {
		msg = ue.Message
		if ue.Field != "" {
			msg = ue.Field + ": " + msg
		}
	}
	if msg == "" {
		msg = map[bot.Code]string{
			bot.CodeNotFound: "no such record",
			bot.CodeConflict: "conflicts with the current state",
		}[code]
	}
	writeError(w, status, string(code), msg)
}

// internal logs err and answers 500 without its details.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, op string, err error) {
	s.Logger.ErrorContext(r.Context(), op, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "Internal error.")
}
