//! What the image tests share: a hand-written ELF32 writer for tiny ESP programs (the committed
//! fixture is made by it, see tests/fixture.rs), and the real `esptool` as an outside judge of
//! the images we build.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `e_machine` of RISC-V (ESP32-C2, -C3, -C6, -H2) and of Xtensa (ESP32, -S2, -S3).
pub const EM_RISCV: u16 = 243;
pub const EM_XTENSA: u16 = 94;

const SHF_WRITE: u32 = 0x1;
const SHF_ALLOC: u32 = 0x2;
const SHF_EXECINSTR: u32 = 0x4;

/// One loadable section.
pub struct Section {
    pub name: &'static str,
    pub addr: u32,
    pub data: Vec<u8>,
    pub exec: bool,
    pub write: bool,
}

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn align4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

/// A section header and its bytes, as written.
struct Raw {
    name: &'static str,
    sh_type: u32,
    flags: u32,
    addr: u32,
    data: Vec<u8>,
    link: u32,
    info: u32,
    align: u32,
    entsize: u32,
    /// Gets a PT_LOAD program header.
    load: Option<u32>,
}

fn raw(s: &Section) -> Raw {
    Raw {
        name: s.name,
        sh_type: 1, // SHT_PROGBITS
        flags: SHF_ALLOC
            | if s.exec { SHF_EXECINSTR } else { 0 }
            | if s.write { SHF_WRITE } else { 0 },
        addr: s.addr,
        data: s.data.clone(),
        link: 0,
        info: 0,
        align: 4,
        entsize: 0,
        load: Some(4 | if s.write { 2 } else { 0 } | u32::from(s.exec)), // R, W, X
    }
}

/// A little-endian ELF32 executable: the header, one PT_LOAD program header per section
/// (physical = virtual address), the section data, `.shstrtab` and the section headers.
pub fn elf32(machine: u16, entry: u32, sections: &[Section]) -> Vec<u8> {
    write_elf32(machine, entry, sections.iter().map(raw).collect())
}

/// [`elf32`] plus esp-hal's `.espressif.metadata` naming the chip (`build_info.CHIP_NAME`, a
/// symbol over the section's bytes), with its `.symtab` and `.strtab`.
pub fn elf32_with_chip_name(machine: u16, entry: u32, sections: &[Section], chip: &str) -> Vec<u8> {
    let mut all: Vec<Raw> = sections.iter().map(raw).collect();
    let metadata_index = all.len() as u16 + 1;
    let other = |name, sh_type, data: Vec<u8>| Raw {
        name,
        sh_type,
        flags: 0,
        addr: 0,
        data,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
        load: None,
    };
    all.push(other(".espressif.metadata", 1, chip.as_bytes().to_vec()));
    let strtab = b"\0build_info.CHIP_NAME\0".to_vec();
    let mut symtab = vec![0u8; 16]; // the null symbol
    put32(&mut symtab, 1); // st_name
    put32(&mut symtab, 0); // st_value: the section's start
    put32(&mut symtab, chip.len() as u32); // st_size
    symtab.push(0x11); // STB_GLOBAL, STT_OBJECT
    symtab.push(0);
    put16(&mut symtab, metadata_index);
    let strtab_index = all.len() as u32 + 2;
    let mut sym = other(".symtab", 2, symtab);
    sym.link = strtab_index;
    sym.info = 1;
    sym.align = 4;
    sym.entsize = 16;
    all.push(sym);
    all.push(other(".strtab", 3, strtab));
    write_elf32(machine, entry, all)
}

fn write_elf32(machine: u16, entry: u32, mut sections: Vec<Raw>) -> Vec<u8> {
    const EHDR: usize = 52;
    const PHDR: usize = 32;
    const SHDR: usize = 40;
    let mut shstrtab = vec![0u8];
    for name in sections.iter().map(|s| s.name).chain([".shstrtab"]) {
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
    }
    sections.push(Raw {
        name: ".shstrtab",
        sh_type: 3, // SHT_STRTAB
        flags: 0,
        addr: 0,
        data: shstrtab,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
        load: None,
    });
    let loads = sections.iter().filter(|s| s.load.is_some()).count();
    let phoff = EHDR;
    let mut at = phoff + PHDR * loads;
    let mut offsets = Vec::new();
    for s in &sections {
        if s.align == 4 {
            at = at.div_ceil(4) * 4;
        }
        offsets.push(at);
        at += s.data.len();
    }
    let shoff = at.div_ceil(4) * 4;
    let shnum = sections.len() + 1;

    let mut v = Vec::new();
    v.extend_from_slice(b"\x7fELF");
    v.extend_from_slice(&[1, 1, 1, 0]); // 32-bit, little-endian, version 1, System V
    v.extend_from_slice(&[0; 8]);
    put16(&mut v, 2); // ET_EXEC
    put16(&mut v, machine);
    put32(&mut v, 1);
    put32(&mut v, entry);
    put32(&mut v, phoff as u32);
    put32(&mut v, shoff as u32);
    put32(&mut v, 0); // e_flags
    put16(&mut v, EHDR as u16);
    put16(&mut v, PHDR as u16);
    put16(&mut v, loads as u16);
    put16(&mut v, SHDR as u16);
    put16(&mut v, shnum as u16);
    put16(&mut v, (shnum - 1) as u16); // .shstrtab is last
    assert_eq!(v.len(), EHDR);

    for (s, off) in sections.iter().zip(&offsets) {
        let Some(pflags) = s.load else { continue };
        put32(&mut v, 1); // PT_LOAD
        put32(&mut v, *off as u32);
        put32(&mut v, s.addr);
        put32(&mut v, s.addr);
        put32(&mut v, s.data.len() as u32);
        put32(&mut v, s.data.len() as u32);
        put32(&mut v, pflags);
        put32(&mut v, 4);
    }
    for (s, off) in sections.iter().zip(&offsets) {
        while v.len() < *off {
            v.push(0);
        }
        v.extend_from_slice(&s.data);
    }
    align4(&mut v);
    assert_eq!(v.len(), shoff);

    v.extend_from_slice(&[0; SHDR]); // the null section
    let mut name_at = 1u32;
    for (s, off) in sections.iter().zip(&offsets) {
        put32(&mut v, name_at);
        name_at += s.name.len() as u32 + 1;
        put32(&mut v, s.sh_type);
        put32(&mut v, s.flags);
        put32(&mut v, s.addr);
        put32(&mut v, *off as u32);
        put32(&mut v, s.data.len() as u32);
        put32(&mut v, s.link);
        put32(&mut v, s.info);
        put32(&mut v, s.align);
        put32(&mut v, s.entsize);
    }
    v
}

/// A C string of `len` bytes.
fn cstr(s: &str, len: usize) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.resize(len, 0);
    v
}

/// ESP-IDF's `esp_app_desc_t` (256 bytes): what the second-stage bootloader and esptool read
/// from the start of the first flash segment.
pub fn app_descriptor(project: &str) -> Vec<u8> {
    let mut v = Vec::new();
    put32(&mut v, 0xABCD_5432); // ESP_APP_DESC_MAGIC_WORD
    put32(&mut v, 0); // secure_version
    v.extend_from_slice(&[0; 8]);
    v.extend(cstr("0.1.0", 32));
    v.extend(cstr(project, 32));
    v.extend(cstr("00:00:00", 16));
    v.extend(cstr("Nov 24 2026", 16));
    v.extend(cstr("ferrite-fixture", 32));
    v.extend_from_slice(&[0; 32]); // app_elf_sha256: espflash fills it in
    put16(&mut v, 0); // min_efuse_blk_rev_full
    put16(&mut v, 99); // max_efuse_blk_rev_full
    v.push(16); // mmu_page_size: log2(64 KiB)
    v.extend_from_slice(&[0; 3]);
    v.extend_from_slice(&[0; 72]);
    assert_eq!(v.len(), 256);
    v
}

fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The project name in the fixture's app descriptor.
pub const FIXTURE_PROJECT: &str = "ferrite-tiny-c3";

/// The tiny ESP32-C3 program of tests/fixtures/tiny-esp32c3.elf: an app descriptor and
/// read-only data in DROM, code in IROM, its entry in IRAM, initialised data in DRAM.
pub fn tiny_esp32c3_elf() -> Vec<u8> {
    const NOP: u32 = 0x0000_0013;
    const JUMP_TO_SELF: u32 = 0x0000_006F;
    let mut text = vec![NOP; 15];
    text.push(JUMP_TO_SELF);
    let mut rodata = b"Hello from Ferrite!".to_vec();
    rodata.resize(32, 0);
    elf32(
        EM_RISCV,
        0x4038_0000,
        &[
            Section {
                name: ".flash.appdesc",
                addr: 0x3C00_0020,
                data: app_descriptor(FIXTURE_PROJECT),
                exec: false,
                write: false,
            },
            Section {
                name: ".flash.rodata",
                addr: 0x3C00_0120,
                data: rodata,
                exec: false,
                write: false,
            },
            Section {
                name: ".flash.text",
                addr: 0x4200_0020,
                data: words(&text),
                exec: true,
                write: false,
            },
            Section {
                name: ".iram0.text",
                addr: 0x4038_0000,
                data: words(&[NOP, NOP, NOP, JUMP_TO_SELF]),
                exec: true,
                write: false,
            },
            Section {
                name: ".data",
                addr: 0x3FC8_0000,
                data: (0u8..32).collect(),
                exec: false,
                write: true,
            },
        ],
    )
}

/// A tiny Xtensa program for the ESP32 (an ELF the C3 must refuse).
pub fn tiny_esp32_elf() -> Vec<u8> {
    elf32(
        EM_XTENSA,
        0x4008_0000,
        &[
            Section {
                name: ".flash.rodata",
                addr: 0x3F40_0020,
                data: vec![7; 64],
                exec: false,
                write: false,
            },
            Section {
                name: ".flash.text",
                addr: 0x400D_0020,
                data: vec![0; 64],
                exec: true,
                write: false,
            },
            Section {
                name: ".iram0.text",
                addr: 0x4008_0000,
                data: vec![0; 16],
                exec: true,
                write: false,
            },
        ],
    )
}

pub fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-esp32c3.elf")
}

/// The committed fixture.
pub fn fixture() -> Vec<u8> {
    std::fs::read(fixture_path()).expect("read tests/fixtures/tiny-esp32c3.elf")
}

/// A program on the `PATH`.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let dirs = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Skip (with a message) when a peer tool is missing, or fail when FERRITE_REQUIRE_PEERS is set.
pub fn skip_without_peer(why: &str) {
    if std::env::var_os("FERRITE_REQUIRE_PEERS").is_some() {
        panic!("a required test peer is missing: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// `esptool image-info FILE`: (success, stdout + stderr); `None` when esptool is missing (and
/// the test may skip).
pub fn esptool_image_info(file: &Path) -> Option<(bool, String)> {
    let Some(tool) = find_tool("esptool") else {
        skip_without_peer("esptool is not installed (pip install esptool)");
        return None;
    };
    let out = Command::new(tool)
        .arg("image-info")
        .arg(file)
        .output()
        .expect("run esptool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!(
            "ferrite-image-test-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
