package emergency

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tongxin/tongxin/bot"
)

// Kind is a kind of emergency.
type Kind string

// Kinds, in the order a message naming several is answered.
const (
	Fire     Kind = "fire"
	Gas      Kind = "gas"
	Electric Kind = "electric"
	Medical  Kind = "medical"
	Elevator Kind = "elevator"
	Water    Kind = "water"
)

// Kinds lists every kind in answering order.
var Kinds = []Kind{Fire, Gas, Electric, Medical, Elevator, Water}

// words are the built-in urgent words of each kind, matched anywhere in
// a normalised message.
var words = map[Kind][]string{
	Fire:     {"着火", "起火", "失火", "冒烟", "火灾", "烧起来了", "火烧"},
	Gas:      {"燃气味", "煤气味", "天然气味", "闻到煤气", "闻到燃气", "闻到天然气", "燃气泄漏", "煤气泄漏", "漏气了", "煤气漏", "燃气漏", "天然气漏", "漏煤气", "漏燃气"},
	Electric: {"漏电", "触电", "电线冒火", "电线着火", "电线烧"},
	Medical:  {"有人晕倒", "晕倒了", "昏倒", "昏迷", "不省人事", "没有呼吸", "没呼吸了", "心脏病发作", "摔倒起不来", "倒地不起"},
	Elevator: {"电梯困人", "被困电梯", "困在电梯", "电梯里困", "关在电梯", "电梯出不来"},
	Water:    {"爆管", "水管爆", "管子爆", "暖气管爆", "喷水", "水漫"},
}

// everyday are phrases of ordinary repairs that hold an urgent or ignore
// word without meaning it: a stove that will not light (打不着火), a flat
// tyre, the fountain, the notice board (宣传栏). They are taken out of a
// message before it is matched, so "打不着火，还闻到煤气味" is still a gas
// leak and "宣传栏着火了" still a fire.
var everyday = []string{"打不着火", "点不着火", "打不着", "点不着", "轮胎漏气", "车胎漏气", "胎漏气", "喷水池", "不喷水", "宣传栏",
	// Denials: "没着火，就是有点焦味" is a question for the day, not 119.
	"没着火", "没有着火", "没冒烟", "没有冒烟", "没漏电", "没有漏电", "没漏气", "没有漏气", "没有燃气味", "没有煤气味"}

// now are the marks of something happening as the resident writes, with
// an urgent word followed by 了 ("冒烟了"): with one, an ignore word does
// not silence the message ("报名处那边冒烟了，快来" is a fire, whatever
// the room is for).
var now = []string{"快来", "救命", "赶紧", "快点", "正在"}

// ignore are words that make a message about an emergency no emergency:
// a drill to sign up for, a fire-safety talk.
var ignore = []string{"演习", "演练", "讲座", "培训", "知识", "宣传", "报名", "课程"}

// Detector tells urgent messages: the built-in words and ignore words,
// with the operator's additions.
type Detector struct {
	words  map[Kind][]string
	ignore []string
}

// NewDetector returns the built-in detector extended by extra
// ("kind:word,kind:word", TONGXIN_URGENT_WORDS) and more ignore words
// ("word,word", TONGXIN_URGENT_IGNORE). An unknown kind or an empty word
// is an error naming it.
func NewDetector(extra, ignoreMore string) (*Detector, error) {
	d := &Detector{words: map[Kind][]string{}, ignore: slices.Clone(ignore)}
	for k, ws := range words {
		d.words[k] = slices.Clone(ws)
	}
	for item := range strings.SplitSeq(extra, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		kind, word, ok := strings.Cut(item, ":")
		k := Kind(strings.TrimSpace(kind))
		word = strings.ReplaceAll(bot.Normalize(word), " ", "") // matched without spaces
		if !ok || word == "" || !slices.Contains(Kinds, k) {
			return nil, fmt.Errorf("want kind:word with kind one of fire, gas, electric, medical, elevator, water (e.g. water:跑水), got %q", item)
		}
		d.words[k] = append(d.words[k], word)
	}
	for w := range strings.SplitSeq(ignoreMore, ",") {
		if w = strings.ReplaceAll(bot.Normalize(w), " ", ""); w != "" {
			d.ignore = append(d.ignore, w)
		}
	}
	return d, nil
}

// Detect returns the kinds of emergency a normalised message names, in
// answering order; none for a message that holds an ignore word, unless
// it also says the thing is happening now (着火了, 快来, 救命).
func (d *Detector) Detect(norm string) []Kind {
	norm = strings.ReplaceAll(norm, " ", "") // "着 火 了"
	for _, w := range everyday {
		norm = strings.ReplaceAll(norm, w, "|")
	}
	var out []Kind
	happening := false
	for _, k := range Kinds {
		for _, w := range d.words[k] {
			i := strings.Index(norm, w)
			if i < 0 {
				continue
			}
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
			if after := norm[i+len(w):]; strings.HasPrefix(after, "了") || strings.HasSuffix(w, "了") {
				happening = true
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	for _, w := range now {
		happening = happening || strings.Contains(norm, w)
	}
	if !happening && slices.ContainsFunc(d.ignore, func(w string) bool { return strings.Contains(norm, w) }) {
		return nil
	}
	return out
}
