// Package httpjson writes JSON answers: the one encoding the admin API
// (package handlers) and the Open311 adapter (handlers/open311) share, so
// that both send the same Content-Type and encoder settings.
//
// It does not shape errors nor read requests: each API has its own error
// body (the admin API's {"error":{...}} object, Open311's error array) and
// its own rules for what it accepts.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Write answers v as JSON with the status code. An encoding error is not
// reported: the status is already sent, and v is always one of our own
// types.
func Write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
