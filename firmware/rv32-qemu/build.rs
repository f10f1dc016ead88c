//! Puts `qemu-virt.x` (the memory map of QEMU's `virt` machine) on the linker's search path.

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-search={dir}");
    println!("cargo:rerun-if-changed=qemu-virt.x");
}
