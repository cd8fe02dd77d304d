// Package promiis holds what iissd's metrics and iisctl's exporter share
// about the IIS ServiceControl Protocol ([MS-IISS]) in Prometheus terms:
// the label values of a service's state (dwCurrentState, [MS-SCMR]
// 2.2.47) and of a call's result (an HRESULT, [MS-ERREF] 2.1), so a
// dashboard or alert written for one works on the other. See
// docs/metrics.md for the metric names.
package promiis
