package iiss_test

import (
	"testing"

	"github.com/iisctl/iisctl/iiss/iisstest"
)

func TestLocalContract(t *testing.T) { iisstest.TestService(t, iisstest.LocalFactory) }

func TestFakeContract(t *testing.T) { iisstest.TestService(t, iisstest.FakeFactory) }
