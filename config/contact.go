package config

// Contact holds the numbers and hours residents are given when they need
// a person (the contact card, 人工, the emergency path), and the words
// that open the emergency path.
type Contact struct {
	// CommunityPhone is the community office's number
	// (TONGXIN_COMMUNITY_PHONE).
	CommunityPhone string
	// OfficeHours are the office's hours on a working day,
	// "HH:MM-HH:MM,HH:MM-HH:MM" (TONGXIN_OFFICE_HOURS); holidays and 调休
	// come from TONGXIN_HOLIDAYS_FILE. Deadlines count these hours too.
	OfficeHours string
	// PropertyName, PropertyPhone and PropertyHotline are the property
	// company (物业), its office number and its 24-hour line
	// (TONGXIN_PROPERTY_NAME, _PHONE, _HOTLINE).
	PropertyName, PropertyPhone, PropertyHotline string
	// UrgentWords adds words to the emergency kinds, "kind:word,..."
	// (TONGXIN_URGENT_WORDS); the emergency flow checks the kinds.
	UrgentWords string
	// UrgentIgnore adds words that mark a message as no emergency
	// (演习, 讲座), comma-separated (TONGXIN_URGENT_IGNORE).
	UrgentIgnore string
}

// DefaultOfficeHours are the office hours when TONGXIN_OFFICE_HOURS is
// unset: those deadlines have always counted.
const DefaultOfficeHours = "09:00-12:00,14:30-17:30"

// contactSettings are the variables of Contact. Their values' rules (the
// hours' format, the emergency kinds) are the domains', passed in as Rules.
var contactSettings = []setting{
	{name: "TONGXIN_COMMUNITY_PHONE",
		set: func(c *Config, v string) error { c.Contact.CommunityPhone = v; return nil },
		get: func(c Config) string { return c.Contact.CommunityPhone }},
	{name: "TONGXIN_OFFICE_HOURS",
		set:   func(c *Config, v string) error { c.Contact.OfficeHours = v; return nil },
		get:   func(c Config) string { return c.Contact.OfficeHours },
		check: func(c Config) error { return notEmpty(c.Contact.OfficeHours) }},
	{name: "TONGXIN_PROPERTY_NAME",
		set: func(c *Config, v string) error { c.Contact.PropertyName = v; return nil },
		get: func(c Config) string { return c.Contact.PropertyName }},
	{name: "TONGXIN_PROPERTY_PHONE",
		set: func(c *Config, v string) error { c.Contact.PropertyPhone = v; return nil },
		get: func(c Config) string { return c.Contact.PropertyPhone }},
	{name: "TONGXIN_PROPERTY_HOTLINE",
		set: func(c *Config, v string) error { c.Contact.PropertyHotline = v; return nil },
		get: func(c Config) string { return c.Contact.PropertyHotline }},
	{name: "TONGXIN_URGENT_WORDS",
		set: func(c *Config, v string) error { c.Contact.UrgentWords = v; return nil },
		get: func(c Config) string { return c.Contact.UrgentWords }},
	{name: "TONGXIN_URGENT_IGNORE",
		set: func(c *Config, v string) error { c.Contact.UrgentIgnore = v; return nil },
		get: func(c Config) string { return c.Contact.UrgentIgnore }},
}
