package dcom

import "github.com/iisctl/iisctl/ndr"

// The IIS ServiceControl class and interface ([MS-IISS] 1.9), which the
// golden activation captures ask for. The package itself does not know
// them: package iiss registers its class.
var (
	IID_IIisServiceControl   = ndr.MustGUID("e8fb8620-588f-11d2-9d61-00c04f79c5fe")
	CLSID_IIisServiceControl = ndr.MustGUID("e8fb8621-588f-11d2-9d61-00c04f79c5fe")
)
