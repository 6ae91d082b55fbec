//! Vocabularies: text to token ids for Embedding and recurrent layers (Keras' Tokenizer).
use std::os::raw::c_char;
use std::path::Path;
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

use crate::convert::{array_sized, c_path, c_string, len64, text_sized};
use crate::error::{check, Result};

c_enum!(
    /// What a token is (`deep_token_kind`).
    TokenKind {
        /// Every Unicode code point, blanks and line ends included.
        Characters = sys::DEEP_TOKENS_CHARACTERS,
        /// Runs of non-blank characters (no case folding).
        Words = sys::DEEP_TOKENS_WORDS,
    }
);

/// A vocabulary: add texts to count their tokens, [`freeze`](Vocab::freeze) it to number
/// them by falling count from 2, then encode texts into ids. Id 0 is padding and id 1
/// stands for every token the vocabulary left out. Adding after freeze, or querying before
/// it, is a `Status::State` error.
///
/// `deep.h`: "a frozen vocabulary is read-only: it may be used from several threads at
/// once", so it is `Sync`, the queries take `&self` and `add_*` and `freeze` `&mut self`.
pub struct Vocab {
    raw: NonNull<sys::deep_vocab>,
}
handle!(Vocab, sys::deep_vocab, sys::deep_vocab_free);
unsafe impl Send for Vocab {}
unsafe impl Sync for Vocab {}

impl Vocab {
    /// An empty vocabulary of characters or words.
    pub fn new(kind: TokenKind) -> Result<Vocab> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_vocab_new(kind as i32, &mut raw) })?;
        Ok(Vocab::from_raw(raw))
    }

    /// Counts the tokens of `text`.
    pub fn add_text(&mut self, text: &str) -> Result<()> {
        self.add_bytes(text.as_bytes())
    }

    /// Counts the tokens of UTF-8 bytes; bytes that are not UTF-8 are a `Status::Format`
    /// error naming the byte, and nothing is counted.
    pub fn add_bytes(&mut self, text: &[u8]) -> Result<()> {
        check(unsafe { sys::deep_vocab_add_text(self.ptr(), text.as_ptr() as *const c_char, len64(text.len())) })
    }

    /// Counts the tokens of a whole file.
    pub fn add_file<P: AsRef<Path>>(&mut self, path: P) -> Result<()> {
        let path = c_path(path.as_ref())?;
        check(unsafe { sys::deep_vocab_add_file(self.ptr(), path.as_ptr()) })
    }

    /// Numbers the tokens seen at least `min_count` (>= 1) times, most frequent first, up
    /// to `max_size` ids in all (0 and 1 included; 0 for no limit, else more than 2).
    pub fn freeze(&mut self, max_size: usize, min_count: u64) -> Result<()> {
        let min_count = i64::try_from(min_count).unwrap_or(i64::MAX);
        check(unsafe { sys::deep_vocab_freeze(self.ptr(), len64(max_size), min_count) })
    }

    /// The number of ids, 0 and 1 included: an Embedding's `input_dim`.
    pub fn size(&self) -> Result<i64> {
        let mut n = 0i64;
        check(unsafe { sys::deep_vocab_size(self.ptr(), &mut n) })?;
        Ok(n)
    }

    /// The id of one token (1 when the vocabulary left it out or never saw it).
    pub fn id(&self, token: &str) -> Result<i32> {
        let token = c_string("Vocab::id", token)?;
        let mut id = 0i32;
        check(unsafe { sys::deep_vocab_id(self.ptr(), token.as_ptr(), &mut id) })?;
        Ok(id)
    }

    /// The token of an id: `""` for 0, `"<unknown>"` for 1.
    pub fn token(&self, id: i32) -> Result<String> {
        text_sized(|buffer, capacity, needed| unsafe { sys::deep_vocab_token(self.ptr(), id, buffer, capacity, needed) })
    }

    /// The ids of the tokens of `text`.
    pub fn encode(&self, text: &str) -> Result<Vec<i32>> {
        let (bytes, length) = (text.as_ptr() as *const c_char, len64(text.len()));
        array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_vocab_encode(self.ptr(), bytes, length, buffer, capacity, needed)
        })
    }
}
