//! Finds libdeep through pkg-config (libdeep.pc from the libdeep-dev package or a meson
//! install) by running the pkg-config program, so that no crate is needed for it.
use std::env;
use std::process::Command;

fn pkg_config(args: &[&str]) -> String {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let output = Command::new(&program)
        .args(args)
        .arg("libdeep")
        .output()
        .unwrap_or_else(|e| panic!("libdeep-sys: cannot run {}: {} (install pkg-config)", program, e));
    if !output.status.success() {
        panic!(
            "libdeep-sys: `{} {} libdeep` failed: {}\n(install libdeep-dev, or set PKG_CONFIG_PATH to where libdeep.pc is)",
            program,
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout).expect("pkg-config printed non-UTF-8")
}

fn main() {
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-changed=build.rs");
    let version = pkg_config(&["--modversion"]);
    let mut found_lib = false;
    for flag in pkg_config(&["--libs"]).split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
            // Where the library is, for tests and programs run from a non-standard prefix.
            println!("cargo:libdir={}", dir);
        } else if let Some(lib) = flag.strip_prefix("-l") {
            found_lib |= lib == "deep";
            println!("cargo:rustc-link-lib={}", lib);
        }
    }
    if !found_lib {
        panic!("libdeep-sys: pkg-config's libs for libdeep do not include -ldeep");
    }
    println!("cargo:version={}", version.trim());
}
