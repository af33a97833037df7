package input

import "testing"

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]string{
		"3号楼2单元201":    "3号楼2单元201室",
		"3号楼 2单元 201室": "3号楼2单元201室",
		"三号楼":          "3号楼",
		"十二号楼三单元":      "12号楼3单元",
		"3栋":           "3号楼",
		"3#":           "3号楼",
		"3#2-201":      "3号楼2单元201室",
		"3-2-201":      "3号楼2单元201室",
		"3-2":          "3号楼2单元",
		"第5栋":          "5号楼",
		"5号楼1201":      "5号楼1201室",
	} {
		a, ok := ParseAddress(in)
		if !ok || a.String() != want {
			t.Errorf("ParseAddress(%q) = %q, %v; want %q", in, a.String(), ok, want)
		}
	}
	for _, in := range []string{"", "我家", "0号楼", "楼下", "2024", "13800138000"} {
		if a, ok := ParseAddress(in); ok {
			t.Errorf("ParseAddress(%q) = %q, want no address", in, a.String())
		}
	}
}

func TestBuildingIn(t *testing.T) {
	for in, want := range map[string]int{"3号楼旁边的路灯": 3, "三号楼门口": 3, "在12栋后面": 12, "5#楼下": 5} {
		if n, ok := BuildingIn(in); !ok || n != want {
			t.Errorf("BuildingIn(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
	for _, in := range []string{"东门", "楼下", "3楼的灯"} {
		if n, ok := BuildingIn(in); ok {
			t.Errorf("BuildingIn(%q) = %d, want none", in, n)
		}
	}
}
