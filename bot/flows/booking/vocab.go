package booking

// MatterWords are the vocabulary of each clinic intent (syntax:
// intent.New).
var MatterWords = map[string][]string{
	"clinic:consult":   {"律师", "离婚", "押金", "合同", "起诉", "遗产", "赔偿"},
	"clinic:mediation": {"调解", "协调"},
	"clinic:aid":       {"法律援助", "请不起律师"},
	"clinic:knowledge": {"法律知识", "普法"},
}
