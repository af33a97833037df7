package contact

// ContactWords ask for a phone number, an address or the office hours
// (syntax: intent.New). Asking for a person to call back is the human
// intent's ("给我打个电话").
var ContactWords = []string{
	"电话:1.5", "电话多少:2", "电话号码:2", "号码:1.5", "联系方式:2", "热线:1.5", "物业电话:2",
	"几点上班:2", "上班:1.5", "几点下班:2", "下班:1", "办公时间:2", "上班时间:2", "几点开门:2",
	"开门:1", "几点关门:2", "关门:1", "休息:1.5", "营业:1.5", "周末上班:2",
	"办公室:1.5", "地址:1.5", "在哪里:0.5", "在哪:0.5", "怎么走:1", "位置:1",
}
