package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		in   error
		want *APIError
	}{
		{"CommonError", util.NewCommonError("SetMenu", 40018, "invalid button name size"), &APIError{40018, "invalid button name size"}},
		{"wrapped CommonError", fmt.Errorf("x: %w", util.NewCommonError("a", 45015, "response out of time limit")), &APIError{45015, "response out of time limit"}},
		{"message manager string", errors.New("customer msg send error : errcode=45047 , errmsg=out of response count limit"), &APIError{45047, "out of response count limit"}},
		{"token string", errors.New("get access_token error : errcode=40013 , errormsg=invalid appid"), &APIError{40013, "invalid appid"}},
		{"negative code", errors.New("x error : errcode=-1 , errmsg=system error"), &APIError{-1, "system error"}},
		{"already classified", &APIError{42001, "expired"}, &APIError{42001, "expired"}},
		{"not an API error", errors.New("connection refused"), nil},
	}
	for _, tt := range tests {
		got := classify(tt.in)
		var ae *APIError
		if tt.want == nil {
			if errors.As(got, &ae) {
				t.Errorf("%s: classify = %v, want no APIError", tt.name, got)
			}
			continue
		}
		if !errors.As(got, &ae) || *ae != *tt.want {
			t.Errorf("%s: classify = %#v, want %#v", tt.name, got, tt.want)
		}
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
}

func TestClassifyRedactsCredentials(t *testing.T) {
	ue := &url.Error{Op: "Post", URL: "https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=SECRET_TOKEN", Err: context.DeadlineExceeded}
	got := classify(ue)
	if strings.Contains(got.Error(), "SECRET_TOKEN") {
		t.Errorf("token leaked: %v", got)
	}
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("cause lost: %v", got)
	}
	wrapped := classify(fmt.Errorf("get: %w", &url.Error{Op: "Get", URL: "https://h/cgi-bin/token?appid=a&secret=TOPSECRET", Err: io.ErrUnexpectedEOF}))
	if strings.Contains(wrapped.Error(), "TOPSECRET") || !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Errorf("wrapped url.Error: %v", wrapped)
	}
	plain := classify(errors.New("http post error : uri=https://h/x?access_token=SECRET_TOKEN , statusCode=502"))
	if strings.Contains(plain.Error(), "SECRET_TOKEN") || !strings.Contains(plain.Error(), "HTTP 502") {
		t.Errorf("string error: %v", plain)
	}
}

func TestTokenTTL(t *testing.T) {
	for in, want := range map[int64]time.Duration{
		7200: 6900 * time.Second,
		600:  300 * time.Second,
		400:  200 * time.Second,
		1:    time.Minute,
		0:    time.Minute,
	} {
		if got := tokenTTL(in); got != want {
			t.Errorf("tokenTTL(%d) = %v, want %v", in, got, want)
		}
	}
}

func TestTransportRewritesOnlyTheAPIHost(t *testing.T) {
	seen := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Host + " " + r.URL.RequestURI()
		_, _ = io.WriteString(w, `{"errcode":0}`)
	}))
	defer srv.Close()
	if err := setAPI(srv.URL+"/proxy/", time.Minute); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = setAPI(DefaultAPIBase, DefaultTimeout) }()
	body, err := util.HTTPGetContext(context.Background(), "https://api.weixin.qq.com/cgi-bin/menu/get?access_token=a%2Bb&x=1")
	if err != nil || string(body) != `{"errcode":0}` {
		t.Fatalf("HTTPGet = %s, %v", body, err)
	}
	want := strings.TrimPrefix(srv.URL, "http://") + " /proxy/cgi-bin/menu/get?access_token=a%2Bb&x=1"
	if got := <-seen; got != want {
		t.Errorf("server saw %q, want %q", got, want)
	}

	// Another host is left alone (here: the fake itself, reached directly).
	if _, err := util.HTTPGetContext(context.Background(), srv.URL+"/direct"); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; !strings.HasSuffix(got, " /direct") {
		t.Errorf("direct request seen as %q", got)
	}
}

func TestTransportTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	if err := setAPI(srv.URL, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = setAPI(DefaultAPIBase, DefaultTimeout) }()
	_, err := util.HTTPGetContext(context.Background(), "https://api.weixin.qq.com/cgi-bin/token")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("HTTPGet against a hung server = %v, want a deadline error", err)
	}
}

func TestClassifySDKStrings(t *testing.T) {
	tests := []struct {
		name   string
		in     error
		action Action
		reason string
	}{
		{"template send string", errors.New("template msg send error : errcode=43004 , errmsg=require subscribe rid: 6512ab-1c2d"), ActionGiveUp, "43004 require subscribe"},
		{"template bad id", errors.New("template msg send error : errcode=40037 , errmsg=invalid template_id hint: [abc]"), ActionGiveUp, "40037 invalid template_id"},
		{"template busy", errors.New("template msg send error : errcode=-1 , errmsg=system error"), ActionRetry, "-1 system error"},
		{"template 48h", errors.New("template msg send error : errcode=45015 , errmsg=response out of time limit"), ActionFallback, "45015 response out of time limit"},
		{"unknown errcode", errors.New("template msg send error : errcode=48001 , errmsg=api unauthorized"), ActionGiveUp, "48001 api unauthorized"},
		{"minute quota", util.NewCommonError("x", 45011, "api minute-quota reach limit"), ActionRetry, "45011 api minute-quota reach limit"},
		{"rejected token", errors.New("customer msg send error : errcode=42001 , errmsg=access_token expired"), ActionRefresh, "42001 access_token expired"},
		{"wrong secret", fmt.Errorf("fetch: %w", &stageError{stage: stageFetch, err: &APIError{40001, "invalid credential"}}), ActionRetry, "access_token: 40001 invalid credential"},
		{"http 503", errors.New("http get error : uri=https://api.weixin.qq.com/cgi-bin/message/template/send?access_token=SECRET , statusCode=503"), ActionRetry, "HTTP 503"},
		{"http 429", errors.New("http post error : uri=https://h/x , statusCode=429"), ActionRetry, "HTTP 429"},
		{"http 404", errors.New("http get error : uri=https://h/x?secret=S , statusCode=404"), ActionGiveUp, "HTTP 404"},
		{"non-JSON body", fmt.Errorf("x: %w", &json.SyntaxError{Offset: 1}), ActionRetry, "unreadable answer"},
		{"SDK non-JSON string", errors.New("json Unmarshal Error, err=invalid character '<'"), ActionRetry, "unreadable answer"},
		{"refused", &url.Error{Op: "Post", URL: "https://h/?access_token=SECRET", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, ActionRetry, "connection refused"},
		{"eof", &url.Error{Op: "Post", URL: "https://h/", Err: io.EOF}, ActionRetry, "connection closed"},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), ActionRetry, "timeout"},
		{"canceled", context.Canceled, ActionRetry, "canceled"},
		{"redis", &stageError{stage: stageRedis, err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, ActionRetry, "redis: connection refused"},
		{"invalid request", fmt.Errorf("send: %w: no openid", ErrInvalidRequest), ActionGiveUp, "invalid request"},
		{"anything else", errors.New("odd failure access_token=SECRET"), ActionRetry, "odd failure access_token=REDACTED"},
	}
	for _, tt := range tests {
		if got := Classify(tt.in); got != tt.action {
			t.Errorf("%s: Classify = %v, want %v", tt.name, got, tt.action)
		}
		got := Reason(tt.in)
		if got != tt.reason {
			t.Errorf("%s: Reason = %q, want %q", tt.name, got, tt.reason)
		}
		if strings.Contains(got, "SECRET") || strings.Contains(classify(tt.in).Error(), "SECRET") {
			t.Errorf("%s: secret leaked: %q / %v", tt.name, got, classify(tt.in))
		}
	}
	if Classify(nil) != ActionNone || Reason(nil) != "" {
		t.Error("nil error is not ActionNone with no reason")
	}
	if ae := (*APIError)(nil); !errors.As(classify(errors.New("template msg send error : errcode=47003 , errmsg=argument invalid!")), &ae) || ae.Code != 47003 {
		t.Errorf("template string not parsed into APIError: %v", ae)
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{
		ActionNone: "none", ActionRetry: "retry", ActionRefresh: "refresh",
		ActionFallback: "fallback", ActionGiveUp: "give_up", Action(42): "Action(42)",
	} {
		if got := a.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(a), got, want)
		}
	}
}

func TestReasonIsShort(t *testing.T) {
	long := &APIError{Code: 47003, Msg: strings.Repeat("参数错误", 40)}
	if r := []rune(Reason(long)); len(r) > 70 {
		t.Errorf("Reason is %d runes long", len(r))
	}
}
