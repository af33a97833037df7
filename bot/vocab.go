package bot

// The router's own intents' vocabularies (syntax: intent.New: "word" or
// "word:weight", weight 1 when none; a plain word is worth 1, a phrase
// that alone says what is meant 2 or 3). The features' vocabularies live
// beside their flows (bot/flows/*/vocab.go).
var (
	// GreetingWords are hellos and "is anyone there". A greeting never
	// wins over anything else recognised in the same message.
	GreetingWords = []string{
		"你好:2", "您好:2", "你们好:2", "大家好:2", "在吗:2", "在不在:2", "有人吗:2", "有人在吗:2",
		"早上好:2", "上午好:2", "中午好:2", "下午好:2", "晚上好:2", "早安:2", "午安:2", "晚安:2",
		"哈喽:2", "哈罗:2", "嗨:2", "喂:2", "hello:2", "hi:2", "nihao:2", "zaima:2",
		"请问:0.5", "👋:2", "🤝:1",
		"在么:2", "在嘛:2", "有人没:2", "打扰了:1", "打扰一下:1", "老师好:2", "领导好:2", "早:1.5", "新年好:2", "过年好:2", "新年快乐:2", "节日快乐:2", "salam:2", "🌞:1",
	}
	// ThanksWords are thanks, acknowledgements and goodbyes. They are
	// weighed against the words of a problem: "谢谢律师" stays thanks, a
	// problem described after a thank-you wins.
	ThanksWords = []string{
		"谢谢:3", "感谢:3", "多谢:3", "谢了:3", "谢啦:3", "谢谢你们:3", "辛苦了:3", "辛苦:2",
		"麻烦你们了:3", "麻烦你们:2", "麻烦了:2", "点赞:3", "太好了:1", "帮了大忙:2",
		"xiexie:3", "thanks:3", "thank:3", "👍:3", "🙏:0.5", "💐:1",
		"修好了:0.5", "解决了:1", "明白了:0.5", "收到:0.5",
		"谢谢您:3", "非常感谢:3", "好人一生平安:3", "太棒了:1.5", "满意:1.5", "了解了:0.5", "懂了:0.5", "知道了:0.5", "有劳:2", "费心了:3", "费心:2", "给力:2", "暖心:1.5", "好评:2", "表扬:2", "锦旗:2", "拜拜:1.5", "再见:1.5", "👌:1", "❤:1",
	}
	// HumanWords ask for a person: staff, the grid worker, a call back.
	HumanWords = []string{
		"工作人员:2", "找工作人员:4", "人工:2", "转人工:3", "人工服务:3", "人工客服:3", "客服:1",
		"真人:2", "活人:2", "网格员:1", "找网格员:2", "楼格长:1", "楼长:1", "社区书记:2", "书记:1.5",
		"打电话给我:2", "给我打电话:2", "给我打个电话:2", "打个电话:1.5", "回个电话:2", "联系我:2",
		"回我:1", "回我一下:1.5", "加我微信:2", "当面说:1.5", "当面:0.5", "上我家:1", "来一趟:1.5",
		"找个人:1.5", "找人:0.5", "帮我弄:0.5", "不会打字:1.5", "不会用:0.5", "机器人:0.5",
		"跟人说:1.5", "说话:0.5",
		"找人工:3", "接电话:1.5", "找社区:1.5", "找居委会:1.5", "居委会的人:2", "社区的人:2", "来个人:2", "派个人:2", "听不懂:1", "看不懂:1", "不会弄:1", "说不明白:1", "问个人:1.5", "负责人:1.5", "领导:1.5", "主任:1.5", "社工:1.5",
	}
)
