//! Every enum value of deep.h is used by the safe API as `sys::DEEP_...`, or listed in
//! NOT_BOUND with the reason it is left out, and every function as `sys::deep_...`, or
//! listed in NOT_BOUND_FUNCTIONS, so that a value or a function added to the header fails
//! this test until the binding handles it. The names are read from the -sys crate's ffi.rs,
//! which gen-sys.py generates from deep.h (scripts/check-rust.sh and the 'bindings' meson
//! suite fail when it is stale); the numbers themselves cannot drift, since the safe API
//! spells them as the -sys constants.
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// Enum values the Rust binding leaves out on purpose, and why.
const NOT_BOUND: &[(&str, &str)] = &[
    ("DEEP_REPLICA_AGREE", "the replica hook is for a transport such as libdeep-mpi, which Rust does not bind yet"),
    ("DEEP_REPLICA_BROADCAST", "as DEEP_REPLICA_AGREE"),
    ("DEEP_REPLICA_GRADIENTS", "as DEEP_REPLICA_AGREE"),
    ("DEEP_REPLICA_REDUCE", "as DEEP_REPLICA_AGREE"),
    ("DEEP_REPLICA_SUM", "as DEEP_REPLICA_AGREE"),
];

/// Functions the Rust binding leaves out on purpose, and why. A `deep_model_add_*` may not
/// be listed: every layer type has its builder (tests/registry.rs).
const NOT_BOUND_FUNCTIONS: &[(&str, &str)] = &[
    ("deep_clear_error", "errors become Error values when they happen: no message is left to clear"),
    ("deep_model_get_log", "the Model owns the log closure it installs"),
    ("deep_model_get_callbacks", "the Model owns the callback closures it installs"),
    ("deep_set_last_error", "for C companion libraries (libdeep-mpi) and C callbacks; Rust code returns its own Error"),
    ("deep_forest_fit_trees", "forests grown in pieces across processes: libdeep-mpi's job, which has no Rust binding yet"),
    ("deep_forest_join", "as deep_forest_fit_trees"),
    ("deep_forest_compute_oob_score", "as deep_forest_fit_trees"),
    ("deep_forest_save_buffer", "as deep_forest_fit_trees; Forest::save writes the same bytes to a file"),
    ("deep_forest_load_buffer", "as deep_forest_save_buffer"),
    ("deep_model_set_replica", "the data-parallel hook, for a transport such as libdeep-mpi (deep_mpi_fit), not bound yet"),
    ("deep_model_get_replica", "as deep_model_set_replica"),
    ("deep_model_set_replica_validation", "as deep_model_set_replica (deep_mpi_fit sets it)"),
    ("deep_model_get_replica_validation", "as deep_model_set_replica"),
];

/// The names of the `pub fn deep_x(` declarations of ffi.rs (the header's functions).
fn functions(ffi: &str) -> BTreeSet<String> {
    ffi.lines()
        .filter_map(|line| {
            let name = line.trim().strip_prefix("pub fn ")?.split('(').next()?;
            name.starts_with("deep_").then(|| name.to_string())
        })
        .collect()
}

/// The `deep_*` names written as `sys::deep_...` in `texts` (types too: only the header's
/// functions are looked up).
fn used_functions(texts: &[String]) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for text in texts {
        for piece in text.split("sys::").skip(1) {
            let name: String = piece.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if name.starts_with("deep_") {
                used.insert(name);
            }
        }
    }
    used
}

fn sources(src: &Path) -> Vec<String> {
    let mut texts = Vec::new();
    for entry in fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().map_or(false, |e| e == "rs") {
            texts.push(fs::read_to_string(&path).unwrap());
        }
    }
    texts
}

/// (missing, stale, forbidden): functions neither used nor listed, listed ones that are
/// used or not in the header, listed layer types.
fn function_coverage(
    functions: &BTreeSet<String>,
    used: &BTreeSet<String>,
    listed: &[(&str, &str)],
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let names: BTreeSet<String> = listed.iter().map(|(name, _)| name.to_string()).collect();
    let missing = functions.iter().filter(|f| !used.contains(*f) && !names.contains(*f)).cloned().collect();
    let stale = names.iter().filter(|f| used.contains(*f) || !functions.contains(*f)).cloned().collect();
    let forbidden = names.iter().filter(|f| f.starts_with("deep_model_add_")).cloned().collect();
    (missing, stale, forbidden)
}

#[test]
fn every_function_of_the_header_is_bound() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ffi = fs::read_to_string(root.join("../libdeep-sys/src/ffi.rs")).unwrap();
    let functions = functions(&ffi);
    assert!(functions.len() > 150, "only {} functions read from ffi.rs", functions.len());
    let used = used_functions(&sources(&root.join("src")));
    let (missing, stale, forbidden) = function_coverage(&functions, &used, NOT_BOUND_FUNCTIONS);
    assert!(
        missing.is_empty(),
        "deep.h has functions the Rust binding does not call as sys::<name> (bind them or list them in NOT_BOUND_FUNCTIONS): {:?}",
        missing
    );
    assert!(stale.is_empty(), "NOT_BOUND_FUNCTIONS lists functions that are bound or no longer in deep.h: {:?}", stale);
    assert!(forbidden.is_empty(), "layer types must be bound, not listed in NOT_BOUND_FUNCTIONS: {:?}", forbidden);
    assert!(NOT_BOUND_FUNCTIONS.iter().all(|(_, reason)| !reason.trim().is_empty()));
}

#[test]
fn the_function_coverage_check_can_fail() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let functions = functions(&fs::read_to_string(root.join("../libdeep-sys/src/ffi.rs")).unwrap());
    let texts = sources(&root.join("src"));
    // A binding call removed: that function is missing.
    let without: Vec<String> = texts.iter().map(|t| t.replace("sys::deep_tensor_rank", "sys_deep_tensor_rank")).collect();
    let (missing, _, _) = function_coverage(&functions, &used_functions(&without), NOT_BOUND_FUNCTIONS);
    assert_eq!(missing, vec!["deep_tensor_rank".to_string()]);
    // A bound function listed is stale; a layer type listed is refused.
    let mut listed = NOT_BOUND_FUNCTIONS.to_vec();
    listed.push(("deep_model_add_dense", "not allowed"));
    let (_, stale, forbidden) = function_coverage(&functions, &used_functions(&texts), &listed);
    assert_eq!(stale, vec!["deep_model_add_dense".to_string()]);
    assert_eq!(forbidden, vec!["deep_model_add_dense".to_string()]);
}

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
