//! Vocabularies: ids by falling count, the reserved ids, encoding and decoding round trips,
//! a frozen vocabulary shared between threads, and calls in the wrong order.
mod common;

use common::{expect_error, TempDir};
use libdeep::{Dataset, PadSide, Status, TokenKind, Vocab};

#[test]
fn words_are_numbered_by_falling_count_and_round_trip() {
    let mut v = Vocab::new(TokenKind::Words).unwrap();
    v.add_text("the cat sat on the mat\nthe cat ran").unwrap();
    v.freeze(0, 1).unwrap();
    // the: 3, cat: 2, then sat, on, mat, ran once each in order of first appearance.
    assert_eq!(v.size().unwrap(), 2 + 6);
    let ids: Vec<i32> = ["the", "cat", "sat", "on", "mat", "ran"].iter().map(|w| v.id(w).unwrap()).collect();
    assert_eq!(ids, vec![2, 3, 4, 5, 6, 7]);
    assert_eq!(v.id("dog").unwrap(), 1);
    assert_eq!(v.token(0).unwrap(), "");
    assert_eq!(v.token(1).unwrap(), "<unknown>");

    let text = "the mat sat on the cat";
    let encoded = v.encode(text).unwrap();
    assert_eq!(encoded, vec![2, 6, 4, 5, 2, 3]);
    let decoded: Vec<String> = encoded.iter().map(|&id| v.token(id).unwrap()).collect();
    assert_eq!(decoded.join(" "), text);
    assert_eq!(v.encode("the dog").unwrap(), vec![2, 1]);
    assert!(v.encode("").unwrap().is_empty());

    // Encoded texts become padded sequences for an Embedding.
    let seqs = vec![v.encode("the cat").unwrap(), v.encode("on the mat sat").unwrap()];
    let d = Dataset::new_sequences(&seqs, 3, PadSide::Pre, PadSide::Pre).unwrap();
    assert_eq!(d.features().unwrap().data().unwrap(), &[0., 2., 3., 2., 6., 4.]);
}

#[test]
fn characters_limits_and_files() {
    let dir = TempDir::new("vocab");
    std::fs::write(dir.join("corpus.txt"), "aaab bc é").unwrap();
    let mut v = Vocab::new(TokenKind::Characters).unwrap();
    v.add_file(dir.join("corpus.txt")).unwrap();
    // a: 3, b: 2, ' ': 2, c: 1, é: 1; at most 5 ids: 0, 1, a, b, ' '.
    v.freeze(5, 1).unwrap();
    assert_eq!(v.size().unwrap(), 5);
    assert_eq!(v.encode("abcé ").unwrap(), vec![2, 3, 1, 1, 4]);
    assert_eq!(v.token(4).unwrap(), " ");

    let mut counted = Vocab::new(TokenKind::Characters).unwrap();
    counted.add_text("aaab bc é").unwrap();
    counted.freeze(0, 2).unwrap(); // only tokens seen twice or more
    assert_eq!(counted.size().unwrap(), 5);
    assert_eq!(counted.id("é").unwrap(), 1);
    let mut unicode = Vocab::new(TokenKind::Characters).unwrap();
    unicode.add_text("日本語日").unwrap();
    unicode.freeze(0, 1).unwrap();
    assert_eq!(unicode.token(2).unwrap(), "日");
    assert_eq!(unicode.encode("語本日").unwrap(), vec![4, 3, 2]);
}

#[test]
fn a_frozen_vocabulary_is_shared_between_threads() {
    let mut v = Vocab::new(TokenKind::Words).unwrap();
    v.add_text("one two two three three three").unwrap();
    v.freeze(0, 1).unwrap();
    let want = v.encode("three two one four").unwrap();
    assert_eq!(want, vec![2, 3, 4, 1]);
    let v = &v;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(move || v.encode("three two one four").unwrap())).collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), want);
        }
    });
}

#[test]
fn vocabulary_misuse_is_an_error() {
    let mut v = Vocab::new(TokenKind::Words).unwrap();
    expect_error(v.encode("a"), Status::State, "deep_vocab_encode");
    expect_error(v.size(), Status::State, "deep_vocab_size");
    expect_error(v.id("a"), Status::State, "deep_vocab_id");
    let err = expect_error(v.add_bytes(b"ok \xff no"), Status::Format, "deep_vocab_add_text");
    assert!(err.message().contains('3'), "the message does not name byte 3: {}", err);
    expect_error(v.add_file("/nonexistent/corpus.txt"), Status::Io, "deep_vocab_add_file");
    v.add_text("a b").unwrap();
    expect_error(v.freeze(2, 1), Status::InvalidArgument, "deep_vocab_freeze");
    expect_error(v.freeze(0, 0), Status::InvalidArgument, "deep_vocab_freeze");
    v.freeze(0, 1).unwrap();
    expect_error(v.add_text("c"), Status::State, "deep_vocab_add_text");
    expect_error(v.freeze(0, 1), Status::State, "deep_vocab_freeze");
    expect_error(v.token(4), Status::OutOfRange, "deep_vocab_token");
    expect_error(v.id("a\0b"), Status::InvalidArgument, "Vocab::id");
}
