package wechat

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/tongxin/tongxin/bot"
)

// Sentinel errors of Decode and VerifyURL. The webhook maps them to HTTP
// statuses (403, 403, 403, 413 and 400), so every failure wraps exactly
// one.
var (
	// ErrSignature means signature or msg_signature does not match: the
	// request did not come from WeChat (or the token is misconfigured).
	ErrSignature = errors.New("wechat: bad signature")
	// ErrReplay means the timestamp is missing or too far from now.
	ErrReplay = errors.New("wechat: stale or missing timestamp")
	// ErrWeakMode means the message came in a mode weaker than
	// Codec.Min: plain to an account in compat or safe mode (no body
	// signature), or compat to one in safe mode.
	ErrWeakMode = errors.New("wechat: message mode weaker than configured")
	// ErrTooLarge means the body is over Codec.MaxBody.
	ErrTooLarge = errors.New("wechat: body too large")
	// ErrMalformed means the body (or its encrypted payload) is not a
	// message WeChat would send.
	ErrMalformed = errors.New("wechat: malformed message")
)

// Defaults of Codec's limits.
const (
	DefaultMaxBody = 64 << 10
	DefaultMaxSkew = 5 * time.Minute
)

// Mode is how a webhook request was (and its reply must be) encoded.
type Mode int

// The three message encryption modes an official account can be set to,
// weakest first: a Mode is weaker than another if it is less.
const (
	// ModePlain is 明文模式: plain XML, plain replies.
	ModePlain Mode = iota
	// ModeCompat is 兼容模式: the plain fields plus an Encrypt element;
	// replies are encrypted.
	ModeCompat
	// ModeSafe is 安全模式: only ToUserName and Encrypt; replies are
	// encrypted.
	ModeSafe
)

// String returns the mode's name for logs and flags.
func (m Mode) String() string {
	switch m {
	case ModePlain:
		return "plain"
	case ModeCompat:
		return "compat"
	case ModeSafe:
		return "safe"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode parses the names String returns.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "plain":
		return ModePlain, nil
	case "compat":
		return ModeCompat, nil
	case "safe", "aes":
		return ModeSafe, nil
	}
	return 0, fmt.Errorf("wechat: parse mode %q: want plain, compat or safe", s)
}

// Codec decodes webhook requests and encodes replies for one official
// account. The zero values of Now, MaxBody and MaxSkew mean time.Now,
// DefaultMaxBody and DefaultMaxSkew. A Codec is safe for concurrent use.
type Codec struct {
	AppID string
	// Token is the server-configuration token used for signatures.
	Token string
	// AESKey is the 43-character EncodingAESKey; needed only when the
	// account is in compat or safe mode.
	AESKey string
	// Min is the weakest mode accepted, the one the account is set to in
	// its console: Decode refuses a message in a weaker mode
	// (ErrWeakMode). The zero value, ModePlain, accepts every mode.
	Min     Mode
	Now     func() time.Time
	MaxBody int64
	MaxSkew time.Duration
}

// NewCodec returns a Codec accepting messages in mode weakest or stronger,
// after checking the credentials, so that a misconfigured key fails at
// start-up rather than on every message.
func NewCodec(appID, token, aesKey string, weakest Mode) (*Codec, error) {
	quietSDKLogsOnce()
	c := &Codec{AppID: appID, Token: token, AESKey: aesKey, Min: weakest}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate reports whether the Codec's credentials are usable.
func (c *Codec) Validate() error {
	if c.Token == "" {
		return errors.New("wechat: codec: token is empty")
	}
	switch {
	case c.Min < ModePlain || c.Min > ModeSafe:
		return fmt.Errorf("wechat: codec: unknown mode %v", c.Min)
	case c.Min > ModePlain && c.AESKey == "":
		return fmt.Errorf("wechat: codec: %v mode needs the AES key", c.Min)
	}
	if c.AESKey != "" {
		if c.AppID == "" {
			return errors.New("wechat: codec: an AES key needs the appid")
		}
		if err := CheckAESKey(c.AESKey); err != nil {
			return fmt.Errorf("wechat: codec: %w", err)
		}
	}
	return nil
}

// CheckAESKey reports whether k has the shape of an EncodingAESKey: 43
// characters of base64 encoding 32 bytes. It mirrors the SDK's private key
// decoding, which would otherwise only fail (as ErrMalformed) on the first
// encrypted message, and is the one rule both NewCodec and the start-up
// configuration check apply. The error says what is wanted, not where the
// key came from; callers name that.
func CheckAESKey(k string) error {
	if len(k) != 43 {
		return fmt.Errorf("want the 43-character EncodingAESKey, got %d characters", len(k))
	}
	// WeChat drops the single "=" of the base64 encoding of a 32-byte key.
	key, err := base64.StdEncoding.DecodeString(k + "=")
	if err != nil || len(key) != 32 {
		return errors.New("not a valid EncodingAESKey (43 characters of base64 encoding 32 bytes)")
	}
	return nil
}

func (c *Codec) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// MaxBodyBytes is the largest request body Decode accepts.
func (c *Codec) MaxBodyBytes() int64 { return c.maxBody() }

func (c *Codec) maxBody() int64 {
	if c.MaxBody > 0 {
		return c.MaxBody
	}
	return DefaultMaxBody
}

func (c *Codec) maxSkew() time.Duration {
	if c.MaxSkew > 0 {
		return c.MaxSkew
	}
	return DefaultMaxSkew
}

// Inbound is a decoded webhook request: the message, and what its reply
// needs. Obtain it from Decode.
type Inbound struct {
	Msg  *bot.Message
	Mode Mode
	// Timestamp and Nonce are the request's, reused to sign an encrypted
	// reply as WeChat expects.
	Timestamp string
	Nonce     string
	// account and openID are copied so that a handler changing Msg cannot
	// misaddress the reply.
	account string
	openID  string
}

// VerifyURL answers WeChat's GET verification of the server URL: it returns
// the echostr to write back. Returns ErrSignature, ErrReplay or ErrMalformed
// (no echostr).
func (c *Codec) VerifyURL(q url.Values) (string, error) {
	if err := c.checkSignature(q); err != nil {
		return "", fmt.Errorf("verify url: %w", err)
	}
	if err := c.checkTimestamp(q.Get("timestamp")); err != nil {
		return "", fmt.Errorf("verify url: %w", err)
	}
	echo := q.Get("echostr")
	if echo == "" {
		return "", fmt.Errorf("verify url: no echostr: %w", ErrMalformed)
	}
	return echo, nil
}

// Decode checks and decodes one POSTed webhook request, q being its query.
// Every error wraps one of ErrTooLarge, ErrSignature, ErrReplay,
// ErrWeakMode or ErrMalformed; message types it does not know become
// bot.KindUnknown, not errors. Decode never panics.
func (c *Codec) Decode(q url.Values, body io.Reader) (in *Inbound, err error) {
	defer func() {
		if r := recover(); r != nil {
			in, err = nil, fmt.Errorf("decode: internal panic %v: %w", r, ErrMalformed)
		}
	}()
	limit := c.maxBody()
	raw, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		// The webhook may already cap the body with http.MaxBytesReader.
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("decode: read body: %w: %w", ErrTooLarge, err)
		}
		return nil, fmt.Errorf("decode: read body: %w: %w", ErrMalformed, err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("decode: body over %d bytes: %w", limit, ErrTooLarge)
	}
	if err := c.checkSignature(q); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	timestamp, nonce := q.Get("timestamp"), q.Get("nonce")
	if err := c.checkTimestamp(timestamp); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}

	in = &Inbound{Mode: ModePlain, Timestamp: timestamp, Nonce: nonce}
	plain := raw
	switch et := q.Get("encrypt_type"); et {
	case "", "raw":
	case "aes":
		in.Mode, plain, err = c.decrypt(q, raw)
		if err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
	default:
		return nil, fmt.Errorf("decode: unknown encrypt_type: %w", ErrMalformed)
	}
	if in.Mode < c.Min {
		return nil, fmt.Errorf("decode: %v message to an account in %v mode: %w", in.Mode, c.Min, ErrWeakMode)
	}

	var mm message.MixMessage
	if err := xml.Unmarshal(plain, &mm); err != nil {
		return nil, fmt.Errorf("decode: parse xml: %w: %w", ErrMalformed, err)
	}
	if mm.FromUserName == "" || mm.MsgType == "" {
		return nil, fmt.Errorf("decode: no FromUserName or MsgType: %w", ErrMalformed)
	}
	in.Msg = toBotMessage(&mm)
	in.account = string(mm.ToUserName)
	in.openID = string(mm.FromUserName)
	return in, nil
}

func (c *Codec) checkSignature(q url.Values) error {
	want := util.Signature(c.Token, q.Get("timestamp"), q.Get("nonce"))
	if !equalSig(q.Get("signature"), want) {
		return ErrSignature
	}
	return nil
}

// equalSig compares in constant time so the signature cannot be guessed
// byte by byte from response times.
func equalSig(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (c *Codec) checkTimestamp(ts string) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", ts, ErrReplay)
	}
	skew := c.now().Sub(time.Unix(sec, 0))
	if skew > c.maxSkew() || skew < -c.maxSkew() {
		return fmt.Errorf("timestamp %s off by %s: %w", ts, skew.Round(time.Second), ErrReplay)
	}
	return nil
}

// envelope is the outer XML of an encrypted request; MsgType tells compat
// mode (which repeats the plain fields) from safe mode.
type envelope struct {
	message.EncryptedXMLMsg
	FromUserName string `xml:"FromUserName"`
	MsgType      string `xml:"MsgType"`
}

func (c *Codec) decrypt(q url.Values, raw []byte) (Mode, []byte, error) {
	var env envelope
	if err := xml.Unmarshal(raw, &env); err != nil {
		return 0, nil, fmt.Errorf("parse encrypted envelope: %w: %w", ErrMalformed, err)
	}
	if env.EncryptedMsg == "" {
		return 0, nil, fmt.Errorf("no Encrypt element: %w", ErrMalformed)
	}
	want := util.Signature(c.Token, q.Get("timestamp"), q.Get("nonce"), env.EncryptedMsg)
	if !equalSig(q.Get("msg_signature"), want) {
		return 0, nil, fmt.Errorf("msg_signature: %w", ErrSignature)
	}
	_, plain, err := util.DecryptMsg(c.AppID, env.EncryptedMsg, c.AESKey)
	if err != nil {
		return 0, nil, fmt.Errorf("decrypt: %w: %w", ErrMalformed, err)
	}
	mode := ModeSafe
	if env.FromUserName != "" || env.MsgType != "" {
		mode = ModeCompat
	}
	return mode, plain, nil
}

const scenePrefix = "qrscene_"

var kinds = map[message.MsgType]bot.Kind{
	message.MsgTypeText:       bot.KindText,
	message.MsgTypeImage:      bot.KindImage,
	message.MsgTypeVoice:      bot.KindVoice,
	message.MsgTypeVideo:      bot.KindVideo,
	message.MsgTypeShortVideo: bot.KindShortVideo,
	message.MsgTypeLocation:   bot.KindLocation,
	message.MsgTypeLink:       bot.KindLink,
	message.MsgTypeEvent:      bot.KindEvent,
}

func toBotMessage(mm *message.MixMessage) *bot.Message {
	kind, ok := kinds[mm.MsgType]
	if !ok {
		kind = bot.KindUnknown
	}
	m := &bot.Message{
		OpenID:  string(mm.FromUserName),
		Account: string(mm.ToUserName),
		Kind:    kind,
		MediaID: mm.MediaID,
		PicURL:  mm.PicURL,
		Time:    time.Unix(mm.CreateTime, 0).UTC(),
	}
	switch kind {
	case bot.KindText:
		m.Text = mm.Content
	case bot.KindVoice:
		m.Text = mm.Recognition
	case bot.KindLocation:
		m.Location = &bot.Location{Lat: mm.LocationX, Lng: mm.LocationY, Scale: int(mm.Scale), Label: mm.Label}
	case bot.KindLink:
		m.Link = &bot.Link{Title: mm.Title, Description: mm.Description, URL: mm.URL}
	case bot.KindEvent:
		m.Event = bot.Event(mm.Event)
		m.EventKey = mm.EventKey
		if m.Event == bot.EventSubscribe {
			m.EventKey = strings.TrimPrefix(m.EventKey, scenePrefix)
		}
		if m.Event == bot.EventLocation {
			m.Location = eventLocation(mm)
		}
	}
	if kind != bot.KindEvent && mm.MsgID != 0 {
		m.ID = strconv.FormatInt(mm.MsgID, 10)
	} else {
		// Events carry no MsgId; WeChat's retries repeat these four fields,
		// which is what de-duplication needs.
		m.ID = strings.Join([]string{m.OpenID, strconv.FormatInt(mm.CreateTime, 10), string(mm.Event), m.EventKey}, "|")
	}
	return m
}

// eventLocation reads the LOCATION event's coordinates, which WeChat sends
// as text; unparsable ones are dropped rather than failing the message.
func eventLocation(mm *message.MixMessage) *bot.Location {
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(mm.Latitude), 64)
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(mm.Longitude), 64)
	if err1 != nil || err2 != nil {
		return nil
	}
	return &bot.Location{Lat: lat, Lng: lng}
}

// EncodeReply returns the response body for in: "success" for an empty
// reply, otherwise a text message, encrypted when the request was.
func (c *Codec) EncodeReply(in *Inbound, r bot.Reply) ([]byte, error) {
	if r.Empty() {
		return []byte("success"), nil
	}
	if in == nil {
		return nil, errors.New("wechat: encode reply: nil inbound")
	}
	text := message.NewText(r.Text)
	text.SetToUserName(message.CDATA(in.openID))
	text.SetFromUserName(message.CDATA(in.account))
	text.SetCreateTime(c.now().Unix())
	text.SetMsgType(message.MsgTypeText)
	raw, err := xml.Marshal(text)
	if err != nil {
		return nil, fmt.Errorf("wechat: encode reply: %w", err)
	}
	if in.Mode == ModePlain {
		return raw, nil
	}
	return c.seal(raw, in.Timestamp, in.Nonce)
}

// seal wraps raw in the encrypted reply envelope, signed with timestamp and
// nonce.
func (c *Codec) seal(raw []byte, timestamp, nonce string) ([]byte, error) {
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return nil, fmt.Errorf("wechat: encrypt reply: random: %w", err)
	}
	enc, err := util.EncryptMsg(random, raw, c.AppID, c.AESKey)
	if err != nil {
		return nil, fmt.Errorf("wechat: encrypt reply: %w", err)
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("wechat: encrypt reply: timestamp: %w", err)
	}
	// Sign the timestamp as it will read in TimeStamp, not as it came in
	// (which may have had leading zeros).
	out, err := xml.Marshal(message.ResponseEncryptedXMLMsg{
		EncryptedMsg: string(enc),
		MsgSignature: util.Signature(c.Token, strconv.FormatInt(ts, 10), nonce, string(enc)),
		Timestamp:    ts,
		Nonce:        nonce,
	})
	if err != nil {
		return nil, fmt.Errorf("wechat: encrypt reply: %w", err)
	}
	return out, nil
}

// noReply reports whether b is "success" or blank, WeChat's two ways of
// saying "no reply".
func noReply(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "success"
}
