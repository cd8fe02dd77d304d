// Package dcom implements the parts of the Distributed Component Object
// Model Remote Protocol ([MS-DCOM]) that IIS ServiceControl needs, both
// sides: ORPC types (2.2), activation through IRemoteSCMActivator and
// IActivation (3.1.2.5.2), class objects with IClassFactory for
// RemoteGetClassObject and MODE_GET_CLASS_OBJECT (3.1.2.5.2.3.2, COM's
// objidl.idl call_as forms), the OXID resolver IObjectExporter (3.1.2.5.1),
// the object exporter with IRemUnknown/IRemUnknown2 (3.1.1.5.6), ping sets
// and garbage collection (3.1.2.6), and the client's activation and ORPC
// calls (3.2).
package dcom
