"""Keras' preprocessing helpers for text and sequences:

    from libdeep.preprocessing.text import Tokenizer
    from libdeep.preprocessing.sequence import pad_sequences, windows
"""

from . import sequence, text
from .sequence import pad_sequences, windows, windows_dataset
from .text import Tokenizer, text_to_word_sequence

__all__ = ["sequence", "text", "pad_sequences", "windows", "windows_dataset", "Tokenizer", "text_to_word_sequence"]
