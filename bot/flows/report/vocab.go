package report

// CategoryWords are the default vocabulary of each built-in category
// (by ticket category key; syntax: intent.New). A category the operator
// adds brings its own words in the configuration.
var CategoryWords = map[string][]string{
	"repair":     {"维修", "报修", "坏了", "漏水", "不亮", "电梯", "水管"},
	"sanitation": {"垃圾", "卫生", "臭", "清理"},
	"dispute":    {"吵架", "纠纷", "矛盾", "噪音"},
	"employment": {"找工作", "就业", "工作", "招聘"},
	"assistance": {"救助", "低保", "困难", "补助"},
	"housing":    {"租房", "找房", "房子"},
	"medical":    {"看病", "就医", "医院", "体检"},
	"suggestion": {"建议", "意见"},
}

// StatusWords ask how a request one made is going.
var StatusWords = []string{"怎么样了", "进度", "处理得怎么样", "有结果吗"}
