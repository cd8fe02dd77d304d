package spnego

import "testing"

// TestMalformed lists inputs that must be rejected without panicking,
// including former fuzz findings.
func TestMalformed(t *testing.T) {
	cases := map[string]string{
		"empty":                "",
		"one byte":             "60",
		"length past end":      "600a06062b06010105",
		"indefinite length":    "6080",
		"five length bytes":    "6085ffffffffff",
		"huge length":          "6084ffffffff",
		"wrong oid":            "600d06062b0601050503a0033001",
		"bad oid padding":      "600d0606800601050502a0033000",
		"oid trailing cont":    "600806062b06010505822",
		"trailing after init":  "600c06062b0601050502a002300000",
		"resp not a seq":       "a1020400",
		"resp wrong tag":       "a2023000",
		"fields out of order":  "a10a3008a1030a0101a0030a0101",
		"duplicate field":      "a10a3008a0030a0101a0030a0101",
		"negstate negative":    "a1073005a0030a01ff",
		"negstate empty":       "a1063004a0020a00",
		"negstate too long":    "a10b3009a0070a050100000000",
		"universal in seq":     "a10430020400",
		"high tag":             "1f0100",
		"init empty bitstr":    "601006062b0601050502a0063004a1020300",
		"init dup mic":         "601606062b0601050502a00c300aa3040402aabba4020400",
		"init hints not seq":   "601006062b0601050502a0063004a3020500",
		"field trailing":       "a10c300aa0050a01010500a1000000",
		"mechtypes not oid":    "601206062b0601050502a0083006a0043002040000",
		"oid overflow":         "a1113010a10e060c2b8fffffffffffffffffff7f",
		"empty oid":            "a1073005a1030600",
		"oid in mechTypes bad": "601206062b0601050502a0083006a00430020600",
	}
	for name, hx := range cases {
		b := mustHex(t, hx+pad(hx))
		if i, r, err := Decode(b); err == nil {
			t.Errorf("%s: accepted: %+v %+v", name, i, r)
		}
	}
}

// pad fixes odd-length literals by appending a nibble.
func pad(s string) string {
	if len(s)%2 == 1 {
		return "0"
	}
	return ""
}
