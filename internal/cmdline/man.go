package cmdline

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The man pages are written here as roff (man(7) macros) straight from
// the command tree: cobra's doc generator would link a Markdown renderer
// and a YAML encoder whose package initialization every process of both
// programs paid (~0.4 ms), while only `man DIR` needs them.

// manHeader is the .TH line's fields.
type manHeader struct {
	Title, Section, Source, Manual string
	Date                           time.Time
}

// genManTree writes a page per available command under root into dir:
// "root.1", "root-sub.1", ...
func genManTree(root *cobra.Command, hdr manHeader, dir string) error {
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := genManTree(c, hdr, dir); err != nil {
			return err
		}
	}
	name := strings.ReplaceAll(root.CommandPath(), " ", "-")
	f, err := os.Create(filepath.Join(dir, name+"."+hdr.Section))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	genMan(w, root, hdr)
	werr := w.Flush()
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// genMan writes cmd's page: NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
// OPTIONS INHERITED FROM PARENT COMMANDS, EXAMPLE, SEE ALSO.
func genMan(w *bufio.Writer, cmd *cobra.Command, hdr manHeader) {
	cmd.InitDefaultHelpFlag()
	dashed := strings.ReplaceAll(cmd.CommandPath(), " ", "-")
	fmt.Fprintf(w, ".nh\n.TH %s %s %s %s %s\n\n", manQuote(hdr.Title), manQuote(hdr.Section),
		manQuote(hdr.Date.Format("Jan 2006")), manQuote(hdr.Source), manQuote(hdr.Manual))
	fmt.Fprintf(w, ".SH NAME\n%s \\- %s\n\n", manText(dashed), manText(cmd.Short))
	fmt.Fprintf(w, ".SH SYNOPSIS\n\\fB%s\\fP\n\n", manText(cmd.UseLine()))
	desc := cmd.Long
	if desc == "" {
		desc = cmd.Short
	}
	fmt.Fprintf(w, ".SH DESCRIPTION\n.nf\n%s\n.fi\n\n", manText(desc))
	manFlags(w, "OPTIONS", cmd.NonInheritedFlags())
	manFlags(w, "OPTIONS INHERITED FROM PARENT COMMANDS", cmd.InheritedFlags())
	if cmd.Example != "" {
		fmt.Fprintf(w, ".SH EXAMPLE\n.EX\n%s\n.EE\n\n", manText(cmd.Example))
	}
	var see []string
	if cmd.HasParent() {
		see = append(see, fmt.Sprintf("\\fB%s\\fP(%s)", manText(strings.ReplaceAll(cmd.Parent().CommandPath(), " ", "-")), hdr.Section))
	}
	children := slices.Clone(cmd.Commands())
	slices.SortFunc(children, func(a, b *cobra.Command) int { return strings.Compare(a.Name(), b.Name()) })
	for _, c := range children {
		if c.IsAvailableCommand() && !c.IsAdditionalHelpTopicCommand() {
			see = append(see, fmt.Sprintf("\\fB%s\\-%s\\fP(%s)", manText(dashed), manText(c.Name()), hdr.Section))
		}
	}
	if len(see) > 0 {
		fmt.Fprintf(w, ".SH SEE ALSO\n%s\n", strings.Join(see, ", "))
	}
}

func manFlags(w *bufio.Writer, title string, flags *pflag.FlagSet) {
	if !flags.HasAvailableFlags() {
		return
	}
	fmt.Fprintf(w, ".SH %s\n", title)
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Deprecated != "" || f.Hidden {
			return
		}
		name := "\\fB\\-\\-" + manText(f.Name) + "\\fP"
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			name = "\\fB\\-" + manText(f.Shorthand) + "\\fP, " + name
		}
		def := f.DefValue
		if f.Value.Type() == "string" {
			def = fmt.Sprintf("%q", def)
		}
		if f.NoOptDefVal != "" {
			name += "[=" + manText(def) + "]"
		} else {
			name += "=" + manText(def)
		}
		fmt.Fprintf(w, ".TP\n%s\n%s\n", name, manText(f.Usage))
	})
	w.WriteString("\n")
}

// manText escapes text for roff: backslashes, hyphens, and a control
// character ('.' or '\”) at the start of a line.
func manText(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\e")
	s = strings.ReplaceAll(s, "-", "\\-")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = "\\&" + l
		}
	}
	return strings.Join(lines, "\n")
}

// manQuote is a quoted macro argument.
func manQuote(s string) string {
	return `"` + strings.ReplaceAll(manText(s), `"`, `\(dq`) + `"`
}

// manDate is now, or SOURCE_DATE_EPOCH for reproducible pages.
func manDate() time.Time {
	if e := os.Getenv("SOURCE_DATE_EPOCH"); e != "" {
		var sec int64
		if _, err := fmt.Sscan(e, &sec); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	return time.Now()
}
