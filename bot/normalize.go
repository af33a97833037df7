package bot

import (
	"strconv"
	"strings"
	"unicode"
)

// Normalize prepares typed text for matching, once per message: full-width
// forms become half-width (phones type "１２３" and "？"), letters are
// case-folded, runs of white space collapse to one space, and the trailing
// full stops and exclamation marks people add ("取消。") are dropped.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\u3000':
			r = ' '
		case r >= '\uFF01' && r <= '\uFF5E':
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimRight(b.String(), "。.!~，, ")
}

var chineseDigits = map[rune]int{
	'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4,
	'五': 5, '六': 6, '七': 7, '八': 8, '九': 9, '十': 10,
}

// ParseNumber reads a small whole number typed as digits ("3") or in
// Chinese ("三", "十二", "第三个"), as elderly residents often answer a
// numbered question. It reports false for anything else.
func ParseNumber(norm string) (int, bool) {
	s := strings.TrimSuffix(strings.TrimPrefix(norm, "第"), "个")
	s = strings.TrimSuffix(s, "项")
	if s == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0
	}
	rs := []rune(s)
	if len(rs) > 3 {
		return 0, false
	}
	total, cur, tens := 0, -1, false
	for _, r := range rs {
		d, ok := chineseDigits[r]
		if !ok {
			return 0, false
		}
		if d == 10 {
			if tens {
				return 0, false
			}
			tens = true
			if cur < 0 {
				cur = 1
			}
			total += cur * 10
			cur = -1
			continue
		}
		if cur >= 0 {
			return 0, false
		}
		cur = d
	}
	if cur >= 0 {
		total += cur
	}
	return total, true
}
