//! Every enum value of deep.h is used by the safe API as `sys::DEEP_...`, or listed in
//! NOT_BOUND with the reason it is left out, so that a value added to the header fails this
//! test until the binding handles it. The values are read from the -sys crate's ffi.rs,
//! which gen-sys.py generates from deep.h (scripts/check-rust.sh and the 'bindings' meson
//! suite fail when it is stale); the numbers themselves cannot drift, since the safe API
//! spells them as the -sys constants.
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// Enum values the Rust binding leaves out on purpose, and why.
const NOT_BOUND: &[(&str, &str)] = &[];

/// The names of `pub const DEEP_X: deep_enum = N;` lines: constants typed by an enum
/// (the macros are i32 or i64).
fn enum_values(ffi: &str) -> BTreeSet<String> {
    ffi.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("pub const ")?.split_once(": ")?;
            let ty = rest.split_once(" = ")?.0;
            (name.starts_with("DEEP_") && ty.starts_with("deep_")).then(|| name.to_string())
        })
        .collect()
}

/// The DEEP_* names written as `sys::DEEP_...` in the safe API's sources.
fn used_values(src: &Path) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for entry in fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().map_or(true, |e| e != "rs") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for piece in text.split("sys::").skip(1) {
            let name: String = piece
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.starts_with("DEEP_") {
                used.insert(name);
            }
        }
    }
    used
}

#[test]
fn every_enum_value_of_the_header_is_bound() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ffi = fs::read_to_string(root.join("../libdeep-sys/src/ffi.rs")).unwrap();
    let values = enum_values(&ffi);
    assert!(values.len() > 50, "only {} enum values read from ffi.rs", values.len());
    assert!(values.contains("DEEP_ERR_SHAPE") && values.contains("DEEP_ACTIVATION_RELU"));
    let used = used_values(&root.join("src"));
    let listed: BTreeSet<String> = NOT_BOUND.iter().map(|(name, _)| name.to_string()).collect();
    let missing: Vec<&String> = values
        .iter()
        .filter(|v| !used.contains(*v) && !listed.contains(*v))
        .collect();
    assert!(
        missing.is_empty(),
        "deep.h has enum values the Rust binding does not use as sys::<name> (bind them or list them in NOT_BOUND): {:?}",
        missing
    );
    let stale: Vec<&String> = listed
        .iter()
        .filter(|v| used.contains(*v) || !values.contains(*v))
        .collect();
    assert!(
        stale.is_empty(),
        "NOT_BOUND lists values that are bound or no longer in deep.h: {:?}",
        stale
    );
}
