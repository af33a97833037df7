package wechat

import (
	"errors"
	"fmt"
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
	var ae *APIError
	if errors.As(err, &ae) {
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
	return redact(err)
}

var secretRE = regexp.MustCompile(`((?:access_token|secret)=)[^&\s,]*`)

func redactString(s string) string { return secretRE.ReplaceAllString(s, "${1}REDACTED") }

// redact keeps *url.Error (and so timeouts and context errors) in the chain
// while removing credentials from its URL.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		clean := &url.Error{Op: ue.Op, URL: redactString(ue.URL), Err: ue.Err}
		if ue == err {
			return clean
		}
		return fmt.Errorf("%s: %w", redactString(err.Error()), clean.Err)
	}
	if s := redactString(err.Error()); s != err.Error() {
		return errors.New(s)
	}
	return err
}
