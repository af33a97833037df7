package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// ErrInvalidRequest is wrapped by errors for a request the client refuses
// to send (a missing openid, template id or text): resending cannot help.
var ErrInvalidRequest = errors.New("invalid request")

// Action is what a failed send means for delivery. Classify is the only
// place that decides it, so the outbox worker, metrics and operators agree.
type Action int

// Actions, from "nothing went wrong" to "stop trying".
const (
	// ActionNone: no error, the message was accepted.
	ActionNone Action = iota
	// ActionRetry: a transient failure (WeChat busy or rate limiting,
	// HTTP 5xx, timeouts, network errors); send again after a backoff.
	// The message may have reached WeChat before a timeout, which is why
	// template sends carry a client_msg_id.
	ActionRetry
	// ActionRefresh: WeChat still rejected the access_token after the
	// client had already replaced it once; a later retry may succeed.
	ActionRefresh
	// ActionFallback: this channel cannot reach the recipient now
	// (45015 outside the 48-hour window, 45047 quota); try another one.
	ActionFallback
	// ActionGiveUp: a permanent refusal (unsubscribed, bad openid, bad
	// template, invalid arguments, wrong credentials, any errcode not
	// known to be transient). Resending changes nothing until an operator
	// acts, so mark the notification failed with Reason.
	ActionGiveUp
)

// String returns the label used in logs and metrics.
func (a Action) String() string {
	switch a {
	case ActionNone:
		return "none"
	case ActionRetry:
		return "retry"
	case ActionRefresh:
		return "refresh"
	case ActionFallback:
		return "fallback"
	case ActionGiveUp:
		return "give_up"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Errcodes beyond the exported ones that Classify treats as transient.
const (
	codeAPIFreqLimit = 45009 // daily call limit of the API reached
	codeMinuteQuota  = 45011 // per-minute quota reached: "retry next minute"
)

// Classify says what err, returned by this package's Client or straight
// from the SDK, means for delivery. Errors it does not recognise (network
// failures, unreadable answers, Redis trouble) count as transient: the
// outbox caps retries, while giving up on them would lose messages every
// time the network hiccups.
func Classify(err error) Action {
	if err == nil {
		return ActionNone
	}
	if p := parseAPI(err); p != nil {
		err = p
	}
	if errors.Is(err, ErrInvalidRequest) {
		return ActionGiveUp
	}
	var ae *APIError
	if errors.As(err, &ae) {
		// Failing to get an access_token (wrong secret, server IP not on
		// the whitelist: 40164) is the account's trouble, not the
		// message's: every queued message would fail alike, and all go
		// out once an operator fixes it. Keep them queued.
		if stageOf(err) == stageFetch {
			return ActionRetry
		}
		switch ae.Code {
		case CodeSystemBusy, codeAPIFreqLimit, codeMinuteQuota:
			return ActionRetry
		case CodeInvalidToken, CodeTokenExpired:
			return ActionRefresh
		case CodeOutOfWindow, CodeQuotaExceeded:
			return ActionFallback
		}
		return ActionGiveUp
	}
	var se *statusError
	if errors.As(err, &se) {
		// 408 and 429 come from proxies and gateways under load; other
		// 4xx mean the API base or a proxy is misconfigured.
		if se.Code >= 500 || se.Code == 408 || se.Code == 429 {
			return ActionRetry
		}
		return ActionGiveUp
	}
	return ActionRetry
}

// Reason is a short, operator-readable reason for err, e.g.
// "43004 require subscribe", "HTTP 503", "timeout" or
// "redis: connection refused". It never contains tokens, secrets or
// message content, so it can go into logs and the notifications ledger. It is "" for a nil err.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	if p := parseAPI(err); p != nil {
		err = p
	}
	r := reason(err)
	if st := stageOf(err); st != "" {
		r = st + ": " + r
	}
	return r
}

func reason(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		if m := shortMsg(ae.Msg); m != "" {
			return strconv.Itoa(ae.Code) + " " + m
		}
		return strconv.Itoa(ae.Code)
	}
	var se *statusError
	if errors.As(err, &se) {
		return "HTTP " + strconv.Itoa(se.Code)
	}
	var (
		ne  net.Error
		dns *net.DNSError
		se1 *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, ErrInvalidRequest):
		return "invalid request"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.As(err, &dns):
		return "DNS lookup failed"
	case errors.As(err, &se1), errors.As(err, &te), strings.Contains(err.Error(), "json Unmarshal Error"):
		return "unreadable answer"
	case errors.As(err, &ne):
		return "network error"
	}
	return truncate(redactString(err.Error()), 120)
}

// stageOf is the stage err was marked with, "" if none.
func stageOf(err error) string {
	var st *stageError
	if errors.As(err, &st) {
		return st.stage
	}
	return ""
}

// shortMsg drops WeChat's per-request trace ids ("rid: ...", "hint: [...]")
// so that the same failure always has the same reason.
func shortMsg(msg string) string {
	for _, cut := range []string{" rid:", " hint:", ", hints:", " hints:"} {
		if i := strings.Index(msg, cut); i >= 0 {
			msg = msg[:i]
		}
	}
	return truncate(strings.TrimRight(strings.TrimSpace(msg), ",;."), 60)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
