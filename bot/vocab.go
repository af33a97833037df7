package bot

// The router's own intents' vocabularies (syntax: intent.New). The
// features' vocabularies live beside their flows (bot/flows/*/vocab.go).
var (
	// GreetingWords are hellos and "is anyone there".
	GreetingWords = []string{"你好", "您好", "在吗", "有人吗", "早上好", "晚上好", "下午好"}
	// ThanksWords are thanks and goodbyes.
	ThanksWords = []string{"谢谢", "感谢", "多谢", "辛苦了"}
	// HumanWords ask for a person.
	HumanWords = []string{"工作人员", "找网格员", "打个电话", "真人"}
)
