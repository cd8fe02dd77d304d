package dcom

import (
	"testing"

	"github.com/iisctl/iisctl/ndr"
)

// Our client sends the six properties Windows sends, SecurityInfo naming
// the server among them, and the server side parses them back.
func TestClientActivationInHasWindowsShape(t *testing.T) {
	in := BuildActivationIn(CLSID_IIisServiceControl, []ndr.GUID{IID_IIisServiceControl},
		ActivationInOptions{ContextID: IID_IContext, ServerName: "web01.example.com"})
	mip, err := in.MInterfacePointer()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseActivationIn(mip)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Order); n != 6 {
		t.Fatalf("%d properties, want 6 (as Windows and impacket send)", n)
	}
	if got.Security == nil || got.Security.ServerInfo == nil || got.Security.ServerInfo.Name == nil ||
		*got.Security.ServerInfo.Name != "web01.example.com" {
		t.Fatalf("SecurityInfo = %+v", got.Security)
	}
	if got.Instantiation.ClassID != CLSID_IIisServiceControl {
		t.Fatalf("class %v", got.Instantiation.ClassID)
	}
}
