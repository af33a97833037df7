package wechat

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
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

// DefaultSimAccount is the ToUserName a Simulator sends when Account is
// empty.
const DefaultSimAccount = "gh_tongxin0sim"

// maxReply caps how much of a reply the Simulator reads; WeChat itself drops
// replies far smaller than this.
const maxReply = 1 << 20

// Simulator plays the WeChat server against a webhook: it builds the XML
// WeChat sends, signs and (in compat and safe mode) encrypts it, posts it and
// decodes the reply. It is for tests and the `tongxin chat` terminal tool.
type Simulator struct {
	// URL is the webhook, e.g. http://127.0.0.1:8080/wechat.
	URL    string
	AppID  string
	Token  string
	AESKey string
	Mode   Mode
	// Account is the official account's original ID (ToUserName);
	// DefaultSimAccount when empty.
	Account string
	// HTTP defaults to a client with a 30 s timeout.
	HTTP *http.Client
	Now  func() time.Time
}

// SimMessage is one message or event a resident sends. Fields that do not
// apply to Kind are ignored; MsgID 0 picks a random MsgId and a zero
// CreateTime means now.
type SimMessage struct {
	OpenID string
	// Kind defaults to bot.KindText. Any other string is sent as MsgType
	// as is, to exercise unknown types.
	Kind bot.Kind
	Text string
	// Event and EventKey are for Kind == bot.KindEvent. For a subscribe,
	// EventKey is the bare scene: the Simulator adds "qrscene_" as WeChat
	// does.
	Event       bot.Event
	EventKey    string
	MsgID       int64
	Recognition string
	// Lat, Lng, Scale and Label are a location message, or (Lat and Lng)
	// a LOCATION event.
	Lat, Lng float64
	Scale    int
	Label    string
	PicURL   string
	MediaID  string
	// Title, Description and URL are a link message.
	Title       string
	Description string
	URL         string
	CreateTime  time.Time
}

// SimRequest is a built but unsent request, kept in pieces so tests can
// tamper with any of them.
type SimRequest struct {
	// Query holds signature, timestamp, nonce and openid, plus
	// encrypt_type and msg_signature in compat and safe mode.
	Query url.Values
	// Body is the exact POST body.
	Body []byte
	// Plain is the message XML before encryption (the same as Body in
	// plain mode).
	Plain []byte
	// Encrypt is the Encrypt element's content, empty in plain mode.
	Encrypt   string
	Timestamp string
	Nonce     string
}

func (s *Simulator) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Simulator) account() string {
	if s.Account != "" {
		return s.Account
	}
	return DefaultSimAccount
}

func (s *Simulator) client() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// Send builds m, posts it and returns the reply text ("" for none) and the
// HTTP status. A non-200 status is not an error: reply then holds the body.
func (s *Simulator) Send(ctx context.Context, m SimMessage) (reply string, status int, err error) {
	req, err := s.BuildRequest(ctx, m)
	if err != nil {
		return "", 0, err
	}
	return s.Do(req)
}

// BuildRequest returns the POST WeChat would make for m. Pass it to Do as
// many times as needed to replay a delivery (WeChat's retries keep the
// MsgId, the timestamp and the nonce).
func (s *Simulator) BuildRequest(ctx context.Context, m SimMessage) (*http.Request, error) {
	sr, err := s.Build(m)
	if err != nil {
		return nil, err
	}
	return s.NewHTTPRequest(ctx, sr)
}

// Build returns the pieces of the request for m, signed with the current
// time and a fresh nonce.
func (s *Simulator) Build(m SimMessage) (*SimRequest, error) {
	plain := s.PlainXML(m)
	ts := strconv.FormatInt(s.now().Unix(), 10)
	nonce := strconv.FormatUint(randUint64()%1e10, 10)
	body, enc, err := s.Envelope(plain)
	if err != nil {
		return nil, err
	}
	q := s.SignQuery(ts, nonce, enc)
	q.Set("openid", m.OpenID)
	return &SimRequest{Query: q, Body: body, Plain: plain, Encrypt: enc, Timestamp: ts, Nonce: nonce}, nil
}

// NewHTTPRequest turns sr into a POST to s.URL.
func (s *Simulator) NewHTTPRequest(ctx context.Context, sr *SimRequest) (*http.Request, error) {
	u, err := url.Parse(s.URL)
	if err != nil {
		return nil, fmt.Errorf("wechat: simulator: parse url: %w", err)
	}
	u.RawQuery = sr.Query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(sr.Body))
	if err != nil {
		return nil, fmt.Errorf("wechat: simulator: new request: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

// SignQuery returns the query WeChat adds to a POST: signature, timestamp
// and nonce, and when encrypt is not empty also encrypt_type=aes and the
// msg_signature over encrypt.
func (s *Simulator) SignQuery(timestamp, nonce, encrypt string) url.Values {
	q := url.Values{}
	q.Set("signature", util.Signature(s.Token, timestamp, nonce))
	q.Set("timestamp", timestamp)
	q.Set("nonce", nonce)
	if encrypt != "" {
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", util.Signature(s.Token, timestamp, nonce, encrypt))
	}
	return q
}

// VerifyQuery returns the query of WeChat's GET URL verification.
func (s *Simulator) VerifyQuery(echostr string) url.Values {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	q := s.SignQuery(ts, strconv.FormatUint(randUint64()%1e10, 10), "")
	q.Set("echostr", echostr)
	return q
}

// Envelope returns the POST body for the message XML plain in s.Mode, and
// the Encrypt content (empty in plain mode).
func (s *Simulator) Envelope(plain []byte) (body []byte, encrypt string, err error) {
	if s.Mode == ModePlain {
		return plain, "", nil
	}
	enc, err := util.EncryptMsg(randBytes(16), plain, s.AppID, s.AESKey)
	if err != nil {
		return nil, "", fmt.Errorf("wechat: simulator: encrypt: %w", err)
	}
	encrypt = string(enc)
	if s.Mode == ModeCompat {
		// Compat mode is the plain message with Encrypt appended.
		i := bytes.LastIndex(plain, []byte("</xml>"))
		if i < 0 {
			return nil, "", errors.New("wechat: simulator: plain message has no </xml>")
		}
		var b bytes.Buffer
		b.Write(plain[:i])
		writeCDATA(&b, "Encrypt", encrypt)
		b.Write(plain[i:])
		return b.Bytes(), encrypt, nil
	}
	var b bytes.Buffer
	b.WriteString("<xml>")
	writeCDATA(&b, "ToUserName", s.account())
	writeCDATA(&b, "Encrypt", encrypt)
	b.WriteString("</xml>")
	return b.Bytes(), encrypt, nil
}

// PlainXML returns m as the XML WeChat sends, CDATA and all.
func (s *Simulator) PlainXML(m SimMessage) []byte {
	kind := m.Kind
	if kind == "" {
		kind = bot.KindText
	}
	created := m.CreateTime
	if created.IsZero() {
		created = s.now()
	}
	var b bytes.Buffer
	b.WriteString("<xml>")
	writeCDATA(&b, "ToUserName", s.account())
	writeCDATA(&b, "FromUserName", m.OpenID)
	writeRaw(&b, "CreateTime", strconv.FormatInt(created.Unix(), 10))
	writeCDATA(&b, "MsgType", string(kind))
	switch kind {
	case bot.KindText:
		writeCDATA(&b, "Content", m.Text)
	case bot.KindImage:
		writeCDATA(&b, "PicUrl", m.PicURL)
		writeCDATA(&b, "MediaId", m.MediaID)
	case bot.KindVoice:
		writeCDATA(&b, "MediaId", m.MediaID)
		writeCDATA(&b, "Format", "amr")
		if m.Recognition != "" {
			writeCDATA(&b, "Recognition", m.Recognition)
		}
	case bot.KindVideo, bot.KindShortVideo:
		writeCDATA(&b, "MediaId", m.MediaID)
		writeCDATA(&b, "ThumbMediaId", m.MediaID+"_thumb")
	case bot.KindLocation:
		writeRaw(&b, "Location_X", formatFloat(m.Lat))
		writeRaw(&b, "Location_Y", formatFloat(m.Lng))
		writeRaw(&b, "Scale", strconv.Itoa(m.Scale))
		writeCDATA(&b, "Label", m.Label)
	case bot.KindLink:
		writeCDATA(&b, "Title", m.Title)
		writeCDATA(&b, "Description", m.Description)
		writeCDATA(&b, "Url", m.URL)
	case bot.KindEvent:
		writeEvent(&b, m)
	}
	if kind != bot.KindEvent {
		id := m.MsgID
		if id == 0 {
			id = int64(randUint64()>>2) + 1
		}
		writeRaw(&b, "MsgId", strconv.FormatInt(id, 10))
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

func writeEvent(b *bytes.Buffer, m SimMessage) {
	writeCDATA(b, "Event", string(m.Event))
	switch m.Event {
	case bot.EventSubscribe:
		if m.EventKey != "" {
			writeCDATA(b, "EventKey", scenePrefix+m.EventKey)
			writeCDATA(b, "Ticket", "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2tIVVNjZTZqaDlxMkJBb2RJUmgxAAIE")
		} else {
			writeCDATA(b, "EventKey", "")
		}
	case bot.EventScan:
		writeCDATA(b, "EventKey", m.EventKey)
		writeCDATA(b, "Ticket", "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2tIVVNjZTZqaDlxMkJBb2RJUmgxAAIE")
	case bot.EventLocation:
		writeRaw(b, "Latitude", formatFloat(m.Lat))
		writeRaw(b, "Longitude", formatFloat(m.Lng))
		writeRaw(b, "Precision", "65.000000")
	case bot.EventUnsubscribe:
		writeCDATA(b, "EventKey", m.EventKey)
	default:
		writeCDATA(b, "EventKey", m.EventKey)
		if m.Event == bot.EventView {
			writeRaw(b, "MenuId", "1")
		}
	}
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

func writeRaw(b *bytes.Buffer, name, value string) {
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">")
}

// writeCDATA splits a "]]>" inside value across two sections, the only
// thing CDATA cannot hold.
func writeCDATA(b *bytes.Buffer, name, value string) {
	b.WriteString("<" + name + "><![CDATA[")
	b.WriteString(strings.ReplaceAll(value, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]></" + name + ">")
}

// Do sends req (from BuildRequest or NewHTTPRequest) and decodes the reply.
// The same req may be passed again to replay it. For status 200 reply is the
// text of the answer, "" for "success" or an empty body; an encrypted reply
// must carry a valid msg_signature. For any other status reply is the raw
// body and err is nil.
func (s *Simulator) Do(req *http.Request) (reply string, status int, err error) {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		if r.Body, err = req.GetBody(); err != nil {
			return "", 0, fmt.Errorf("wechat: simulator: rewind body: %w", err)
		}
	}
	resp, err := s.client().Do(r)
	if err != nil {
		return "", 0, fmt.Errorf("wechat: simulator: post: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return "", resp.StatusCode, fmt.Errorf("wechat: simulator: read reply: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return string(body), resp.StatusCode, nil
	}
	q := req.URL.Query()
	text, err := s.DecodeReply(q.Get("openid"), q.Get("encrypt_type") == "aes", body)
	return text, resp.StatusCode, err
}

// replyText is the passive text reply, read into a struct of our own so the
// check does not share code with the codec that built it.
type replyText struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
}

// DecodeReply returns the text of a webhook's answer to openID: "" for
// "success" or an empty body, otherwise the Content of the text reply,
// decrypted and its msg_signature checked when encrypted is true.
func (s *Simulator) DecodeReply(openID string, encrypted bool, body []byte) (string, error) {
	if noReply(body) {
		return "", nil
	}
	plain := body
	if encrypted {
		var env message.ResponseEncryptedXMLMsg
		if err := xml.Unmarshal(body, &env); err != nil {
			return "", fmt.Errorf("wechat: simulator: parse encrypted reply: %w", err)
		}
		if env.EncryptedMsg == "" {
			return "", errors.New("wechat: simulator: reply to an encrypted message is not encrypted")
		}
		want := util.Signature(s.Token, strconv.FormatInt(env.Timestamp, 10), env.Nonce, env.EncryptedMsg)
		if env.MsgSignature != want {
			return "", errors.New("wechat: simulator: reply MsgSignature does not match")
		}
		var err error
		if _, plain, err = util.DecryptMsg(s.AppID, env.EncryptedMsg, s.AESKey); err != nil {
			return "", fmt.Errorf("wechat: simulator: decrypt reply: %w", err)
		}
	}
	var rt replyText
	if err := xml.Unmarshal(plain, &rt); err != nil {
		return "", fmt.Errorf("wechat: simulator: parse reply: %w", err)
	}
	switch {
	case rt.MsgType != string(message.MsgTypeText):
		return "", fmt.Errorf("wechat: simulator: reply MsgType %q, want text", rt.MsgType)
	case rt.ToUserName != openID:
		return "", errors.New("wechat: simulator: reply addressed to another user")
	case rt.FromUserName != s.account():
		return "", errors.New("wechat: simulator: reply FromUserName is not the account")
	case rt.CreateTime == 0:
		return "", errors.New("wechat: simulator: reply has no CreateTime")
	}
	return rt.Content, nil
}

// ReplySigned reports whether sig is the MsgSignature of an encrypted
// reply with this timestamp, nonce and Encrypt field, on s's token: for a
// client that reads replies its own way (tongxin bench).
func (s *Simulator) ReplySigned(sig, timestamp, nonce, encrypt string) bool {
	return sig == util.Signature(s.Token, timestamp, nonce, encrypt)
}

// DecryptReply returns the plain XML of an encrypted reply's Encrypt
// field, on s's AppID and key.
func (s *Simulator) DecryptReply(encrypt string) ([]byte, error) {
	_, plain, err := util.DecryptMsg(s.AppID, encrypt, s.AESKey)
	return plain, err
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return b
}

func randUint64() uint64 { return binary.BigEndian.Uint64(randBytes(8)) }
