package community

import "context"

// Console is the staff console (/console) as conversations reach it: a
// staff member signs in there by scanning the login page's QR code in
// WeChat, or by asking for a one-time link (登录后台). The console
// implements it; errors meant for the person are *bot.UserError.
type Console interface {
	// ConfirmScan lets the browser showing the login code with nonce in
	// as the active staff member bound to openid, whom it returns. A code
	// is confirmed once; an unknown, expired or used one, and an openid
	// that is no active staff member's, are refused with a
	// *bot.UserError.
	ConfirmScan(ctx context.Context, nonce, openid string) (Staff, error)
	// Link returns a one-time sign-in link (valid 5 minutes) for the
	// active staff member bound to openid, else bot.ErrNotFound.
	Link(ctx context.Context, openid string) (string, error)
}
