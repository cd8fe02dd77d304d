package winbind

import (
	"bufio"
	"strings"
	"testing"
)

// FuzzReply: whatever a helper prints, the parser returns a bounded map
// or an error, never panics, and never reads past maxReplyLines lines.
func FuzzReply(f *testing.F) {
	for _, s := range []string{
		"Authenticated: Yes\nUser-Session-Key: 14B34E95AA3ABD47C1BE01C4C4A01740\n.\n",
		"Authenticated: No\nAuthentication-Error: The referenced account is currently disabled and cannot be logged on to.\n.\n.\n",
		".\nAuthenticated: Yes\n.\n",
		"Error: No username supplied!\n.\n",
		"garbage\n",
		strings.Repeat("K: v\n", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := readReply(bufio.NewReaderSize(strings.NewReader(s), maxLine))
		if err == nil && len(m) > maxReplyLines {
			t.Fatalf("%d keys", len(m))
		}
	})
}

// TestReplyTable: the parser's answers for the shapes ntlm_auth prints.
func TestReplyTable(t *testing.T) {
	for in, want := range map[string]string{
		"Authenticated: Yes\nUser-Session-Key: AB\n.\n":         "Yes",
		".\n.\nAuthenticated: No\nAuthentication-Error: x\n.\n": "No",
	} {
		m, err := readReply(bufio.NewReaderSize(strings.NewReader(in), maxLine))
		if err != nil || m["Authenticated"] != want {
			t.Errorf("%q: %v %v", in, m, err)
		}
	}
	for _, in := range []string{"no colon here\n.\n", strings.Repeat("A: b\n", maxReplyLines+1), "Authenticated: Yes\n", strings.Repeat("x", maxLine+10) + "\n"} {
		if _, err := readReply(bufio.NewReaderSize(strings.NewReader(in), maxLine)); err == nil {
			t.Errorf("%.40q: accepted", in)
		}
	}
}
