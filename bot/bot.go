// Package bot is the conversation core of tongxin: the message and reply
// types, handlers, the keyword router, the flow (form) engine
// and the session contract.
//
// It does not talk to WeChat, HTTP, a database or Redis: those live in
// handlers/, wechat/ and storage/, which import bot, never the other way round.
package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind is the kind of an incoming message.
type Kind string

// Message kinds, named after WeChat's MsgType values.
const (
	KindText       Kind = "text"
	KindImage      Kind = "image"
	KindVoice      Kind = "voice"
	KindVideo      Kind = "video"
	KindShortVideo Kind = "shortvideo"
	KindLocation   Kind = "location"
	KindLink       Kind = "link"
	KindEvent      Kind = "event"
	KindUnknown    Kind = "unknown"
)

// Event is the kind of an event message (Kind == KindEvent).
type Event string

// Events the router understands; anything else is passed through as is.
const (
	EventSubscribe   Event = "subscribe"
	EventUnsubscribe Event = "unsubscribe"
	EventClick       Event = "CLICK"
	EventScan        Event = "SCAN"
	EventView        Event = "VIEW"
	EventLocation    Event = "LOCATION"
)

// Location is a place a resident sent.
type Location struct {
	Lat   float64 `json:"lat"`
	Lng   float64 `json:"lng"`
	Scale int     `json:"scale,omitempty"`
	Label string  `json:"label,omitempty"`
}

// Link is a link message a resident shared.
type Link struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
}

// Message is one incoming message or event, free of any SDK type.
type Message struct {
	// ID identifies the delivery for de-duplication: the MsgId, or for
	// events FromUserName+CreateTime+Event+EventKey.
	ID string
	// OpenID is the resident (FromUserName).
	OpenID string
	// Account is the official account (ToUserName).
	Account string
	Kind    Kind
	// Text is the text content; for voice it is WeChat's Recognition text,
	// when present.
	Text string
	// MediaID and PicURL are set for image, voice and video messages.
	MediaID  string
	PicURL   string
	Location *Location
	Link     *Link
	Event    Event
	// EventKey is the menu key of a CLICK, or the scene of a subscribe/SCAN
	// with the "qrscene_" prefix already removed.
	EventKey string
	Time     time.Time
}

// Reply is what the bot answers. An empty Text means "no reply" (the webhook
// answers "success").
type Reply struct {
	Text string `json:"text,omitempty"`
}

// Empty reports whether r carries nothing to send.
func (r Reply) Empty() bool { return r.Text == "" }

// Text is a shorthand for a plain text reply.
func Text(s string) Reply { return Reply{Text: s} }

// Handler answers one message.
//
// Handlers return errors instead of writing them to the resident: a
// *UserError carries the text to show; any other error is logged and becomes
// a generic apology at the edge.
type Handler interface {
	Handle(ctx context.Context, m *Message) (Reply, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m *Message) (Reply, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, m *Message) (Reply, error) { return f(ctx, m) }

// Sentinel errors shared by every implementation of the core's interfaces.
var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change collides with the current state
	// (a duplicate key, a stale version, a full event).
	ErrConflict = errors.New("conflict")
	// ErrStateLost, from SessionStore.Load, means there is no session and
	// the store lost its data a short while ago (a Redis restarted
	// empty): the resident may have been filling in a form that is gone.
	// It wraps ErrNotFound.
	ErrStateLost = fmt.Errorf("state lost: %w", ErrNotFound)
)
