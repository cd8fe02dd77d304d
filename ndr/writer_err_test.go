package ndr

import (
	"errors"
	"fmt"
	"testing"
)

// After the first error every write is ignored, Raw and Uint8 included,
// and deferred pointees are dropped: Bytes holds what came before.
func TestWriterIgnoresWritesAfterError(t *testing.T) {
	writes := map[string]func(*Writer){
		"Raw":     func(w *Writer) { w.Raw([]byte{1, 2, 3}) },
		"Uint8":   func(w *Writer) { w.Uint8(1) },
		"Uint16":  func(w *Writer) { w.Uint16(1) },
		"Uint32":  func(w *Writer) { w.Uint32(1) },
		"Uint64":  func(w *Writer) { w.Uint64(1) },
		"Align":   func(w *Writer) { w.Align(8) },
		"Count":   func(w *Writer) { w.Count(3) },
		"WString": func(w *Writer) { w.WString("ab") },
		"WChars":  func(w *Writer) { w.WChars("ab") },
		"CString": func(w *Writer) { w.CString("ab") },
		"Pointer": func(w *Writer) { w.Pointer(true, func(w *Writer) { w.Uint32(7) }); w.Flush() },
	}
	for _, syn := range []Syntax{NDR20, NDR64} {
		for name, write := range writes {
			w := NewWriter(syn)
			w.Uint8(0xAA)
			boom := errors.New("boom")
			w.Fail(boom)
			write(w)
			if w.Len() != 1 || w.Bytes()[0] != 0xAA || !errors.Is(w.Err(), boom) {
				t.Errorf("%v %s after an error: % x, %v", syn, name, w.Bytes(), w.Err())
			}
		}
	}
	// An error inside a deferred pointee stops the rest of the flush.
	w := NewWriter(NDR20)
	w.Pointer(true, func(w *Writer) { w.Count(-1) })
	w.Pointer(true, func(w *Writer) { w.Uint32(0xDEADBEEF) })
	w.Flush()
	if w.Err() == nil || w.Len() != 8 {
		t.Errorf("flush after a failing pointee: % x, %v", w.Bytes(), w.Err())
	}
}

// A Reader is not a fmt.Stringer: printing one must not consume it.
func TestReaderIsNotAStringer(t *testing.T) {
	var r any = NewReader([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'x'}, NDR20)
	if _, ok := r.(fmt.Stringer); ok {
		t.Fatal("*Reader implements fmt.Stringer")
	}
	rd := r.(*Reader)
	_ = fmt.Sprint(rd)
	if rd.Offset() != 0 {
		t.Fatalf("printing the Reader moved it to %d", rd.Offset())
	}
}
