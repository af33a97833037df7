package config

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Clinic tunes the legal clinic (法律诊所): the TONGXIN_CLINIC_* variables
// and the [clinic] table of the file, which holds the 法律知识 topics.
// The variables' fields have no TOML form (toml:"-"): they are written as
// TONGXIN_CLINIC_* keys at the top of the file, as every other variable.
type Clinic struct {
	// Place is where the clinic sits, given in every intro
	// (TONGXIN_CLINIC_PLACE).
	Place string `toml:"-"`
	// Cutoff is how long before its start a booking can no longer be
	// cancelled or moved by the resident (TONGXIN_CLINIC_CUTOFF).
	Cutoff time.Duration `toml:"-"`
	// MinNotice is how long before its start a slot can still be booked
	// (TONGXIN_CLINIC_MIN_NOTICE).
	MinNotice time.Duration `toml:"-"`
	// Horizon is how far ahead residents see slots
	// (TONGXIN_CLINIC_HORIZON).
	Horizon time.Duration `toml:"-"`
	// Reminders are how long before a booking's start the resident is
	// reminded, largest first (TONGXIN_CLINIC_REMINDERS, "24h,1h"; "off":
	// none, an empty non-nil slice).
	Reminders []time.Duration `toml:"-"`
	// Token is the clinic staff's bearer token: accepted on
	// /api/v1/clinic/* only, and the only credential under which matter
	// descriptions and aid answers are shown. Empty: no clinic staff
	// through the API (TONGXIN_CLINIC_TOKEN).
	Token string `toml:"-"`

	// Topics are the 法律知识 topics residents read, in order; none in the
	// file means DefaultClinicTopics.
	Topics []ClinicTopic `toml:"topics"`
}

// ClinicTopic is one [[clinic.topics]] entry: a title residents pick by
// number and its short answer.
type ClinicTopic struct {
	Title string `toml:"title"`
	Text  string `toml:"text"`
}

// Defaults of Clinic.
const (
	DefaultClinicPlace     = "社区服务中心法律诊所"
	DefaultClinicCutoff    = 2 * time.Hour
	DefaultClinicMinNotice = time.Hour
	DefaultClinicHorizon   = 14 * day
)

// DefaultClinicReminders are the day before and one hour before.
var DefaultClinicReminders = []time.Duration{24 * time.Hour, time.Hour}

// DefaultClinicTopics are the 法律知识 topics when the file sets none:
// short pointers, each ending with where to ask further.
var DefaultClinicTopics = []ClinicTopic{
	{Title: "婚姻家庭", Text: "结婚、离婚、抚养、赡养和继承，依《民法典》婚姻家庭编、继承编处理。" +
		"协议离婚到婚姻登记机关办理，有30日离婚冷静期；谈不拢可向法院起诉。" +
		"子女有赡养父母的义务，遭受家庭暴力可报警并申请人身安全保护令。详询12348。"},
	{Title: "劳动工资", Text: "用人单位应与劳动者签订书面劳动合同，按时足额支付工资。" +
		"被拖欠工资可向人力资源和社会保障部门（劳动监察）投诉，或申请劳动仲裁，" +
		"仲裁时效一般为一年。农民工讨薪可申请法律援助。保留好考勤、工资条、聊天记录等证据。详询12348。"},
	{Title: "邻里纠纷", Text: "噪音、漏水、占道、宠物等邻里矛盾，先心平气和沟通；" +
		"协商不成可找社区人民调解委员会免费调解，达成的调解协议有法律约束力，" +
		"可申请法院司法确认。切勿动手，以免由有理变无理。详询12348。"},
	{Title: "房屋租赁", Text: "租房应签书面合同，写明租金、押金、租期、维修责任和退租条件，" +
		"核对房东的房产证和身份证。押金退还按合同约定；出租人提前收房须依约并提前通知。" +
		"保留付款凭证。发生纠纷可申请调解或向法院起诉。详询12348。"},
	{Title: "反诈骗", Text: "公检法不会电话办案，更不会要求转账到“安全账户”；" +
		"陌生来电说中奖、退款、刷单返利、冒充亲友借钱，一律先挂断核实。" +
		"不透露验证码，不点陌生链接。被骗后立即拨打110报警，可咨询96110反诈专线。"},
}

var _ section = (*Clinic)(nil)

func (Clinic) subtables() [][]string { return nil }

// maxClinicTopics bounds the topics: residents pick by number from one
// message.
const maxClinicTopics = 20

// maxTopicTitle and maxTopicText bound a topic's title and answer (in
// characters), so a topic fits a WeChat text message.
const (
	maxTopicTitle = 20
	maxTopicText  = 600
)

// validate checks each topic has a title and a text of bounded length,
// and the titles are distinct.
func (c Clinic) validate() []error {
	var errs []error
	if len(c.Topics) > maxClinicTopics {
		errs = append(errs, fmt.Errorf("topics: at most %d topics, got %d", maxClinicTopics, len(c.Topics)))
	}
	seen := map[string]bool{}
	for i, t := range c.Topics {
		title, text := strings.TrimSpace(t.Title), strings.TrimSpace(t.Text)
		switch n := utf8.RuneCountInString(title); {
		case n == 0:
			errs = append(errs, fmt.Errorf("topics[%d].title: must not be empty", i))
		case n > maxTopicTitle:
			errs = append(errs, fmt.Errorf("topics[%d].title: at most %d characters, got %d", i, maxTopicTitle, n))
		case seen[title]:
			errs = append(errs, fmt.Errorf("topics[%d].title: %q is given twice", i, title))
		}
		seen[title] = true
		switch n := utf8.RuneCountInString(text); {
		case n == 0:
			errs = append(errs, fmt.Errorf("topics[%d].text: must not be empty", i))
		case n > maxTopicText:
			errs = append(errs, fmt.Errorf("topics[%d].text: at most %d characters, got %d", i, maxTopicText, n))
		}
	}
	return errs
}

// redact shows the topics' titles, when the operator sets any.
func (c Clinic) redact() map[string]string {
	if len(c.Topics) == 0 {
		return nil
	}
	titles := make([]string, len(c.Topics))
	for i, t := range c.Topics {
		titles[i] = strings.TrimSpace(t.Title)
	}
	return map[string]string{"topics": strings.Join(titles, ",")}
}

// EffectiveTopics are the operator's topics, or DefaultClinicTopics when
// the file sets none; titles and texts trimmed.
func (c Clinic) EffectiveTopics() []ClinicTopic {
	src := c.Topics
	if len(src) == 0 {
		src = DefaultClinicTopics
	}
	out := make([]ClinicTopic, len(src))
	for i, t := range src {
		out[i] = ClinicTopic{Title: strings.TrimSpace(t.Title), Text: strings.TrimSpace(t.Text)}
	}
	return out
}

// maxClinicHorizon bounds how far ahead slots are computed: a quarter.
const maxClinicHorizon = 92 * day

// clinicSettings are the TONGXIN_CLINIC_* variables.
var clinicSettings = []setting{
	{name: "TONGXIN_CLINIC_PLACE",
		set:   func(c *Config, v string) error { c.Clinic.Place = v; return nil },
		get:   func(c Config) string { return c.Clinic.Place },
		check: func(c Config) error { return notEmpty(c.Clinic.Place) }},
	{name: "TONGXIN_CLINIC_CUTOFF",
		set:   func(c *Config, v string) error { return parseDuration(&c.Clinic.Cutoff, v) },
		get:   func(c Config) string { return c.Clinic.Cutoff.String() },
		check: func(c Config) error { return within(c.Clinic.Cutoff, time.Minute, 7*day) }},
	{name: "TONGXIN_CLINIC_MIN_NOTICE",
		set:   func(c *Config, v string) error { return parseDuration(&c.Clinic.MinNotice, v) },
		get:   func(c Config) string { return c.Clinic.MinNotice.String() },
		check: func(c Config) error { return within(c.Clinic.MinNotice, time.Minute, 7*day) }},
	{name: "TONGXIN_CLINIC_HORIZON",
		set: func(c *Config, v string) error { return parseDuration(&c.Clinic.Horizon, v) },
		get: func(c Config) string { return c.Clinic.Horizon.String() },
		check: func(c Config) error {
			if err := within(c.Clinic.Horizon, day, maxClinicHorizon); err != nil {
				return err
			}
			if c.Clinic.Horizon <= c.Clinic.MinNotice {
				return fmt.Errorf("must be longer than the minimum notice (TONGXIN_CLINIC_MIN_NOTICE, %v), got %v", c.Clinic.MinNotice, c.Clinic.Horizon)
			}
			return nil
		}},
	{name: "TONGXIN_CLINIC_REMINDERS",
		set: func(c *Config, v string) error { return parseReminders(&c.Clinic.Reminders, v) },
		get: func(c Config) string { return formatReminders(c.Clinic.Reminders) }},
	{name: "TONGXIN_CLINIC_TOKEN", secret: true,
		set: func(c *Config, v string) error { c.Clinic.Token = v; return nil },
		get: func(c Config) string { return c.Clinic.Token },
		check: func(c Config) error {
			// As the admin token: the message says how long it is, never
			// what it is.
			if n := utf8.RuneCountInString(c.Clinic.Token); n > 0 && n < MinAdminToken {
				return fmt.Errorf("must be empty (no clinic staff through the API) or at least %d characters, got %d; generate one with: openssl rand -hex 32", MinAdminToken, n)
			}
			if c.Clinic.Token != "" && c.Clinic.Token == c.AdminToken {
				return fmt.Errorf("must differ from TONGXIN_ADMIN_TOKEN: the clinic token reads matter descriptions, the admin token must not")
			}
			return nil
		}},
}

// within reports a duration outside lo..hi.
func within(d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return fmt.Errorf("must be from %v to %v, got %v", lo, hi, d)
	}
	return nil
}
