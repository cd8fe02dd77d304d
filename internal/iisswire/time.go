package iisswire

import "time"

// Timeout converts a dwTimeoutMsecs to a Duration.
func Timeout(ms uint32) time.Duration { return time.Duration(ms) * time.Millisecond }

// Millis converts a Duration to dwTimeoutMsecs, clamping to [0, 2^32-1].
func Millis(d time.Duration) uint32 {
	switch ms := d.Milliseconds(); {
	case ms <= 0:
		return 0
	case ms > 0xFFFFFFFF:
		return 0xFFFFFFFF
	default:
		return uint32(ms)
	}
}

func BoolDWORD(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
