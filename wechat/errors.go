package wechat

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"

	"github.com/silenceper/wechat/v2/util"
)

// WeChat API error codes callers are expected to act on.
const (
	// CodeInvalidToken: the access_token is invalid or not the latest.
	CodeInvalidToken = 40001
	// CodeTokenExpired: the access_token has expired.
	CodeTokenExpired = 42001
	// CodeOutOfWindow: the resident has not written in the last 48 hours,
	// so customer-service messages cannot reach them.
	CodeOutOfWindow = 45015
	// CodeQuotaExceeded: the customer-service message quota is used up.
	CodeQuotaExceeded = 45047
	// CodeSystemBusy: WeChat asks to retry later.
	CodeSystemBusy = -1
)

// APIError is an error answered by the official-account API
// ({"errcode":X,"errmsg":"..."}), whichever way the SDK reported it.
type APIError struct {
	Code int
	Msg  string
}

// Error returns the code and WeChat's message, which carries no personal
// data.
func (e *APIError) Error() string {
	return "wechat api errcode " + strconv.Itoa(e.Code) + ": " + e.Msg
}

// TokenInvalid reports whether the call failed because of the
// access_token, so that invalidating it and retrying once may succeed.
func (e *APIError) TokenInvalid() bool {
	return e.Code == CodeInvalidToken || e.Code == CodeTokenExpired
}

func isTokenError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.TokenInvalid()
}

// errcodeRE matches the SDK's plain-string API errors, e.g.
// "customer msg send error : errcode=45015 , errmsg=response out of time limit".
var errcodeRE = regexp.MustCompile(`(?s)errcode\s*=\s*(-?\d+)\s*,\s*err(?:or)?msg\s*=\s*(.*)$`)

// classify is the one place SDK errors are turned into *APIError, and where
// access tokens and secrets are scrubbed from anything else (the SDK puts
// the full request URL into its errors).
func classify(err error) error {
	if err == nil {
		return nil
	}
	if p := parseAPI(err); p != nil {
		return p
	}
	return redact(err)
}

// parseAPI returns err if it already holds an *APIError or *statusError,
// such an error parsed from the SDK's ways of reporting one, or nil.
func parseAPI(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		return err
	}
	var se *statusError
	if errors.As(err, &se) {
		return err
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return &APIError{Code: int(ce.ErrCode), Msg: ce.ErrMsg}
	}
	if m := errcodeRE.FindStringSubmatch(err.Error()); m != nil {
		if code, perr := strconv.Atoi(m[1]); perr == nil {
			return &APIError{Code: code, Msg: m[2]}
		}
	}
	if m := statusRE.FindStringSubmatch(err.Error()); m != nil {
		if code, perr := strconv.Atoi(m[2]); perr == nil {
			return &statusError{Code: code, Path: uriPath(m[1])}
		}
	}
	return nil
}

// statusRE matches the SDK's errors for a non-200 answer, e.g.
// "http get error : uri=https://...?access_token=... , statusCode=503".
var statusRE = regexp.MustCompile(`uri=(\S*)\s*,\s*statusCode=(\d+)`)

// statusError is an HTTP answer other than 200 from the API or a proxy in
// front of it. The SDK's message carries the whole URL with the token, so
// only the path is kept.
type statusError struct {
	Code int
	Path string
}

func (e *statusError) Error() string {
	s := "wechat api: HTTP " + strconv.Itoa(e.Code)
	if e.Path != "" {
		s += " from " + e.Path
	}
	return s
}

func uriPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// Stages of a call that stageError marks, so that Classify and Reason can
// tell a wrong AppSecret from a rejected token, and Redis from WeChat.
const (
	stageFetch = "access_token"
	stageRedis = "redis"
)

// stageError marks where in a call err happened without changing its
// text.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

// secretRE stops at quotes too, because url.Error quotes the URL.
var secretRE = regexp.MustCompile(`((?:access_token|secret)=)[^&\s,"']*`)

func redactString(s string) string { return secretRE.ReplaceAllString(s, "${1}REDACTED") }

// redact keeps *url.Error (and so timeouts and context errors) in the chain
// while removing credentials from its URL. An error with nothing to remove
// is returned as it is, so redacting twice keeps the chain (and the
// stageError marks in it) intact.
func redact(err error) error {
	msg := redactString(err.Error())
	if msg == err.Error() {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		clean := &url.Error{Op: ue.Op, URL: redactString(ue.URL), Err: ue.Err}
		if ue == err {
			return clean
		}
		return &redactedError{msg: msg, err: clean}
	}
	return errors.New(msg)
}

// redactedError is a chain whose text had credentials removed; it unwraps
// to the cleaned *url.Error, never to the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
