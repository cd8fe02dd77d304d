package cmdline

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func testRoot(out *bytes.Buffer) *cobra.Command {
	root := &cobra.Command{Use: "prog", Args: cobra.ArbitraryArgs, RunE: func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return UnknownCommand(c, args[0])
		}
		return nil
	}}
	root.AddCommand(&cobra.Command{Use: "status", Short: "s", Args: NoArgs, RunE: func(*cobra.Command, []string) error { return nil }})
	root.SetOut(out)
	root.SetErr(out)
	Setup(root, "v1.2.3")
	return root
}

func TestSetup(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out.Reset()
		if err := Execute(testRoot(&out), args); err != nil || out.String() != "prog v1.2.3\n" {
			t.Errorf("%q: %v %q", args, err, out.String())
		}
	}
	usage := map[string]string{
		"stauts":       `unknown command "stauts" for "prog"; did you mean "status"?`,
		"--nope":       "unknown flag: --nope",
		"status extra": `prog status takes no arguments (got "extra")`,
		"man":          "prog man: want a directory (prog man DIR [flags])",
	}
	for args, msg := range usage {
		var ue *UsageError
		err := Execute(testRoot(&out), strings.Fields(args))
		if !errors.As(err, &ue) || ue.Msg != msg {
			t.Errorf("%q: %v, want usage error %q", args, err, msg)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out.Reset()
		if err := Execute(testRoot(&out), []string{"completion", shell}); err != nil || !strings.Contains(out.String(), "prog") {
			t.Errorf("completion %s: %v\n%.200s", shell, err, out.String())
		}
	}
}

func TestManPages(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := Execute(testRoot(&out), []string{"man", dir}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "prog-status.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), ".TH \"PROG\" \"1\"") || !strings.Contains(string(b), "prog status") {
		t.Fatalf("prog-status.1:\n%s", b)
	}
}

func TestVersionOf(t *testing.T) {
	cases := []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}}, "v1.0.0"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel)"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}, "(devel) 0123456789ab+dirty"},
	}
	for _, c := range cases {
		if got := versionOf(&c.bi); got != c.want {
			t.Errorf("versionOf = %q, want %q", got, c.want)
		}
	}
}

func TestManTextEscapes(t *testing.T) {
	if got, want := manText(".TH x\n'y\\z-w"), "\\&.TH x\n\\&'y\\ez\\-w"; got != want {
		t.Fatalf("manText = %q, want %q", got, want)
	}
	if got, want := manQuote(`a "b"`), `"a \(dqb\(dq"`; got != want {
		t.Fatalf("manQuote = %q, want %q", got, want)
	}
}
