package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/silenceper/wechat/v2/officialaccount/oauth"
)

// CodeInvalidOAuthCode is WeChat's answer to a web-authorisation code it
// does not know (made up, for another account, or older than 5 minutes);
// 40163 is one already exchanged.
const (
	CodeInvalidOAuthCode = 40029
	CodeOAuthCodeUsed    = 40163
)

// authorizeBase is where WeChat's web authorisation page lives.
const authorizeBase = "https://open.weixin.qq.com"

// AuthorizePath is the web authorisation page, under authorizeBase or,
// with an APIBase that is not DefaultAPIBase, under that base.
const AuthorizePath = "/connect/oauth2/authorize"

// AuthorizeURL is the address of WeChat's web authorisation (scope
// snsapi_base: silent, the resident is asked nothing) that sends the
// browser back to redirect with ?code=…&state=state. Opened inside
// WeChat's browser, it names the resident by their openid through the
// code (OAuthOpenID).
//
// The authorisation page is a browser redirect, not an API call, so the
// transport that points the SDK at APIBase never sees it. Tests and the
// local fake reach it this way instead: with an APIBase other than
// DefaultAPIBase (TONGXIN_WECHAT_API_BASE), the address is
// {APIBase}/connect/oauth2/authorize, which wechattest.FakeAPI serves by
// redirecting straight back with a code for the openid the test chose
// (FakeAPI.SetOAuthUser).
func (c *Client) AuthorizeURL(redirect, state string) string {
	base := authorizeBase
	if c.apiBase != "" && strings.TrimRight(c.apiBase, "/") != DefaultAPIBase {
		base = strings.TrimRight(c.apiBase, "/")
	}
	return base + AuthorizePath + "?appid=" + url.QueryEscape(c.oa.GetContext().AppID) +
		"&redirect_uri=" + url.QueryEscape(redirect) +
		"&response_type=code&scope=snsapi_base&state=" + url.QueryEscape(state) + "#wechat_redirect"
}

// OAuthOpenID exchanges a web-authorisation code (the ?code= WeChat adds
// when it sends the browser back) for the openid of the resident who
// opened the page: GET /sns/oauth2/access_token, through the SDK and so
// through the same transport and APIBase as every other call. The
// access_token WeChat also returns is for snsapi_userinfo calls tongxin
// never makes, and is dropped. A code WeChat refuses is an *APIError
// (CodeInvalidOAuthCode, CodeOAuthCodeUsed).
func (c *Client) OAuthOpenID(ctx context.Context, code string) (string, error) {
	if code == "" {
		return "", fmt.Errorf("wechat: oauth: %w: no code", ErrInvalidRequest)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	res, err := oauth.NewOauth(c.oa.GetContext()).GetUserAccessTokenContext(ctx, code)
	if err != nil {
		return "", fmt.Errorf("wechat: oauth: %w", classify(err))
	}
	if res.OpenID == "" {
		return "", fmt.Errorf("wechat: oauth: %w", errors.New("WeChat answered no openid"))
	}
	return res.OpenID, nil
}
