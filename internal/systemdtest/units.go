package systemdtest

import (
	"os"
	"path/filepath"
	"strings"
)

// Enable links unit into target's .wants directory, as `systemctl enable`
// does for a unit with WantedBy=target; Reload makes it effective.
func (s *Sandbox) Enable(target, unit string) error {
	dir := filepath.Join(s.UnitDir, target+".wants")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	link := filepath.Join(dir, unit)
	if err := os.Remove(link); err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.Symlink(filepath.Join("..", unit), link)
}

// ExecLine renders argv for ExecStart=: each argument double-quoted, with
// systemd's escapes for '\', '"', '%' (specifiers) and '$' (variables).
func ExecLine(argv []string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$")
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = `"` + r.Replace(a) + `"`
	}
	return strings.Join(q, " ")
}
