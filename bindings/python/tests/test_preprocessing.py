"""Tokenizer, pad_sequences and the next-token windows against Keras' documented behaviour
(the expected values are worked out by hand from Keras' rules)."""

import numpy as np
import pytest

import libdeep
from libdeep.preprocessing.sequence import pad_sequences, windows, windows_dataset
from libdeep.preprocessing.text import Tokenizer, text_to_word_sequence

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "My cat, my dog."]


def test_tokenizer_numbers_words_by_frequency_then_first_occurrence():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(TEXTS)
    # the: 3, my: 3 (the seen first), cat: 2, dog: 2 (cat first), then the ones seen once.
    assert list(tokenizer.word_index.items()) == [
        ("the", 1), ("my", 2), ("cat", 3), ("dog", 4), ("sat", 5), ("on", 6), ("mat", 7), ("ate", 8),
        ("homework", 9)]
    assert tokenizer.index_word[3] == "cat"
    assert tokenizer.word_counts["the"] == 3 and tokenizer.word_docs["the"] == 2
    assert tokenizer.document_count == 3
    assert tokenizer.texts_to_sequences(["The DOG sat; a fish!"]) == [[1, 4, 5]]  # unknown words dropped
    assert tokenizer.sequences_to_texts([[1, 4, 5, 42]]) == ["the dog sat"]


def test_tokenizer_num_words_and_oov_token():
    tokenizer = Tokenizer(num_words=4, oov_token="<OOV>")
    tokenizer.fit_on_texts(TEXTS)
    assert tokenizer.word_index["<OOV>"] == 1 and tokenizer.word_index["the"] == 2
    assert len(tokenizer.word_index) == 10  # num_words limits conversions, not the index
    # ids >= num_words (cat is 4) and unknown words become the oov id 1
    assert tokenizer.texts_to_sequences(["the my cat fish"]) == [[2, 3, 1, 1]]
    assert tokenizer.sequences_to_texts([[2, 3, 4, 99]]) == ["the my <OOV> <OOV>"]
    plain = Tokenizer(num_words=3)
    plain.fit_on_texts(TEXTS)
    assert plain.texts_to_sequences(["the my cat"]) == [[1, 2]]


def test_tokenizer_options():
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abca", "B"])
    assert chars.word_index == {"a": 1, "b": 2, "c": 3}
    assert chars.texts_to_sequences(["cab"]) == [[3, 1, 2]]
    cased = Tokenizer(lower=False, filters="", split=",")
    cased.fit_on_texts(["A,b,,A", "b!,A"])
    assert cased.word_index == {"A": 1, "b": 2, "b!": 3}
    tokens = Tokenizer()
    tokens.fit_on_texts([["Hello", "world"], ["hello"]])  # already split: only lower-cased
    assert tokens.word_index == {"hello": 1, "world": 2}
    assert text_to_word_sequence("Hi, there!\tYou") == ["hi", "there", "you"]
    with pytest.raises(TypeError):
        Tokenizer().fit_on_texts("one text, not a list")
    with pytest.raises(ValueError):
        Tokenizer(num_words=-1)


def test_pad_sequences_as_keras_documents_it():
    sequences = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(pad_sequences(sequences), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequences, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequences, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequences, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequences, maxlen=2, truncating="post"), [[0, 1], [2, 3], [4, 5]])
    assert pad_sequences(sequences).dtype == np.int32


def test_pad_sequences_dtypes_vectors_and_errors():
    floats = pad_sequences([[0.5], []], maxlen=2, dtype="float32", value=np.nan)
    assert floats.dtype == np.float32 and np.isnan(floats[0, 0]) and floats[0, 1] == 0.5 and np.isnan(floats[1]).all()
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]
    vectors = pad_sequences([[[1, 2]], [[3, 4], [5, 6]]])
    assert vectors.shape == (2, 2, 2) and vectors[0].tolist() == [[0, 0], [1, 2]]
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    with pytest.raises(ValueError):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError):
        pad_sequences([[1]], value="x")
    with pytest.raises(ValueError):
        pad_sequences([[1], 2])
    with pytest.raises(ValueError):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])


def test_windows_follow_the_keras_text_generation_recipe():
    text = np.array([5, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
    for maxlen, step in [(3, 1), (3, 2), (4, 3), (10, 1)]:
        x, y = windows(text, maxlen, step)
        starts = range(0, len(text) - maxlen, step)
        np.testing.assert_array_equal(x, [text[i: i + maxlen] for i in starts])
        np.testing.assert_array_equal(y, [text[i + maxlen] for i in starts])
    with pytest.raises(libdeep.ShapeError):
        windows(text, 11)
    with pytest.raises(ValueError):
        windows(text, 0)
    with pytest.raises(TypeError):
        windows([0.5, 1.5, 2.5], 1)


def test_windows_dataset_is_the_c_librarys_windows():
    ids = np.array([0, 3, 2, 1, 3, 3, 0, 2])
    x, y = windows(ids, 3, 2)
    with windows_dataset(ids, 3, 2, num_classes=5) as data:
        np.testing.assert_array_equal(data.features, x)
        np.testing.assert_array_equal(data.labels, y)
        assert data.num_classes == 5
    with pytest.raises(libdeep.OutOfRangeError):
        windows_dataset(ids, 3, num_classes=3)
    with pytest.raises(ValueError):
        windows_dataset([-1, 0, 1], 1)


def test_tokenizer_to_padded_windows_end_to_end():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(TEXTS)
    padded = pad_sequences(tokenizer.texts_to_sequences(TEXTS), maxlen=5)
    assert padded.shape == (3, 5)
    np.testing.assert_array_equal(padded[2], [0, 2, 3, 2, 4])
