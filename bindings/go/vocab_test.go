package deep

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestVocabRoundTrip(t *testing.T) {
	words, err := NewVocab(Words)
	must(t, err)
	defer words.Close()
	must(t, words.AddText("the cat sat on the mat\nthe dog sat"))
	path := filepath.Join(t.TempDir(), "more.txt")
	must(t, os.WriteFile(path, []byte("a cat and a dog"), 0o644))
	must(t, words.AddFile(path))
	must(t, words.Freeze(0, 1))
	// "the" (3 times) comes first, then the words seen twice in order of first sight.
	for token, want := range map[string]int32{"the": 2, "cat": 3, "sat": 4, "dog": 5, "a": 6, "zebra": UnknownID} {
		if id, err := words.ID(token); err != nil || id != want {
			t.Fatalf("id of %q: %d %v, want %d", token, id, err, want)
		}
	}
	if n, _ := words.Size(); n != 2+8 {
		t.Fatalf("vocabulary of %d ids", n)
	}
	text := "the dog sat on a mat"
	ids, err := words.Encode(text)
	must(t, err)
	if len(ids) != 6 || ids[0] != 2 || ids[1] != 5 {
		t.Fatalf("encoded %v", ids)
	}
	back, err := words.Decode(ids)
	must(t, err)
	if back != text {
		t.Fatalf("decoded %q, want %q", back, text)
	}
	if tok, _ := words.Token(UnknownID); tok != "<unknown>" {
		t.Fatalf("token of 1: %q", tok)
	}
	if tok, _ := words.Token(PaddingID); tok != "" {
		t.Fatalf("token of 0: %q", tok)
	}

	// Characters, multi-byte ones included, with a size limit: rare ones become unknown.
	chars, err := NewVocab(Characters)
	must(t, err)
	defer chars.Close()
	must(t, chars.AddText("héllo wörld, héllo\n"))
	must(t, chars.Freeze(0, 1))
	text = "wörld héllo\n"
	ids, err = chars.Encode(text)
	must(t, err)
	if len(ids) != 12 {
		t.Fatalf("%d ids for 12 code points", len(ids))
	}
	back, err = chars.Decode(append([]int32{PaddingID, PaddingID}, ids...))
	must(t, err)
	if back != text {
		t.Fatalf("decoded %q, want %q", back, text)
	}
	if ids, _ := chars.Encode(""); len(ids) != 0 {
		t.Fatalf("empty text encoded to %v", ids)
	}
	small, _ := NewVocab(Characters)
	defer small.Close()
	must(t, small.AddText("aaab"))
	must(t, small.Freeze(3, 1))
	if ids, _ := small.Encode("ab"); ids[0] != 2 || ids[1] != UnknownID {
		t.Fatalf("max size 3 encoded %v", ids)
	}

	// A frozen vocabulary serves goroutines at once.
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				got, err := words.Encode("the cat")
				if err != nil || len(got) != 2 || got[1] != 3 {
					t.Errorf("concurrent encode: %v %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestVocabErrors(t *testing.T) {
	v, err := NewVocab(Words)
	must(t, err)
	_, err = v.Encode("too early")
	wantError(t, err, ErrState, "deep_vocab_encode")
	_, err = v.Size()
	wantError(t, err, ErrState, "deep_vocab_size")
	wantError(t, v.AddText("bad \xff byte"), ErrFormat, "deep_vocab_add_text")
	wantError(t, v.AddFile(filepath.Join(t.TempDir(), "missing.txt")), ErrIO, "deep_vocab_add_file")
	must(t, v.AddText("one two"))
	wantError(t, v.Freeze(0, 0), ErrInvalidArgument, "deep_vocab_freeze")
	must(t, v.Freeze(0, 1))
	wantError(t, v.AddText("three"), ErrState, "deep_vocab_add_text")
	_, err = v.Token(99)
	wantError(t, err, ErrOutOfRange, "deep_vocab_token")
	_, err = v.Decode([]int32{2, 99})
	wantError(t, err, ErrOutOfRange, "deep_vocab_token")
	_, err = v.ID("a\x00b")
	wantError(t, err, ErrInvalidArgument, "Vocab.ID")
	_, err = NewVocab(TokenKind(7))
	wantError(t, err, ErrInvalidArgument, "deep_vocab_new")
	must(t, v.Close())
	must(t, v.Close())
	if _, err := v.Encode("one"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Encode after Close: %v", err)
	}
	var none *Vocab
	_, err = none.Decode([]int32{2})
	wantError(t, err, ErrNull, "Vocab.Decode")
}

func TestSequences(t *testing.T) {
	seqs := [][]int32{{5, 6, 7}, {8}, {}, {2, 3, 4, 5, 6}}
	for _, tc := range []struct {
		padding, truncating PadSide
		want                []float32
	}{
		{PadPre, PadPre, []float32{0, 5, 6, 7, 0, 0, 0, 8, 0, 0, 0, 0, 3, 4, 5, 6}},
		{PadPost, PadPost, []float32{5, 6, 7, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2, 3, 4, 5}},
	} {
		d, err := NewSequences(seqs, 4, tc.padding, tc.truncating)
		must(t, err)
		x, _ := d.Features()
		got, _ := x.Data()
		sameFloats(t, "padded sequences", tc.want, got)
		x.Close()
		d.Close()
	}
	d, err := NewSequences(seqs, 0, PadPre, PadPre)
	must(t, err)
	if shape, _ := d.SampleShape(); shape[0] != 5 {
		t.Fatalf("maxlen 0 gave width %v, want the longest, 5", shape)
	}
	d.Close()

	w, err := NewWindows([]int32{2, 3, 4, 5, 6, 7}, 3, 2, 8)
	must(t, err)
	defer w.Close()
	x, _ := w.Features()
	got, _ := x.Data()
	x.Close()
	labels, _ := w.Labels()
	sameFloats(t, "windows", []float32{2, 3, 4, 4, 5, 6}, got)
	if len(labels) != 2 || labels[0] != 5 || labels[1] != 7 {
		t.Fatalf("window labels %v", labels)
	}

	_, err = NewSequences(nil, 4, PadPre, PadPre)
	wantError(t, err, ErrInvalidArgument, "NewSequences")
	_, err = NewSequences([][]int32{{1, -2}}, 4, PadPre, PadPre)
	wantError(t, err, ErrOutOfRange, "deep_dataset_new_sequences")
	_, err = NewWindows([]int32{2, 3}, 3, 1, 8)
	wantError(t, err, ErrShape, "deep_dataset_new_windows")
	_, err = NewWindows([]int32{2, 3, 9, 4}, 2, 1, 8)
	wantError(t, err, ErrOutOfRange, "deep_dataset_new_windows")
}
