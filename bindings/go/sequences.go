package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "unsafe"

// Datasets of integer token ids for Embedding and recurrent layers: Keras' pad_sequences
// and the sliding windows of next-token prediction. Id 0 is padding and id 1 an unknown
// token (Vocab numbers real tokens from 2); the ids are held as floats.

// PadSide is where NewSequences pads or truncates (deep_pad_side).
type PadSide int32

const (
	PadPre  PadSide = C.DEEP_PAD_PRE  // before the sequence (Keras' default for both)
	PadPost PadSide = C.DEEP_PAD_POST // after it
)

// NewSequences makes a dataset of one sample (width,) per sequence, where width is maxlen,
// or the longest length when maxlen is 0: shorter sequences are filled with 0 before
// (PadPre) or after (PadPost) their ids, longer ones lose ids at the start (truncating
// PadPre) or the end (PadPost). It has no labels yet.
func NewSequences(sequences [][]int32, maxlen int64, padding, truncating PadSide) (*Dataset, error) {
	if len(sequences) == 0 {
		return nil, goError(ErrInvalidArgument, "deep.NewSequences: no sequence given")
	}
	// The C call takes an array of pointers: it and the ids it points to live in C memory,
	// as cgo forbids handing C Go memory that holds Go pointers.
	total := 0
	for _, s := range sequences {
		total += len(s)
	}
	ptrSize := C.size_t(unsafe.Sizeof((*C.int32_t)(nil)))
	ids := (*C.int32_t)(C.malloc(C.size_t(total+1) * 4))
	ptrs := (**C.int32_t)(C.malloc(C.size_t(len(sequences)) * ptrSize))
	lengths := make([]int64, len(sequences))
	defer C.free(unsafe.Pointer(ids))
	defer C.free(unsafe.Pointer(ptrs))
	if ids == nil || ptrs == nil {
		return nil, goError(ErrNoMemory, "deep.NewSequences: out of memory for %d ids", total)
	}
	all := unsafe.Slice((*int32)(unsafe.Pointer(ids)), total+1)
	cptrs := unsafe.Slice(ptrs, len(sequences))
	offset := 0
	for i, s := range sequences {
		copy(all[offset:], s)
		cptrs[i] = (*C.int32_t)(unsafe.Pointer(&all[offset]))
		lengths[i] = int64(len(s))
		offset += len(s)
	}
	var p *C.deep_dataset
	if err := call(func() C.deep_status {
		return C.deep_dataset_new_sequences(ptrs, int64Ptr(lengths), C.int64_t(len(sequences)), C.int64_t(maxlen),
			C.deep_pad_side(padding), C.deep_pad_side(truncating), &p)
	}); err != nil {
		return nil, err
	}
	return wrapDataset(p), nil
}

// NewWindows makes the next-token dataset of one sequence of ids in [0, numClasses): sample
// i holds the window ids starting at i*stride, and its label is the id after them.
func NewWindows(ids []int32, window, stride int64, numClasses int32) (*Dataset, error) {
	var p *C.deep_dataset
	if err := call(func() C.deep_status {
		return C.deep_dataset_new_windows(int32Ptr(ids), C.int64_t(len(ids)), C.int64_t(window), C.int64_t(stride),
			C.int32_t(numClasses), &p)
	}); err != nil {
		return nil, err
	}
	return wrapDataset(p), nil
}
