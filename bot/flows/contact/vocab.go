package contact

// ContactWords ask for a phone number or the office hours (syntax:
// intent.New).
var ContactWords = []string{"电话多少", "号码", "办公时间", "几点上班"}
