//! Generates the editor's TypeScript declarations for every device API from the runtime's
//! machine-readable API description (`ferrite_runtime::api::description`). Never written by
//! hand: a new runtime API shows up in completions and hovers with the next build.

fn main() {
    let out =
        std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let dts = ferrite_runtime::api::description::typescript();
    std::fs::write(out.join("ferrite-device.d.ts"), dts).expect("write ferrite-device.d.ts");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../shared/runtime/src/api");
}
