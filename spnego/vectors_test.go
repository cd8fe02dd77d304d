package spnego

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
)

// specNegTokenInit2 is the annotated NegTokenInit2 of [MS-SPNG] section 4
// (mechTypes NEGOEX, NTLMSSP; a NEGOEX mechToken; negHints).
const specNegTokenInit2 = "6082015d06062b0601050502a08201513082014da01a3018060a2b06010401823702021e060a2b06010401823702020aa28201010481fe4e45474f4558545301000000000000006000000070000000cffa11765e12599a347d766852bfce7097458710bb8242b4c7dfbad2da897aa311a7d868463430952562dc13c554f2010000000000000000600000000100000000000000000000005c33530deaf90d4db2ec4ae3786ec3084e45474f455854530300000001000000400000008e000000cffa11765e12599a347d766852bfce705c33530deaf90d4db2ec4ae3786ec308400000004e000000304ca04a3048302a80283026312430220603550403131b584d4c50726f766964657220496e7465726d656469617465204341301a80183016311430120603550403130b584d4c50726f7669646572a32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265"

// realExchange is the GPL-licensed real Windows exchange; it is read in
// place from ../shared/captures and never copied into this package.
const realExchange = "ntlm_spnego_real-exchange_DOMAIN-User1_pw-known.hex"

// loadCapture returns tok0..tok4 of the real exchange. It skips when the
// captures are absent, and fails instead under IISCTL_REQUIRE_PEERS=1.
func loadCapture(tb testing.TB) [][]byte {
	tb.Helper()
	blobs := capture.OpenHex(tb, realExchange)
	toks := make([][]byte, 5)
	for i := range toks {
		if toks[i] = blobs[fmt.Sprintf("tok%d", i)]; toks[i] == nil {
			tb.Fatalf("%s has no tok%d", realExchange, i)
		}
	}
	return toks
}

// mustHex decodes a hex literal.
func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
