package signup

// EventWords ask about events and signing up (syntax: intent.New).
var EventWords = []string{"活动", "报名", "百家宴", "讲座"}
