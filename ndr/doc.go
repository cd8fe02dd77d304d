// Package ndr implements Network Data Representation, the transfer
// syntaxes of DCE/RPC: NDR 2.0 (C706 chapter 14) and NDR64 ([MS-RPCE]
// 2.2.5), plus Type Serialization Version 1 ([MS-RPCE] 2.2.6).
//
// A wire type declares one MarshalNDR(*Writer) / UnmarshalNDR(*Reader)
// pair. The Writer and Reader know the negotiated syntax and apply its
// rules: count and pointer width (4 bytes in NDR20, 8 in NDR64), enum
// width (2 or 4), alignment from the start of the stub. Types call
// [Writer.Tail] / [Reader.Tail] at the end of a structure for NDR64's
// trailing padding ([MS-RPCE] 2.2.5.3.4.1) and align unions themselves.
//
// Pointers ([C706] 14.3.10-12): [Writer.Pointer] writes a referent ID and
// defers the pointee; [Writer.Flush] (called by [Writer.Marshal] after each
// top-level parameter) writes deferred pointees depth-first, so embedded
// referents follow the structure that holds them, in order.
//
// Decoding is strict in the sense of [MS-RPCE] 3.1.1.5.3 (target level
// 5.0): counts above 2^31-1, varying arrays whose offset+actual exceed the
// maximum, strings without a terminating NUL, embedded ref pointers that
// are NULL, NULL unique pointers with a non-zero correlated count
// ([MS-IISS] 3.1.4) and short stubs all fail with an *Error that wraps
// [ErrMalformed] and maps to RPC fault 0x000006F7. The Reader never
// allocates more than the bytes left in the stub can justify.
package ndr
