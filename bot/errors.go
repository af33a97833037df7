package bot

import (
	"errors"
	"fmt"
)

// Code classifies an error for the edges: the webhook shows a
// *UserError's message to the person, the admin API maps the code to an
// HTTP status. The service that refuses decides the code; no edge guesses
// it from the call site.
type Code string

// Codes.
const (
	// CodeInvalid is bad input (400); the error names the field when it
	// can.
	CodeInvalid Code = "invalid"
	// CodeNotFound is an unknown record (404).
	CodeNotFound Code = "not_found"
	// CodeConflict is a change the rules or the current state refuse: 办结
	// before 受理, a full event, a used code (409).
	CodeConflict Code = "conflict"
	// CodeForbidden is a person asking for what they may not do (403).
	CodeForbidden Code = "forbidden"
	// CodeInternal is anything else: a fault on our side (500).
	CodeInternal Code = "internal"
)

// UserError is an error whose Message is safe and meant to be shown to the
// person who asked. Err, when set, is the cause for the logs.
type UserError struct {
	// Code classifies the refusal; empty means CodeInvalid.
	Code Code
	// Field names the input at fault, for the admin API ("phone").
	Field   string
	Message string
	Err     error
}

// Error returns the user message, with the field and the cause when there
// are.
func (e *UserError) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *UserError) Unwrap() error { return e.Err }

// Say returns a *UserError showing msg (a fixed sentence) to the person,
// as bad input.
func Say(msg string) error { return &UserError{Code: CodeInvalid, Message: msg} }

// Refuse returns a *UserError (CodeConflict) telling the person why the
// rules or the current state refuse what they asked, formatted as by
// fmt.Sprintf.
func Refuse(format string, args ...any) error {
	return &UserError{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a *UserError (CodeInvalid) for bad input in field,
// showing msg.
func FieldError(field, msg string) error {
	return &UserError{Code: CodeInvalid, Field: field, Message: msg}
}

// ErrorCode classifies err: the code a *UserError in its chain was given,
// else not_found or conflict for the sentinels, invalid for a *UserError
// without a code, internal for anything else.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var ue *UserError
	isUser := errors.As(err, &ue)
	switch {
	case isUser && ue.Code != "":
		return ue.Code
	case errors.Is(err, ErrNotFound):
		return CodeNotFound
	case errors.Is(err, ErrConflict):
		return CodeConflict
	case isUser:
		return CodeInvalid
	}
	return CodeInternal
}

// UserMessage returns the text to show for err: the message of a *UserError
// in its chain, or the generic apology for anything else.
func UserMessage(err error) string {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Message
	}
	return MsgInternal
}

// MsgInternal is what a resident sees when something broke on our side.
const MsgInternal = "抱歉，系统暂时出了点问题，请稍后再试。急事请拨打社区电话。"
