// Package handlers is tongxin's HTTP edge: the WeChat webhook, health and
// readiness, Prometheus metrics and the admin JSON API. It mounts the
// Open311 GeoReport v2 adapter, which lives in handlers/open311 with its
// own error shape; both answer JSON through handlers/httpjson.
//
// It turns requests into bot.Messages and replies into responses; it holds
// no conversation logic (bot does) and no SQL (storage does). The WeChat SDK
// is reached only through package wechat.
package handlers
