package input

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/bot"
)

// Address is a building, unit and room as residents type them in the many
// ways they do ("3号楼2单元201", "三号楼", "3栋", "3#", "3-2-201"); Unit
// and Room are 0 when not given. Which buildings exist is the caller's
// business.
type Address struct {
	Building int
	Unit     int
	Room     int
}

// String renders a in the community's usual form: 3号楼2单元201室.
func (a Address) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d号楼", a.Building)
	if a.Unit > 0 {
		fmt.Fprintf(&b, "%d单元", a.Unit)
	}
	if a.Room > 0 {
		fmt.Fprintf(&b, "%d室", a.Room)
	}
	return b.String()
}

var (
	chineseRun = regexp.MustCompile(`[零〇一二两三四五六七八九十]+`)
	labelled   = regexp.MustCompile(`^(\d{1,3}) ?(?:号楼|号|栋|幢|#|楼|座)(?: ?(\d{1,2}) ?(?:单元|-))?(?: ?(\d{1,5}) ?(?:室|号|房)?)?$`)
	dashed     = regexp.MustCompile(`^(\d{1,3})-(\d{1,2})(?:-(\d{1,5}))?$`)
)

var buildingIn = regexp.MustCompile(`(\d{1,3}) ?(?:号楼|栋|幢|#|座)`)

// BuildingIn finds a building number anywhere in normalised text, for
// answers like "3号楼旁边的路灯" that name a building among other words.
func BuildingIn(norm string) (int, bool) {
	s := chineseRun.ReplaceAllStringFunc(norm, func(run string) string {
		if n, ok := bot.ParseNumber(run); ok {
			return strconv.Itoa(n)
		}
		return run
	})
	m := buildingIn.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	return n, n > 0
}

// ParseAddress reads an address from normalised text (bot.Normalize).
// It returns false when the text names no building.
func ParseAddress(norm string) (Address, bool) {
	s := chineseRun.ReplaceAllStringFunc(norm, func(run string) string {
		if n, ok := bot.ParseNumber(run); ok {
			return strconv.Itoa(n)
		}
		return run
	})
	s = strings.TrimPrefix(s, "第")
	s = strings.NewReplacer("—", "-", "_", "-", "－", "-").Replace(s)
	s = strings.TrimSpace(s)
	m := labelled.FindStringSubmatch(s)
	if m == nil {
		m = dashed.FindStringSubmatch(s)
	}
	if m == nil {
		return Address{}, false
	}
	var a Address
	a.Building, _ = strconv.Atoi(m[1])
	a.Unit, _ = strconv.Atoi(m[2])
	a.Room, _ = strconv.Atoi(m[3])
	if a.Building == 0 {
		return Address{}, false
	}
	return a, true
}
