package wechat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/config"
	sdkctx "github.com/silenceper/wechat/v2/officialaccount/context"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// Defaults of ClientConfig.
const (
	DefaultKeyPrefix = "tongxin:"
	DefaultTimeout   = 10 * time.Second
)

// ClientConfig configures a Client.
type ClientConfig struct {
	AppID  string
	Secret string
	// APIBase replaces https://api.weixin.qq.com for every SDK call of
	// the process (see the package comment); DefaultAPIBase when empty.
	APIBase string
	// Redis holds the access_token shared by all instances. Required.
	Redis *redis.Client
	// KeyPrefix prefixes every Redis key; DefaultKeyPrefix when empty.
	KeyPrefix string
	// Timeout bounds each HTTP call to the API; DefaultTimeout when zero.
	// Like APIBase it is process-wide: the last NewClient wins.
	Timeout time.Duration
}

// Client calls the official-account API. It is safe for concurrent use, and
// any number of Clients (in one process or many) on the same Redis share
// one access_token.
//
// The SDK does not pass a context to its HTTP calls: ctx governs the token
// lookup and refresh, and ClientConfig.Timeout bounds the API call itself.
type Client struct {
	oa     *officialaccount.OfficialAccount
	tokens *tokenStore
	// apiBase is ClientConfig.APIBase: Picture also fetches from its host.
	apiBase string
}

// NewClient returns a Client for cfg and points the process's SDK calls at
// cfg.APIBase. It makes no network call.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.AppID == "" || cfg.Secret == "" {
		return nil, errors.New("wechat: new client: appid and secret are required")
	}
	if cfg.Redis == nil {
		return nil, errors.New("wechat: new client: redis is required")
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if err := setAPI(cfg.APIBase, cfg.Timeout); err != nil {
		return nil, fmt.Errorf("wechat: new client: %w", err)
	}
	quietSDKLogsOnce()
	oa := officialaccount.NewOfficialAccount(&config.Config{
		AppID:     cfg.AppID,
		AppSecret: cfg.Secret,
		Cache:     &redisCache{rdb: cfg.Redis, prefix: cfg.KeyPrefix + "wechat:sdk:"},
	})
	tokens := newTokenStore(cfg.Redis, cfg.KeyPrefix, cfg.AppID, cfg.Secret, cfg.Timeout)
	oa.SetAccessTokenHandle(tokens)
	return &Client{oa: oa, tokens: tokens, apiBase: cfg.APIBase}, nil
}

// AccessToken returns the current shared access_token, fetching it when
// Redis has none.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	return c.tokens.GetAccessTokenContext(ctx)
}

// InvalidateToken drops the shared access_token, so the next call by any
// instance fetches a new one.
func (c *Client) InvalidateToken(ctx context.Context) error {
	return c.tokens.invalidate(ctx, "")
}

// SendText sends text to the resident openid as a customer-service message.
// API failures are *APIError (45015: the resident has not written for 48
// hours; 45047: quota exhausted). A rejected access_token is replaced and
// the message sent once more.
func (c *Client) SendText(ctx context.Context, openid, text string) error {
	if openid == "" || text == "" {
		return fmt.Errorf("wechat: send text: %w: openid and text are required", ErrInvalidRequest)
	}
	msg := message.NewCustomerTextMessage(openid, text)
	err := c.call(ctx, func(sc *sdkctx.Context) error {
		return message.NewMessageManager(sc).Send(msg)
	})
	if err != nil {
		return fmt.Errorf("wechat: send text: %w", err)
	}
	return nil
}

// MenuButton is one button of the account's custom menu: a "click" button
// (Key arrives as a CLICK event), a "view" button (opens URL), or, with Sub
// set and no Type, a sub-menu.
type MenuButton struct {
	Type string
	Name string
	Key  string
	URL  string
	Sub  []MenuButton
}

// PushMenu replaces the account's custom menu with buttons.
func (c *Client) PushMenu(ctx context.Context, buttons []MenuButton) error {
	if len(buttons) == 0 {
		return fmt.Errorf("wechat: push menu: %w: no buttons", ErrInvalidRequest)
	}
	sdk := toSDKButtons(buttons)
	err := c.call(ctx, func(sc *sdkctx.Context) error {
		return menu.NewMenu(sc).SetMenu(sdk)
	})
	if err != nil {
		return fmt.Errorf("wechat: push menu: %w", err)
	}
	return nil
}

func toSDKButtons(bs []MenuButton) []*menu.Button {
	out := make([]*menu.Button, 0, len(bs))
	for _, b := range bs {
		sb := &menu.Button{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL}
		if len(b.Sub) > 0 {
			sb.SetSubButton(b.Name, toSDKButtons(b.Sub))
		}
		out = append(out, sb)
	}
	return out
}

// call runs one SDK call with a per-call token handle, so the token lookup
// sees ctx and a token WeChat rejects can be invalidated precisely and the
// call retried once.
func (c *Client) call(ctx context.Context, fn func(*sdkctx.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h := &callToken{ctx: ctx, ts: c.tokens}
	err := classify(fn(c.sdkContext(h)))
	// h.used is empty when the token fetch itself failed: then no token
	// was rejected, and fetching again would only repeat the failure.
	if !isTokenError(err) || h.used == "" {
		return err
	}
	if ierr := c.tokens.invalidate(ctx, h.used); ierr != nil {
		return errors.Join(err, ierr)
	}
	h = &callToken{ctx: ctx, ts: c.tokens}
	return classify(fn(c.sdkContext(h)))
}

func (c *Client) sdkContext(h *callToken) *sdkctx.Context {
	return &sdkctx.Context{Config: c.oa.GetContext().Config, AccessTokenHandle: h}
}
