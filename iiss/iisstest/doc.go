// Package iisstest is test support for iiss.Service implementations: an
// in-memory Fake, a harness that builds iiss.Local over svctest.Fake,
// and the contract suite [TestService] every implementation must pass.
package iisstest
