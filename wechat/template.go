package wechat

import (
	"context"
	"fmt"

	sdkctx "github.com/silenceper/wechat/v2/officialaccount/context"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// Template is one template message (模板消息) to a resident or staff
// member. It carries no colours: WeChat has ignored them since 2023.
type Template struct {
	// ToUser is the recipient's openid.
	ToUser string
	// TemplateID is the template configured for the account.
	TemplateID string
	// URL is the detail page opened from the message; optional.
	URL string
	// Data maps each template field key (e.g. "thing1") to its value.
	// Since 2023 WeChat rejects values over 20 characters or with line
	// breaks (errcode 47003); keeping within that is the caller's job,
	// because only the caller knows how to shorten its own content.
	Data map[string]string
	// ClientMsgID is WeChat's 防重入 id: a second send with the same
	// ToUser and ClientMsgID (within about ten minutes) is dropped by
	// WeChat, so a send retried after a crash mid-send is not delivered
	// twice. Optional, but set it from the notification's idempotency key.
	ClientMsgID string
}

// SendTemplate sends t and returns WeChat's msgid. API failures are
// *APIError (43004: not subscribed; 40037: bad template id; 47003: a field
// breaks the template rules); Classify says what each means for delivery.
// A rejected access_token is replaced and the message sent once more.
func (c *Client) SendTemplate(ctx context.Context, t Template) (msgID int64, err error) {
	if t.ToUser == "" || t.TemplateID == "" {
		return 0, fmt.Errorf("wechat: send template: %w: touser and template id are required", ErrInvalidRequest)
	}
	msg := &message.TemplateMessage{
		ToUser:      t.ToUser,
		TemplateID:  t.TemplateID,
		URL:         t.URL,
		ClientMsgID: t.ClientMsgID,
		// Never nil: WeChat wants "data":{} rather than null.
		Data: make(map[string]*message.TemplateDataItem, len(t.Data)),
	}
	for k, v := range t.Data {
		msg.Data[k] = &message.TemplateDataItem{Value: v}
	}
	err = c.call(ctx, func(sc *sdkctx.Context) error {
		id, err := message.NewTemplate(sc).Send(msg)
		msgID = id
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("wechat: send template: %w", err)
	}
	return msgID, nil
}
