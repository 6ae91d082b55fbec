"""keras.preprocessing.text: Tokenizer and text_to_word_sequence, with Keras' behaviour.

Written in Python rather than on deep_vocab: Keras lower-cases, strips punctuation
(`filters`), splits on one separator and numbers words from 1 (1 being the oov_token when
there is one), while deep_vocab splits on blanks, keeps case and reserves ids 0 and 1.
Ids follow Keras: the most frequent word first, ties in order of first occurrence;
num_words keeps ids below num_words when texts are converted (word_index keeps them all).
"""

from collections import OrderedDict

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=FILTERS, lower=True, split=" "):
    """The words of a text: lower-cased (lower=True), every character of filters made a
    separator, split on `split`, empty strings dropped."""
    if lower:
        input_text = input_text.lower()
    if filters:
        input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


class Tokenizer:
    """Keras' Tokenizer: fit_on_texts counts words (or characters with char_level=True),
    texts_to_sequences turns texts into lists of word ids, sequences_to_texts back.
    A text may also be a list of tokens already split (then only lower-cased)."""

    def __init__(self, num_words=None, filters=FILTERS, lower=True, split=" ", char_level=False, oov_token=None,
                 document_count=0):
        if num_words is not None and (isinstance(num_words, bool) or not isinstance(num_words, int) or num_words < 0):
            raise ValueError(f"num_words must be None or an int >= 0; got {num_words!r}")
        if not isinstance(split, str) or not split:
            raise ValueError(f"split must be a non-empty string; got {split!r}")
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.document_count = document_count
        self.word_counts = OrderedDict()
        self.word_docs = {}
        self.word_index = {}
        self.index_word = {}
        self.index_docs = {}

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if not isinstance(text, str):
            raise TypeError(f"texts must be strings or lists of tokens; got {type(text).__name__}")
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Counts the words of texts (a list; a single string would be read as one text per
        character, as in Keras, so it is refused) and renumbers the vocabulary."""
        if isinstance(texts, str):
            raise TypeError("fit_on_texts takes a list of texts; wrap a single text as [text]")
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] = self.word_docs.get(token, 0) + 1
        # sorted() is stable: equal counts keep their first-occurrence order.
        ranked = [w for w, _ in sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)]
        vocabulary = ([self.oov_token] if self.oov_token is not None else []) + ranked
        self.word_index = {}
        for index, word in enumerate(vocabulary, start=1):
            self.word_index[word] = index  # a later duplicate of oov_token wins, as in Keras
        self.index_word = {index: word for word, index in self.word_index.items()}
        self.index_docs = {self.word_index[w]: c for w, c in self.word_docs.items()}

    def texts_to_sequences(self, texts):
        """Lists of word ids; unknown words (and ids >= num_words) become the oov_token's id,
        or are dropped when there is no oov_token."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        if isinstance(texts, str):
            raise TypeError("texts_to_sequences takes a list of texts; wrap a single text as [text]")
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for text in texts:
            ids = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is not None and not (self.num_words and index >= self.num_words):
                    ids.append(index)
                elif oov is not None:
                    ids.append(oov)
            yield ids

    def sequences_to_texts(self, sequences):
        """Texts (words joined by spaces) from lists of ids; ids it does not know are
        dropped, or written as the oov_token when there is one."""
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        texts = []
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(int(index))
                if word is not None and not (self.num_words and index >= self.num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            texts.append(" ".join(words))
        return texts

    def get_config(self):
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower, "split": self.split,
                "char_level": self.char_level, "oov_token": self.oov_token, "document_count": self.document_count}
