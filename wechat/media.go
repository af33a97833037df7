package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	sdkctx "github.com/silenceper/wechat/v2/officialaccount/context"
	"github.com/silenceper/wechat/v2/util"
)

// MaxMediaSize bounds one download: WeChat's own limit for an image or a
// video (a voice message is at most 2 MB).
const MaxMediaSize = 10 << 20

// mediaURL is the temporary-media download, written as the SDK writes its
// URLs: the transport sends it to the configured base.
const mediaURL = "https://" + officialHost + "/cgi-bin/media/get?access_token=%s&media_id=%s"

// pictureHosts are the domains of WeChat's image CDN that an image
// message's PicUrl points at (mmbiz.qpic.cn and the like).
var pictureHosts = []string{"qpic.cn", "qlogo.cn"}

// Media is a file a resident sent, as downloaded from WeChat.
type Media struct {
	Body []byte
	// ContentType is what WeChat said it is, or what the bytes say when
	// WeChat said nothing useful: image/jpeg, audio/amr, ...
	ContentType string
}

// Media downloads the temporary media mediaID (an image or voice
// message's MediaId), which WeChat keeps for three days. API failures are
// *APIError: 40007 (invalid media_id) once it has expired. A rejected
// access_token is replaced and the download tried once more. Media that is
// not a file (a video answers with a link) or is larger than MaxMediaSize
// is refused with ErrInvalidRequest.
func (c *Client) Media(ctx context.Context, mediaID string) (Media, error) {
	if mediaID == "" || strings.ContainsAny(mediaID, "&?#/ ") {
		return Media{}, fmt.Errorf("wechat: media: %w: not a media_id", ErrInvalidRequest)
	}
	var m Media
	err := c.call(ctx, func(sc *sdkctx.Context) error {
		tok, err := sc.GetAccessToken()
		if err != nil {
			return err
		}
		m, err = download(ctx, util.DefaultHTTPClient, fmt.Sprintf(mediaURL, url.QueryEscape(tok), url.QueryEscape(mediaID)), true)
		return err
	})
	if err != nil {
		return Media{}, fmt.Errorf("wechat: media: %w", err)
	}
	return m, nil
}

// Picture downloads an image message's PicUrl. Only WeChat's image CDN
// (*.qpic.cn, *.qlogo.cn) and the host of ClientConfig.APIBase (where tests
// and proxies stand in for WeChat) are fetched from, redirects included:
// anything else is refused with ErrInvalidRequest, so a forged URL cannot
// make the server fetch from its own network. An answer other than 200 is
// an error that Classify retries (5xx, 408, 429) or gives up on (other
// 4xx: the picture is gone).
func (c *Client) Picture(ctx context.Context, picURL string) (Media, error) {
	if err := c.pictureAllowed(picURL); err != nil {
		return Media{}, fmt.Errorf("wechat: picture: %w", err)
	}
	client := &http.Client{
		Transport: util.DefaultHTTPClient.Transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return fmt.Errorf("%w: too many redirects", ErrInvalidRequest)
			}
			return c.pictureAllowed(req.URL.String())
		},
	}
	m, err := download(ctx, client, picURL, false)
	if err != nil {
		return Media{}, fmt.Errorf("wechat: picture: %w", classify(err))
	}
	return m, nil
}

// pictureAllowed refuses a PicUrl that is not on WeChat's image CDN or the
// API base's host.
func (c *Client) pictureAllowed(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: not an http(s) URL", ErrInvalidRequest)
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range pictureHosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			return nil
		}
	}
	if base, err := url.Parse(c.apiBase); err == nil && strings.EqualFold(u.Host, base.Host) {
		return nil
	}
	return fmt.Errorf("%w: host %s is not WeChat's image CDN", ErrInvalidRequest, host)
}

// download GETs raw with client and reads the file it answers. api says
// the answer may be a JSON error of the official-account API instead.
func download(ctx context.Context, client *http.Client, raw string, api bool) (Media, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return Media{}, fmt.Errorf("%w: %v", ErrInvalidRequest, redactString(err.Error()))
	}
	resp, err := client.Do(req)
	if err != nil {
		return Media{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return Media{}, &statusError{Code: resp.StatusCode, Path: req.URL.Path}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxMediaSize+1))
	if err != nil {
		return Media{}, err
	}
	if len(body) > MaxMediaSize {
		return Media{}, fmt.Errorf("%w: larger than %d MB", ErrInvalidRequest, MaxMediaSize>>20)
	}
	ctype := contentType(resp.Header.Get("Content-Type"), body)
	// The API answers failures with HTTP 200 and a JSON body; no image or
	// voice file starts with a brace.
	if api && (ctype == "application/json" || ctype == "text/plain" || bytes.HasPrefix(body, []byte("{"))) {
		return Media{}, apiAnswer(body)
	}
	if len(body) == 0 {
		return Media{}, errors.New("empty answer")
	}
	return Media{Body: body, ContentType: ctype}, nil
}

// apiAnswer is the error a JSON answer to a media download stands for.
func apiAnswer(body []byte) error {
	var r struct {
		ErrCode  int    `json:"errcode"`
		ErrMsg   string `json:"errmsg"`
		VideoURL string `json:"video_url"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("unreadable answer: %w", err)
	}
	switch {
	case r.ErrCode != 0:
		return &APIError{Code: r.ErrCode, Msg: r.ErrMsg}
	case r.VideoURL != "":
		return fmt.Errorf("%w: a video is a link, not a file", ErrInvalidRequest)
	}
	return fmt.Errorf("%w: the answer is JSON, not a file", ErrInvalidRequest)
}

// contentType is the media type of a download: the server's, unless it
// gave none or a generic one, then what the bytes look like. WeChat sends
// voice messages as AMR, which Go does not sniff.
func contentType(header string, body []byte) string {
	mt, _, err := mime.ParseMediaType(header)
	if err == nil && mt != "" && mt != "application/octet-stream" && mt != "binary/octet-stream" {
		return mt
	}
	if bytes.HasPrefix(body, []byte("#!AMR")) {
		return "audio/amr"
	}
	mt, _, _ = mime.ParseMediaType(http.DetectContentType(body))
	return mt
}
