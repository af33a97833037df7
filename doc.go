// Package tongxin (同心) is the WeChat official-account assistant of a
// residential community: residents message the account and are walked through
// service requests, event sign-ups and legal-clinic bookings, while community
// staff are notified as things change.
//
// This root package holds no code; it carries the tests that guard the
// layout (see DESIGN.md). The program is cmd/tongxin; the conversation core
// is bot, with configuration in config, the edges in handlers and wechat,
// and persistence in storage.
package tongxin
