package wechat

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// DefaultAPIBase is where the official-account API lives.
const DefaultAPIBase = "https://api.weixin.qq.com"

// officialHost is the host the SDK hard-codes in every URL.
const officialHost = "api.weixin.qq.com"

// The SDK's HTTP client is one package variable, so its base and timeout
// are process-wide: atomics let tests in one process repoint them.
var (
	apiBase     atomic.Pointer[url.URL]
	apiTimeout  atomic.Int64 // time.Duration
	installOnce sync.Once
)

// setAPI points every SDK call of the process at base with the given
// per-request timeout, installing the rewriting client on first use.
func setAPI(base string, timeout time.Duration) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("wechat: api base: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("wechat: api base %q: want http(s)://host[:port][/path]", base)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	apiBase.Store(u)
	apiTimeout.Store(int64(timeout))
	installOnce.Do(func() {
		next := http.DefaultTransport.(*http.Transport).Clone()
		next.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		next.TLSHandshakeTimeout = 5 * time.Second
		next.MaxIdleConnsPerHost = 16
		util.DefaultHTTPClient = &http.Client{Transport: &apiTransport{next: next}}
	})
	return nil
}

// apiTransport sends requests for api.weixin.qq.com to the configured base
// and bounds every request by the configured timeout, which the SDK does not.
type apiTransport struct {
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	cancel := context.CancelFunc(func() {})
	if d := time.Duration(apiTimeout.Load()); d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	out := req.Clone(ctx)
	if base := apiBase.Load(); base != nil && strings.EqualFold(req.URL.Hostname(), officialHost) {
		out.URL.Scheme = base.Scheme
		out.URL.Host = base.Host
		out.URL.Path = base.Path + req.URL.Path
		out.URL.RawPath = ""
		out.Host = ""
	}
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases the request's timeout only once the body is read,
// since cancelling earlier would cut the body off.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
