package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/iisreset"
)

// jsonHost is one element of --json's array; the schema is documented
// in doc.go and `iisctl help json`. Fields are only ever added.
type jsonHost struct {
	Host       string        `json:"host"`
	Port       int           `json:"port"`
	Action     string        `json:"action"`
	OK         bool          `json:"ok"`
	ExitCode   int           `json:"exit_code"`
	HRESULT    string        `json:"hresult"`
	Error      string        `json:"error"`
	Step       string        `json:"step"`
	Services   []jsonService `json:"services"`
	DurationMS int64         `json:"duration_ms"`
	// Mechanism is "Kerberos" or "NTLM" once connected, else "";
	// AuthProvider the --auth provider used; KerberosFallback why
	// negotiate used NTLM.
	Mechanism        string `json:"mechanism"`
	AuthProvider     string `json:"auth_provider"`
	KerberosFallback string `json:"kerberos_fallback,omitempty"`
}

// jsonService is one SERVICE_STATUS entry ([MS-IISS] 2.2.1).
type jsonService struct {
	Name                    string `json:"name"`
	DisplayName             string `json:"display_name"`
	State                   string `json:"state"`
	StateCode               uint32 `json:"state_code"`
	Type                    uint32 `json:"type"`
	ControlsAccepted        uint32 `json:"controls_accepted"`
	Win32ExitCode           uint32 `json:"win32_exit_code"`
	ServiceSpecificExitCode uint32 `json:"service_specific_exit_code"`
	CheckPoint              uint32 `json:"checkpoint"`
	WaitHintMS              uint32 `json:"wait_hint_ms"`
}

func writeJSON(w io.Writer, op Op, results []hostResult) error {
	out := make([]jsonHost, 0, len(results))
	for _, r := range results {
		out = append(out, toJSON(op, r))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func toJSON(op Op, r hostResult) jsonHost {
	h := iisreset.Code(r.Err)
	j := jsonHost{
		Host: r.Target.Host, Port: r.Target.Port, Action: string(op), OK: r.Err == nil,
		ExitCode: exitCodeOf(r.Err), HRESULT: fmt.Sprintf("0x%08X", uint32(h)), Step: r.Step,
		Services: []jsonService{}, DurationMS: r.Duration.Milliseconds(),
	}
	if r.Err != nil {
		j.Error = iisreset.Message(r.Err)
	}
	if r.Mech != nil {
		j.Mechanism, j.AuthProvider, j.KerberosFallback = r.Mech.Name, r.Mech.Provider, r.Mech.Fallback
	}
	for _, s := range r.Services {
		j.Services = append(j.Services, serviceJSON(s))
	}
	return j
}

func serviceJSON(s iiss.ServiceStatus) jsonService {
	return jsonService{
		Name: s.Name, DisplayName: s.DisplayName, State: s.State.String(), StateCode: uint32(s.State),
		Type: uint32(s.Type), ControlsAccepted: s.ControlsAccepted, Win32ExitCode: s.Win32ExitCode,
		ServiceSpecificExitCode: s.ServiceSpecificExitCode, CheckPoint: s.CheckPoint, WaitHintMS: s.WaitHint,
	}
}
