package wechat

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/basic"
	sdkctx "github.com/silenceper/wechat/v2/officialaccount/context"
)

// MaxSceneLen is the longest scene string WeChat accepts for a parametric
// QR code.
const MaxSceneLen = 64

// showQRCode is where WeChat shows the picture of a QR code's ticket.
const showQRCode = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="

// QRImageURL is the address of the picture of the QR code with ticket,
// which anyone may fetch (no access_token).
func QRImageURL(ticket string) string { return showQRCode + url.QueryEscape(ticket) }

// PermanentQR makes a permanent parametric QR code (action
// QR_LIMIT_STR_SCENE) for scene, which arrives in the subscribe or SCAN
// event of whoever scans it. It returns WeChat's ticket (QRImageURL shows
// the picture) and the URL the code encodes. An account may make at most
// 100 000 permanent codes in all: keep what it returns. API failures are
// *APIError; a rejected access_token is replaced and the call made once
// more.
func (c *Client) PermanentQR(ctx context.Context, scene string) (ticket, codeURL string, err error) {
	if scene == "" || len(scene) > MaxSceneLen {
		return "", "", fmt.Errorf("wechat: permanent qr: %w: scene must be 1 to %d bytes", ErrInvalidRequest, MaxSceneLen)
	}
	err = c.call(ctx, func(sc *sdkctx.Context) error {
		t, err := basic.NewBasic(sc).GetQRTicket(basic.NewLimitQrRequest(scene))
		if err != nil {
			return err
		}
		ticket, codeURL = t.Ticket, t.URL
		return nil
	})
	if err != nil {
		return "", "", fmt.Errorf("wechat: permanent qr: %w", err)
	}
	if ticket == "" {
		return "", "", fmt.Errorf("wechat: permanent qr: WeChat answered no ticket")
	}
	return ticket, codeURL, nil
}

// MaxTempQRTTL is the longest WeChat keeps a temporary QR code (30 days).
const MaxTempQRTTL = 30 * 24 * time.Hour

// TempQR makes a temporary parametric QR code (action QR_STR_SCENE) for
// scene that WeChat honours for ttl (whole seconds, 1 s to MaxTempQRTTL):
// a scan within it arrives as the subscribe or SCAN event of whoever
// scanned it, with scene as its EventKey. Temporary codes have no quota on
// their number, which makes them the right kind for codes made per use
// (a login page's). It returns WeChat's ticket and the URL the code
// encodes; errors are as PermanentQR's.
func (c *Client) TempQR(ctx context.Context, scene string, ttl time.Duration) (ticket, codeURL string, err error) {
	if scene == "" || len(scene) > MaxSceneLen {
		return "", "", fmt.Errorf("wechat: temporary qr: %w: scene must be 1 to %d bytes", ErrInvalidRequest, MaxSceneLen)
	}
	if ttl < time.Second || ttl > MaxTempQRTTL {
		// WeChat reads a missing lifetime as 60 s, and a code that
		// silently lived a minute would be a puzzling bug.
		return "", "", fmt.Errorf("wechat: temporary qr: %w: ttl %v must be 1s to %v", ErrInvalidRequest, ttl, MaxTempQRTTL)
	}
	err = c.call(ctx, func(sc *sdkctx.Context) error {
		t, err := basic.NewBasic(sc).GetQRTicket(basic.NewTmpQrRequest(ttl, scene))
		if err != nil {
			return err
		}
		ticket, codeURL = t.Ticket, t.URL
		return nil
	})
	if err != nil {
		return "", "", fmt.Errorf("wechat: temporary qr: %w", err)
	}
	if ticket == "" || codeURL == "" {
		return "", "", fmt.Errorf("wechat: temporary qr: WeChat answered no ticket or url")
	}
	return ticket, codeURL, nil
}
