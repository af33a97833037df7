package main

import (
	"github.com/tongxin/tongxin/bot/flows/emergency"
	"github.com/tongxin/tongxin/config"
	"github.com/tongxin/tongxin/notify"
	"github.com/tongxin/tongxin/tickets"
	"github.com/tongxin/tongxin/wechat"
	"github.com/tongxin/tongxin/workcal"
)

// configRules are the checks each domain owns on its part of the
// configuration. config imports no domain, so they are handed to
// config.Load here, which reports their problems with its own: one start-up
// names every mistake, and each rule has one home. A domain with a table
// adds its check here.
var configRules = []config.Rule{
	{Key: "TONGXIN_WECHAT_AES_KEY", Check: func(c config.Config) error {
		if c.WeChat.AESKey == "" && c.WeChat.MinMode() == "plain" {
			return nil // a plain-mode account may have no EncodingAESKey
		}
		return wechat.CheckAESKey(c.WeChat.AESKey)
	}},
	{Key: "TONGXIN_QUIET_HOURS", Check: func(c config.Config) error {
		_, err := notify.ParseQuietHours(c.QuietHours)
		return err
	}},
	{Key: "TONGXIN_OFFICE_HOURS", Check: func(c config.Config) error {
		_, err := workcal.ParseHours(c.Contact.OfficeHours)
		return err
	}},
	{Key: "TONGXIN_URGENT_WORDS", Check: func(c config.Config) error {
		_, err := emergency.NewDetector(c.Contact.UrgentWords, c.Contact.UrgentIgnore)
		return err
	}},
	{Key: "tickets", Check: func(c config.Config) error {
		_, err := tickets.CategoriesFromConfig(c.Tickets)
		return err
	}},
}
