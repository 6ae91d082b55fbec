package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import (
	"runtime"
	"strings"
	"unsafe"
)

// TokenKind is what a vocabulary counts as a token (deep_token_kind).
type TokenKind int32

const (
	Characters TokenKind = C.DEEP_TOKENS_CHARACTERS // every Unicode code point, blanks included
	Words      TokenKind = C.DEEP_TOKENS_WORDS      // runs of non-blank characters
)

// The reserved ids of every vocabulary.
const (
	PaddingID int32 = 0 // fills short sequences; its token is ""
	UnknownID int32 = 1 // every token the vocabulary left out; its token is "<unknown>"
)

// Vocab numbers the tokens of texts (Keras' Tokenizer): AddText counts them, Freeze numbers
// them by falling count from 2, and Encode turns texts into ids. Adding after Freeze, or
// querying before it, is an ErrState. A frozen vocabulary is read-only and serves any
// number of goroutines at once.
type Vocab struct {
	handle
	p    *C.deep_vocab
	kind TokenKind
}

// NewVocab makes an empty vocabulary of characters or words.
func NewVocab(kind TokenKind) (*Vocab, error) {
	var p *C.deep_vocab
	if err := call(func() C.deep_status { return C.deep_vocab_new(C.deep_token_kind(kind), &p) }); err != nil {
		return nil, err
	}
	v := &Vocab{p: p, kind: kind}
	runtime.SetFinalizer(v, func(v *Vocab) {
		if v.p != nil {
			finalized.Add(1)
			C.deep_vocab_free(v.p)
		}
	})
	return v, nil
}

// Close frees the vocabulary. Closing twice is allowed.
func (v *Vocab) Close() error {
	if v == nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.p != nil {
		C.deep_vocab_free(v.p)
		v.p = nil
	}
	return nil
}

func (v *Vocab) do(shared bool, op string, f func(p *C.deep_vocab) C.deep_status) error {
	if v == nil {
		return nilError(op)
	}
	if shared {
		v.mu.RLock()
		defer v.mu.RUnlock()
	} else {
		v.mu.Lock()
		defer v.mu.Unlock()
	}
	if v.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(v.p) })
}

// AddText counts the tokens of text (UTF-8; invalid UTF-8 is an ErrFormat, and nothing is
// counted).
func (v *Vocab) AddText(text string) error {
	ctext := C.CString(text) // copies every byte, NULs included; the length is passed too
	defer C.free(unsafe.Pointer(ctext))
	return v.do(false, "Vocab.AddText", func(p *C.deep_vocab) C.deep_status {
		return C.deep_vocab_add_text(p, ctext, C.int64_t(len(text)))
	})
}

// AddFile counts the tokens of a whole file.
func (v *Vocab) AddFile(path string) error {
	cpath, err := cString("Vocab.AddFile", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return v.do(false, "Vocab.AddFile", func(p *C.deep_vocab) C.deep_status { return C.deep_vocab_add_file(p, cpath) })
}

// Freeze numbers the tokens seen at least minCount (>= 1) times, the most frequent first,
// up to maxSize ids in all (the reserved 0 and 1 included; 0 for no limit); the others
// become UnknownID.
func (v *Vocab) Freeze(maxSize int64, minCount int64) error {
	return v.do(false, "Vocab.Freeze", func(p *C.deep_vocab) C.deep_status {
		return C.deep_vocab_freeze(p, C.int64_t(maxSize), C.int64_t(minCount))
	})
}

// Size is the number of ids, the reserved ones included: an Embedding's input dimension.
func (v *Vocab) Size() (int64, error) {
	var n C.int64_t
	err := v.do(true, "Vocab.Size", func(p *C.deep_vocab) C.deep_status { return C.deep_vocab_size(p, &n) })
	return int64(n), err
}

// ID is the id of one token (UnknownID when it was left out or never seen).
func (v *Vocab) ID(token string) (int32, error) {
	ctoken, err := cString("Vocab.ID", token)
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(ctoken))
	var id C.int32_t
	err = v.do(true, "Vocab.ID", func(p *C.deep_vocab) C.deep_status { return C.deep_vocab_id(p, ctoken, &id) })
	return int32(id), err
}

// Token is the token of an id: "" for PaddingID and "<unknown>" for UnknownID.
func (v *Vocab) Token(id int32) (string, error) {
	var out string
	err := v.do(true, "Vocab.Token", func(p *C.deep_vocab) C.deep_status {
		return text(&out, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_vocab_token(p, C.int32_t(id), buf, capacity, needed)
		})
	})
	return out, err
}

// Encode is the ids of the tokens of text.
func (v *Vocab) Encode(text string) ([]int32, error) {
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	var ids []int32
	err := v.do(true, "Vocab.Encode", func(p *C.deep_vocab) C.deep_status {
		var count C.int64_t
		s := C.deep_vocab_encode(p, ctext, C.int64_t(len(text)), nil, 0, &count) // the size query
		if s != C.DEEP_OK {
			return s
		}
		ids = make([]int32, int(count))
		if count == 0 {
			return C.DEEP_OK
		}
		return C.deep_vocab_encode(p, ctext, C.int64_t(len(text)), int32Ptr(ids), count, &count)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// Decode is the text of ids: their tokens one after the other (characters) or separated by
// single spaces (words), leaving out PaddingID. It undoes Encode for texts whose tokens all
// have ids (and, for words, whose words are separated by single spaces).
func (v *Vocab) Decode(ids []int32) (string, error) {
	var b strings.Builder
	err := v.do(true, "Vocab.Decode", func(p *C.deep_vocab) C.deep_status {
		for _, id := range ids {
			if id == PaddingID {
				continue
			}
			var token string
			if s := text(&token, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
				return C.deep_vocab_token(p, C.int32_t(id), buf, capacity, needed)
			}); s != C.DEEP_OK {
				return s
			}
			if v.kind == Words && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(token)
		}
		return C.DEEP_OK
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}
