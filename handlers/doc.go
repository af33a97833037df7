// Package handlers is tongxin's HTTP edge: the WeChat webhook, health and
// readiness, Prometheus metrics and the admin JSON API.
//
// It turns requests into bot.Messages and replies into responses; it holds
// no conversation logic (bot does) and no SQL (storage does). The WeChat SDK
// is reached only through package wechat.
package handlers
