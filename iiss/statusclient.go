package iiss

import (
	"context"
	"fmt"

	"github.com/iisctl/iisctl/internal/iisswire"
)

// StatusCall performs one Status call with dwBufferSize = bufSize and
// returns the decoded response (see [DecodeStatusResponse]).
type statusCallFunc func(ctx context.Context, bufSize uint32) (iisswire.StatusResponse, error)

// StatusFetchOptions bounds [FetchStatus]; the zero value uses defaults.
type statusFetchOptions struct {
	InitialSize uint32 // first guess; default 4096
	MaxSize     uint32 // never ask for more; default DefaultMaxStatusBuffer
	MaxAttempts int    // default 5
}

// FetchStatus runs the Status retry loop of [MS-IISS] 4.1: call with a
// guess, and on ERROR_INSUFFICIENT_BUFFER retry with the required size.
// A server answering 0x7A with required == dwBufferSize (the "not
// greater than" reading of [MS-IISS] 3.1.4.4) gets +2. The
// blob of a successful answer is decoded with [DecodeStatusBlob].
func fetchStatus(ctx context.Context, call statusCallFunc, o statusFetchOptions) ([]ServiceStatus, error) {
	size := o.InitialSize
	if size == 0 {
		size = 4096
	}
	maxSize := o.MaxSize
	if maxSize == 0 {
		maxSize = DefaultMaxStatusBuffer
	}
	attempts := o.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	size = min(size, maxSize)
	for range attempts {
		resp, err := call(ctx, size)
		if err != nil {
			return nil, err
		}
		switch {
		case !resp.Result.Failed():
			list, _, err := iisswire.DecodeStatusBlob(resp.Buffer, resp.NumServices)
			return statuses(list), err
		case resp.Result != ERROR_INSUFFICIENT_BUFFER:
			return nil, resp.Result
		}
		next := nextStatusSize(size, resp.RequiredSize)
		if next > maxSize {
			return nil, fmt.Errorf("iiss: status needs %d bytes, above the %d-byte limit: %w", resp.RequiredSize, maxSize, ErrInsufficientBuffer)
		}
		size = next
	}
	return nil, fmt.Errorf("iiss: status: still too small after %d attempts: %w", attempts, ErrInsufficientBuffer)
}

// nextStatusSize is the retry size after a 0x7A answer.
func nextStatusSize(size, required uint32) uint32 {
	if required > size {
		return required
	}
	if size > 0xFFFFFFFF-2 {
		return 0xFFFFFFFF
	}
	return size + 2
}

// entries and statuses convert between the API's ServiceStatus and the
// wire's Entry (the same fields).
func entries(list []ServiceStatus) []iisswire.Entry {
	out := make([]iisswire.Entry, len(list))
	for i, s := range list {
		out[i] = iisswire.Entry(s)
	}
	return out
}

func statuses(list []iisswire.Entry) []ServiceStatus {
	if list == nil {
		return nil
	}
	out := make([]ServiceStatus, len(list))
	for i, e := range list {
		out[i] = ServiceStatus(e)
	}
	return out
}
