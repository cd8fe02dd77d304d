// Package dcom implements the parts of the Distributed Component Object
// Model Remote Protocol ([MS-DCOM]) that IIS ServiceControl needs, both
// sides: ORPC types (2.2), activation through IRemoteSCMActivator and
// IActivation (3.1.2.5.2), the OXID resolver IObjectExporter (3.1.2.5.1),
// the object exporter with IRemUnknown/IRemUnknown2 (3.1.1.5.6), ping sets
// and garbage collection (3.1.2.6), and the client's activation and ORPC
// calls (3.2).
package dcom
