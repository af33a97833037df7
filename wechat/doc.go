// Package wechat is tongxin's only contact with the WeChat official-account
// platform and with the silenceper/wechat SDK.
//
// It does these things:
//
//   - Codec turns a signed (and possibly AES-encrypted) webhook request into
//     a *bot.Message and a bot.Reply back into the XML WeChat expects. It
//     checks signatures, timestamps, body size and that the message mode is
//     no weaker than the account's (Codec.Min), and reports failures as the
//     sentinels ErrSignature, ErrReplay, ErrWeakMode, ErrTooLarge and
//     ErrMalformed.
//   - Client calls the official-account API (customer-service and template
//     messages, menus, downloads of the photos and voice residents send)
//     with an access_token shared by every instance through Redis, and
//     reports API failures as *APIError.
//   - Client.AuthorizeURL and Client.OAuthOpenID are the web authorisation
//     (网页授权, scope snsapi_base) that names a resident opening tongxin's
//     pages inside WeChat: the browser goes to WeChat's authorisation page
//     and comes back with a code, which is exchanged for their openid
//     through the same transport as every API call. The authorisation page
//     is a browser redirect, not an API call, so with an APIBase other
//     than DefaultAPIBase (TONGXIN_WECHAT_API_BASE) it is
//     {APIBase}/connect/oauth2/authorize instead of open.weixin.qq.com:
//     wechattest.FakeAPI serves it by sending the browser straight back
//     with a code for the openid a test chose (FakeAPI.SetOAuthUser); the
//     exchange answers that openid once, and errcode 40029 for a code it
//     never gave.
//   - Classify is the one place that decides what a failed send means for
//     delivery (retry, fall back to another channel, give up), and Reason
//     says why in words an operator can act on.
//   - Simulator plays the WeChat server: it builds, signs, encrypts and posts
//     messages exactly as WeChat does, for tests and the `tongxin chat` tool.
//
// It does not route messages, keep conversation state, de-duplicate retries
// or decide what to answer: that is bot's and the webhook handler's job. It
// does not serve HTTP itself. SDK types never appear in its exported API, so
// the SDK can be replaced without touching its callers.
//
// The SDK sends every API call through the process-wide util.DefaultHTTPClient
// with hard-coded https://api.weixin.qq.com URLs; NewClient replaces that
// client once per process with one that has timeouts and sends those calls
// to ClientConfig.APIBase instead. The base is therefore process-wide too.
package wechat
