package ndr

// Syntax is a negotiated transfer syntax.
type Syntax uint8

// Transfer syntaxes.
const (
	NDR20 Syntax = iota // 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0 (C706 14; [MS-RPCE] 2.2.4.12)
	NDR64               // 71710533-beba-4937-8319-b5dbef9ccc36 v1.0 ([MS-RPCE] 2.2.5)
)

// Transfer syntax identifiers as they appear in bind PDUs.
var (
	NDR20UUID = MustGUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
	NDR64UUID = MustGUID("71710533-beba-4937-8319-b5dbef9ccc36")
)

// Transfer syntax versions (major; minor is 0).
const (
	NDR20Version = 2
	NDR64Version = 1
)

func (s Syntax) String() string {
	if s == NDR64 {
		return "NDR64"
	}
	return "NDR20"
}
