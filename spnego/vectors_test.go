package spnego

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// specNegTokenInit2 is the annotated NegTokenInit2 of [MS-SPNG] section 4
// (mechTypes NEGOEX, NTLMSSP; a NEGOEX mechToken; negHints).
const specNegTokenInit2 = "6082015d06062b0601050502a08201513082014da01a3018060a2b06010401823702021e060a2b06010401823702020aa28201010481fe4e45474f4558545301000000000000006000000070000000cffa11765e12599a347d766852bfce7097458710bb8242b4c7dfbad2da897aa311a7d868463430952562dc13c554f2010000000000000000600000000100000000000000000000005c33530deaf90d4db2ec4ae3786ec3084e45474f455854530300000001000000400000008e000000cffa11765e12599a347d766852bfce705c33530deaf90d4db2ec4ae3786ec308400000004e000000304ca04a3048302a80283026312430220603550403131b584d4c50726f766964657220496e7465726d656469617465204341301a80183016311430120603550403130b584d4c50726f7669646572a32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265"

// captureFile is the GPL-licensed real Windows exchange; it is read in
// place and never copied into this package.
var captureFile = filepath.Join("..", "..", "shared", "captures", "ntlm_spnego_real-exchange_DOMAIN-User1_pw-known.hex")

// loadCapture returns tok0..tok4 of the real exchange, or skips.
func loadCapture(tb testing.TB) [][]byte {
	tb.Helper()
	toks, err := readCapture()
	if errors.Is(err, fs.ErrNotExist) {
		tb.Skipf("real-exchange capture %s not available; it stays in /work/shared/captures and is not vendored (GPL)", captureFile)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return toks
}

// readCapture parses the "<name> <hex>" lines of the capture file.
func readCapture() ([][]byte, error) {
	f, err := os.Open(captureFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var toks [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, hx, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok || !strings.HasPrefix(name, "tok") {
			continue
		}
		b, err := hex.DecodeString(strings.TrimSpace(hx))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		toks = append(toks, b)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(toks) != 5 {
		return nil, fmt.Errorf("capture has %d tokens, want 5", len(toks))
	}
	return toks, nil
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
