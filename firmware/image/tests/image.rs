//! ferrite-esp-image on the committed tiny ESP32-C3 ELF and images made from it: what `identify`
//! says, what `plan` writes where for each kind of file, header patching with the appended
//! SHA-256 recomputed, refusals (wrong chip, too large, raw without offset, malformed ELF), and
//! the real `esptool image-info` accepting the app and merged images.

mod support;

use ferrite_esp_image::{
    elf_to_app_image, identify, merge, plan, Chip, FileKind, FlashFreq, FlashMode, FlashParams,
    Segment,
};
use ferrite_flasher::image::{data_len, parse_header, DIGEST_LEN};

const MB: u32 = 1 << 20;
const KEEP: FlashParams = FlashParams {
    mode: None,
    freq: None,
    size: None,
};

/// Checks an ESP32-family image the way the ROM and esptool do: segments inside the file, the
/// XOR checksum, the appended SHA-256.
fn assert_valid_image(image: &[u8]) {
    let h = parse_header(image).expect("an image header");
    let end = data_len(image, true).expect("segments within the image");
    let mut at = 24;
    let mut checksum = 0xEFu8;
    for _ in 0..h.segments {
        let len = u32::from_le_bytes(image[at + 4..at + 8].try_into().unwrap()) as usize;
        checksum = image[at + 8..at + 8 + len]
            .iter()
            .fold(checksum, |c, b| c ^ b);
        at += 8 + len;
    }
    assert_eq!(image[end - 1], checksum, "checksum");
    assert!(h.hash_appended);
    let digest = sha256(&image[..end]);
    assert_eq!(
        &image[end..end + DIGEST_LEN],
        &digest[..],
        "appended SHA-256"
    );
}

/// SHA-256 from `ferrite-protocols` (our digest-auth code, tested against FIPS vectors there),
/// not the `sha2` crate the image code uses: the test does not trust the crate's own hashing.
fn sha256(data: &[u8]) -> [u8; 32] {
    ferrite_protocols::sha::Sha256::digest(data)
}

fn c3_plan(params: &FlashParams) -> Vec<Segment> {
    plan(&support::fixture(), Chip::Esp32c3, 4 * MB, params, None).expect("plan the fixture")
}

fn err_text<T: std::fmt::Debug>(r: Result<T, ferrite_esp_image::ImageError>) -> String {
    r.expect_err("refused").to_string()
}

#[test]
fn an_elf_becomes_bootloader_partition_table_and_app() {
    let elf = support::fixture();
    assert_eq!(identify(&elf), FileKind::Elf);
    let segs = c3_plan(&KEEP);
    let layout: Vec<(u32, &str)> = segs.iter().map(|s| (s.offset, s.what)).collect();
    assert_eq!(
        layout,
        [
            (0, "bootloader"),
            (0x8000, "partition table"),
            (0x10000, "app")
        ]
    );
    let (boot, table, app) = (&segs[0].data, &segs[1].data, &segs[2].data);
    assert_valid_image(boot);
    assert_valid_image(app);
    let bh = parse_header(boot).unwrap();
    let ah = parse_header(app).unwrap();
    assert_eq!(bh.chip(), Some(Chip::Esp32c3));
    assert_eq!(ah.chip(), Some(Chip::Esp32c3));
    assert_eq!(ah.entry, 0x4038_0000);
    // Kept: the bundled bootloader's DIO; 4 MB and the C3's default 40 MHz in both headers.
    for h in [bh, ah] {
        assert_eq!(h.mode(), Some(FlashMode::Dio));
        assert_eq!((h.size_code, h.freq_code), (2, 0));
    }
    assert_eq!(&table[..2], &[0xAA, 0x50]);
    assert!(
        app.len() > 0x10000,
        "the IROM segment sits in its own 64 KiB page"
    );
    // The ELF's bytes are in the app: the rodata string and the DRAM pattern.
    let has = |needle: &[u8]| app.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"Hello from Ferrite!"));
    assert!(has(&(0u8..32).collect::<Vec<_>>()));
    assert!(has(support::FIXTURE_PROJECT.as_bytes()));
    assert_eq!(
        elf_to_app_image(&elf, Chip::Esp32c3, 4 * MB, &KEEP).unwrap(),
        *app
    );
    // The app image on its own is an app image for the C3.
    assert_eq!(
        identify(app),
        FileKind::AppImage {
            chip: Some(Chip::Esp32c3)
        }
    );
    // An offset makes no sense for an ELF.
    let e = err_text(plan(&elf, Chip::Esp32c3, 4 * MB, &KEEP, Some(0x10000)));
    assert!(e.contains("ELF is placed by its partition table"), "{e}");
}

#[test]
fn flash_parameters_reach_both_headers() {
    let params = FlashParams {
        mode: Some(FlashMode::Dout),
        freq: Some(FlashFreq::F80m),
        size: Some(8 * MB),
    };
    let segs = plan(&support::fixture(), Chip::Esp32c3, 8 * MB, &params, None).unwrap();
    for s in [&segs[0], &segs[2]] {
        assert_valid_image(&s.data);
        let h = parse_header(&s.data).unwrap();
        assert_eq!(h.mode(), Some(FlashMode::Dout), "{}", s.what);
        assert_eq!((h.size_code, h.freq_code), (3, 0xF), "{}", s.what);
    }
    // The H2 has no 80 MHz (refused before anything is built or patched).
    let e = err_text(plan(
        &[0xE9; 64],
        Chip::Esp32h2,
        4 * MB,
        &FlashParams {
            freq: Some(FlashFreq::F80m),
            ..KEEP
        },
        Some(0),
    ));
    assert!(
        e.contains("does not take a flash frequency of 80 MHz"),
        "{e}"
    );
    // Nor does the C3's ELF fit the H2's memory map.
    let e = err_text(plan(
        &support::fixture(),
        Chip::Esp32h2,
        4 * MB,
        &KEEP,
        None,
    ));
    assert!(e.contains("not in flash"), "{e}");
}

#[test]
fn an_app_image_goes_to_0x10000_and_only_a_bootloader_offset_image_is_patched() {
    let app = elf_to_app_image(&support::fixture(), Chip::Esp32c3, 4 * MB, &KEEP).unwrap();
    let params = FlashParams {
        mode: Some(FlashMode::Qio),
        freq: Some(FlashFreq::F20m),
        size: Some(2 * MB),
    };
    let segs = plan(&app, Chip::Esp32c3, 4 * MB, &params, None).unwrap();
    assert_eq!(segs.len(), 1);
    assert_eq!((segs[0].offset, segs[0].what), (0x10000, "app"));
    assert_eq!(
        segs[0].data, app,
        "not at the bootloader offset: written as it is"
    );

    let segs = plan(&app, Chip::Esp32c3, 4 * MB, &params, Some(0x20000)).unwrap();
    assert_eq!((segs[0].offset, &segs[0].data), (0x20000, &app));

    // At the C3's bootloader offset (0) the header is patched, the digest recomputed.
    let segs = plan(&app, Chip::Esp32c3, 4 * MB, &params, Some(0)).unwrap();
    let patched = &segs[0].data;
    assert_ne!(*patched, app);
    assert_valid_image(patched);
    let h = parse_header(patched).unwrap();
    assert_eq!(h.mode(), Some(FlashMode::Qio));
    assert_eq!((h.size_code, h.freq_code), (1, 2));
    assert_eq!(patched[4..end_of_header()], app[4..end_of_header()]);
}

fn end_of_header() -> usize {
    24
}

#[test]
fn a_merged_image_goes_to_0_with_its_bootloader_patched() {
    let merged = merge(&c3_plan(&KEEP)).unwrap();
    assert_eq!(
        identify(&merged),
        FileKind::MergedImage {
            chip: Some(Chip::Esp32c3)
        }
    );
    let params = FlashParams {
        size: Some(16 * MB),
        ..KEEP
    };
    let segs = plan(&merged, Chip::Esp32c3, 16 * MB, &params, None).unwrap();
    assert_eq!(segs.len(), 1);
    assert_eq!((segs[0].offset, segs[0].what), (0, "image"));
    let out = &segs[0].data;
    assert_eq!(out.len(), merged.len());
    assert_valid_image(out);
    assert_eq!(parse_header(out).unwrap().size_code, 4);
    // Only the bootloader changed: the app at 0x10000 is as it was.
    assert_eq!(out[0x8000..], merged[0x8000..]);
    assert_eq!(
        plan(&merged, Chip::Esp32c3, 16 * MB, &params, Some(0))
            .unwrap()
            .len(),
        1
    );
    let e = err_text(plan(&merged, Chip::Esp32c3, 4 * MB, &KEEP, Some(0x1000)));
    assert!(e.contains("starts at flash offset 0"), "{e}");
}

#[test]
fn an_esp32_merged_image_has_its_bootloader_at_0x1000() {
    let segs = plan(&support::tiny_esp32_elf(), Chip::Esp32, 4 * MB, &KEEP, None).unwrap();
    assert_eq!(segs[0].offset, 0x1000);
    let merged = merge(&segs).unwrap();
    assert!(merged[..0x1000].iter().all(|b| *b == 0xFF));
    assert_eq!(
        identify(&merged),
        FileKind::MergedImage {
            chip: Some(Chip::Esp32)
        }
    );
    let params = FlashParams {
        mode: Some(FlashMode::Dout),
        ..KEEP
    };
    let out = plan(&merged, Chip::Esp32, 4 * MB, &params, None).unwrap();
    let boot = &out[0].data[0x1000..];
    assert_valid_image(boot);
    assert_eq!(parse_header(boot).unwrap().mode(), Some(FlashMode::Dout));
}

#[test]
fn raw_bytes_need_an_offset() {
    let raw = vec![0x42u8; 5000];
    assert_eq!(identify(&raw), FileKind::Raw);
    let e = err_text(plan(&raw, Chip::Esp32c3, 4 * MB, &KEEP, None));
    assert!(e.contains("give the flash offset"), "{e}");
    let segs = plan(&raw, Chip::Esp32c3, 4 * MB, &KEEP, Some(0x9000)).unwrap();
    assert_eq!((segs[0].offset, segs[0].what), (0x9000, "image"));
    assert_eq!(segs[0].data, raw);
    let e = err_text(plan(&raw, Chip::Esp32c3, 4 * MB, &KEEP, Some(0x9100)));
    assert!(e.contains("not a multiple"), "{e}");
    assert!(err_text(plan(&[], Chip::Esp32c3, 4 * MB, &KEEP, Some(0))).contains("empty"));
}

#[test]
fn an_image_for_another_chip_is_refused() {
    let app = elf_to_app_image(&support::fixture(), Chip::Esp32c3, 4 * MB, &KEEP).unwrap();
    let e = err_text(plan(&app, Chip::Esp32s3, 4 * MB, &KEEP, None));
    assert!(
        e.contains("wrong chip: the app image is built for the ESP32-C3, the chip is an ESP32-S3"),
        "{e}"
    );
    let merged = merge(&c3_plan(&KEEP)).unwrap();
    let e = err_text(plan(&merged, Chip::Esp32c6, 4 * MB, &KEEP, None));
    assert!(e.contains("wrong chip"), "{e}");
    // A RISC-V ELF on an Xtensa chip and the other way round.
    let e = err_text(plan(&support::fixture(), Chip::Esp32, 4 * MB, &KEEP, None));
    assert!(e.contains("wrong chip: the ELF is built for RISC-V"), "{e}");
    let e = err_text(plan(
        &support::tiny_esp32_elf(),
        Chip::Esp32c3,
        4 * MB,
        &KEEP,
        None,
    ));
    assert!(e.contains("wrong chip: the ELF is built for Xtensa"), "{e}");
    let e = err_text(plan(
        &support::fixture(),
        Chip::Esp8266,
        4 * MB,
        &KEEP,
        None,
    ));
    assert!(e.contains("not supported for the ESP8266"), "{e}");
}

#[test]
fn what_does_not_fit_the_flash_is_refused() {
    let app = elf_to_app_image(&support::fixture(), Chip::Esp32c3, 4 * MB, &KEEP).unwrap();
    let e = err_text(plan(&app, Chip::Esp32c3, 4 * MB, &KEEP, Some(0x3F_0000)));
    assert!(e.contains("image too large for the flash"), "{e}");
    let merged = merge(&c3_plan(&KEEP)).unwrap();
    let e = err_text(plan(&merged, Chip::Esp32c3, 64 << 10, &KEEP, None));
    assert!(e.contains("image too large for the flash"), "{e}");
    let e = err_text(plan(
        &vec![1u8; 0x2000],
        Chip::Esp32c3,
        4 * MB,
        &KEEP,
        Some(0x3F_F000),
    ));
    assert!(e.contains("image too large for the flash"), "{e}");
    // An ELF for a flash size no image can say.
    let e = err_text(plan(
        &support::fixture(),
        Chip::Esp32c3,
        3 * MB,
        &KEEP,
        None,
    ));
    assert!(e.contains("not one an image can be built for"), "{e}");
}

#[test]
fn malformed_elves_are_refused_not_panicked_on() {
    let elf = support::fixture();
    for cut in [4, 52, 100, 300, elf.len() - 1] {
        let r = plan(&elf[..cut], Chip::Esp32c3, 4 * MB, &KEEP, None);
        assert!(r.is_err(), "cut at {cut}");
    }
    use support::{elf32, Section, EM_RISCV};
    let sec = |name, addr, len| Section {
        name,
        addr,
        data: vec![1; len],
        exec: false,
        write: false,
    };
    let overlapping = elf32(
        EM_RISCV,
        0x4038_0000,
        &[
            sec(".flash.rodata", 0x3C00_0020, 64),
            sec(".flash.rodata2", 0x3C00_0040, 64),
        ],
    );
    let e = err_text(plan(&overlapping, Chip::Esp32c3, 4 * MB, &KEEP, None));
    assert!(e.contains("overlap"), "{e}");
    let short_desc = elf32(
        EM_RISCV,
        0x4038_0000,
        &[sec(".flash.appdesc", 0x3C00_0020, 16)],
    );
    let e = err_text(plan(&short_desc, Chip::Esp32c3, 4 * MB, &KEEP, None));
    assert!(e.contains("app descriptor"), "{e}");
    let ram_only = elf32(EM_RISCV, 0x4038_0000, &[sec(".data", 0x3FC8_0000, 16)]);
    let e = err_text(plan(&ram_only, Chip::Esp32c3, 4 * MB, &KEEP, None));
    assert!(e.contains("nothing in the ESP32-C3's flash"), "{e}");
    let nothing = elf32(EM_RISCV, 0, &[]);
    let e = err_text(plan(&nothing, Chip::Esp32c3, 4 * MB, &KEEP, None));
    assert!(e.contains("no sections to load"), "{e}");
}

#[test]
fn merge_fills_gaps_with_erased_flash() {
    let segs = [
        Segment {
            offset: 0x10,
            data: vec![1, 2],
            what: "a",
        },
        Segment {
            offset: 0,
            data: vec![9],
            what: "b",
        },
    ];
    let mut want = vec![0xFF; 0x12];
    want[0] = 9;
    want[0x10] = 1;
    want[0x11] = 2;
    assert_eq!(merge(&segs).unwrap(), want);
    assert!(merge(&[]).unwrap().is_empty());
    // Any segments, not only a plan's: one past the largest flash is refused, not allocated.
    let far = [Segment {
        offset: u32::MAX - 1,
        data: vec![1, 2, 3],
        what: "far",
    }];
    let e = err_text(merge(&far));
    assert!(e.contains("larger than any flash"), "{e}");
}

#[test]
fn esptool_accepts_the_app_and_merged_images() {
    let dir = support::TempDir::new("esptool");
    let segs = c3_plan(&FlashParams {
        freq: Some(FlashFreq::F80m),
        ..KEEP
    });
    let app = dir.path().join("app.bin");
    std::fs::write(&app, &segs[2].data).unwrap();
    let merged = dir.path().join("merged.bin");
    std::fs::write(&merged, merge(&segs).unwrap()).unwrap();
    // image-info reads the image at offset 0 of a merged file, the bootloader: the app inside
    // it (at 0x10000) is checked on its own too.
    let merged_app = dir.path().join("merged-app.bin");
    std::fs::write(&merged_app, &merge(&segs).unwrap()[0x10000..]).unwrap();
    for (file, what) in [
        (&app, "app"),
        (&merged, "merged (its bootloader)"),
        (&merged_app, "app inside the merged image"),
    ] {
        let Some((ok, out)) = support::esptool_image_info(file) else {
            return;
        };
        assert!(ok, "esptool image-info refused the {what} image:\n{out}");
        assert!(out.contains("ESP32-C3"), "{what}:\n{out}");
        assert!(out.contains("(valid)"), "{what}:\n{out}");
        assert!(!out.contains("invalid"), "{what}:\n{out}");
        assert!(out.contains("Flash freq: 80m"), "{what}:\n{out}");
    }
    // The app's descriptor as esptool reads it.
    let (_, out) = support::esptool_image_info(&app).unwrap();
    assert!(out.contains(support::FIXTURE_PROJECT), "{out}");
}

/// Every byte of the fixture changed, one at a time, to a few values: `plan` answers (a plan or
/// an error) and never panics — espflash sees only ELFs the crate's check let through.
#[test]
fn corrupted_elves_never_panic() {
    let elf = support::fixture();
    let mut accepted = 0;
    for i in 0..elf.len() {
        for v in [0xFF, elf[i] ^ 0x01] {
            let mut bad = elf.clone();
            bad[i] = v;
            let r = std::panic::catch_unwind(|| plan(&bad, Chip::Esp32c3, 4 * MB, &KEEP, None));
            match r {
                Ok(Ok(_)) => accepted += 1,
                Ok(Err(_)) => {}
                Err(_) => panic!("plan panicked with byte {i:#x} set to {v:#04x}"),
            }
        }
    }
    // Data bytes change the image, not its validity: many variants still build.
    assert!(accepted > 0);
}

/// esp-hal names its chip in `.espressif.metadata`; an ELF named for another chip of the same
/// architecture is refused by that name.
#[test]
fn the_chip_named_in_esp_hal_metadata_must_be_the_chip() {
    use support::{elf32_with_chip_name, Section, EM_RISCV};
    let sections = || {
        [
            Section {
                name: ".flash.rodata",
                addr: 0x3C00_0020,
                data: vec![5; 64],
                exec: false,
                write: false,
            },
            Section {
                name: ".flash.text",
                addr: 0x4200_0020,
                data: vec![0x13; 64],
                exec: true,
                write: false,
            },
        ]
    };
    let for_c3 = elf32_with_chip_name(EM_RISCV, 0x4200_0020, &sections(), "esp32c3");
    assert!(plan(&for_c3, Chip::Esp32c3, 4 * MB, &KEEP, None).is_ok());
    let for_c6 = elf32_with_chip_name(EM_RISCV, 0x4200_0020, &sections(), "esp32c6");
    let e = err_text(plan(&for_c6, Chip::Esp32c3, 4 * MB, &KEEP, None));
    assert!(
        e.contains("wrong chip: the ELF is built for the ESP32-C6, the chip is an ESP32-C3"),
        "{e}"
    );
}

/// An app image longer than 32 KiB that happens to carry `AA 50` at 0x8000 is an app, not a
/// merged image: the image at 0 spans the whole file, past where a partition table would be.
#[test]
fn an_app_image_with_aa50_at_0x8000_is_not_a_merged_image() {
    use support::{elf32, Section, EM_RISCV};
    // A flash section whose bytes put AA 50 (and a plausible first partition entry) at file
    // offset 0x8000 of the app image.
    let mut data = vec![0x11u8; 40 * 1024];
    let elf = elf32(
        EM_RISCV,
        0x4200_0000,
        &[Section {
            name: ".flash.rodata",
            addr: 0x3C00_0020,
            data: data.clone(),
            exec: false,
            write: false,
        }],
    );
    let app = elf_to_app_image(&elf, Chip::Esp32c3, 4 * MB, &KEEP).unwrap();
    // Where the section's bytes land in the image: find our filler and place the magic.
    let start = app
        .windows(64)
        .position(|w| w.iter().all(|b| *b == 0x11))
        .unwrap();
    let rel = 0x8000 - start;
    data[rel..rel + 2].copy_from_slice(&[0xAA, 0x50]);
    data[rel + 4..rel + 8].copy_from_slice(&0x9000u32.to_le_bytes());
    let elf = elf32(
        EM_RISCV,
        0x4200_0000,
        &[Section {
            name: ".flash.rodata",
            addr: 0x3C00_0020,
            data,
            exec: false,
            write: false,
        }],
    );
    let app = elf_to_app_image(&elf, Chip::Esp32c3, 4 * MB, &KEEP).unwrap();
    assert!(app.len() > 0x8000);
    assert_eq!(&app[0x8000..0x8002], &[0xAA, 0x50], "the trap is set");
    assert_eq!(
        identify(&app),
        FileKind::AppImage {
            chip: Some(Chip::Esp32c3)
        }
    );
    let segs = plan(&app, Chip::Esp32c3, 4 * MB, &KEEP, None).unwrap();
    assert_eq!((segs[0].offset, segs[0].what), (0x10000, "app"));
    assert_eq!(
        plan(&app, Chip::Esp32c3, 4 * MB, &KEEP, Some(0x20000)).unwrap()[0].offset,
        0x20000
    );
}

/// A hand-made image: `chip_id` in an extended header (`None`: the ESP8266 layout, no extended
/// header), one segment of `len` bytes, the checksum.
fn tiny_image(chip_id: Option<u16>, len: usize) -> Vec<u8> {
    let mut v = vec![0xE9, 1, 2, 0x20];
    v.extend_from_slice(&0x4010_0000u32.to_le_bytes());
    if let Some(id) = chip_id {
        let mut ext = [0u8; 16];
        ext[0] = 0xEE;
        ext[4..6].copy_from_slice(&id.to_le_bytes());
        ext[9..11].copy_from_slice(&0xFFFFu16.to_le_bytes());
        v.extend_from_slice(&ext);
    }
    v.extend_from_slice(&0x3FFE_8000u32.to_le_bytes());
    v.extend_from_slice(&(len as u32).to_le_bytes());
    let mut sum = 0xEFu8;
    for i in 0..len {
        let b = (i * 7) as u8;
        v.push(b);
        sum ^= b;
    }
    while v.len() % 16 != 15 {
        v.push(0);
    }
    v.push(sum);
    v
}

#[test]
fn an_image_for_no_known_chip_or_the_other_family_is_refused_naming_both() {
    // An ESP32-P4 image (chip id 18): ferrite does not know the chip; not read as an ESP8266
    // image either.
    let p4 = tiny_image(Some(18), 64);
    assert_eq!(identify(&p4), FileKind::AppImage { chip: None });
    let e = err_text(plan(&p4, Chip::Esp32c3, 4 * MB, &KEEP, None));
    assert!(
        e.contains("built for chip id 18") && e.contains("the chip is an ESP32-C3"),
        "{e}"
    );
    // An ESP8266 image on an ESP32-family chip.
    let esp8266 = tiny_image(None, 64);
    assert_eq!(
        identify(&esp8266),
        FileKind::AppImage {
            chip: Some(Chip::Esp8266)
        }
    );
    let e = err_text(plan(&esp8266, Chip::Esp32c3, 4 * MB, &KEEP, Some(0x10000)));
    assert!(
        e.contains("built for the ESP8266, the chip is an ESP32-C3"),
        "{e}"
    );
    // And the other way round: an ESP32-C3 image on an ESP8266.
    let c3 = tiny_image(Some(5), 64);
    let e = err_text(plan(&c3, Chip::Esp8266, 4 * MB, &KEEP, Some(0x10000)));
    assert!(
        e.contains("built for the ESP32-C3, the chip is an ESP8266"),
        "{e}"
    );
    // Each goes to its own chip.
    assert!(plan(&esp8266, Chip::Esp8266, 4 * MB, &KEEP, Some(0x10000)).is_ok());
    assert!(plan(&c3, Chip::Esp32c3, 4 * MB, &KEEP, None).is_ok());
}

#[test]
fn a_file_larger_than_the_flash_is_refused_before_anything_else() {
    let big = vec![0u8; (4 * MB) as usize + 1];
    let e = err_text(plan(&big, Chip::Esp32c3, 4 * MB, &KEEP, Some(0)));
    assert!(e.contains("image too large for the flash"), "{e}");
}

/// An ELF with more loadable sections than ESP-IDF boots (after espflash's merging of adjacent
/// ones) is refused before espflash builds anything.
#[test]
fn an_elf_with_too_many_image_segments_is_refused() {
    use support::{elf32, Section, EM_RISCV};
    let sections = |n: u32| {
        (0..n)
            .map(|i| Section {
                name: ".flash.rodata",
                // 64 KiB apart: not adjacent, each its own image segment.
                addr: 0x3C00_0020 + i * 0x1_0000,
                data: vec![i as u8; 32],
                exec: false,
                write: false,
            })
            .collect::<Vec<_>>()
    };
    let many = elf32(EM_RISCV, 0x4200_0000, &sections(40));
    let e = err_text(plan(&many, Chip::Esp32c3, 4 * MB, &KEEP, None));
    assert!(
        e.contains("makes 40 image segments") && e.contains("at most 16"),
        "{e}"
    );
    // Adjacent sections merge into one segment, as espflash merges them.
    let adjacent: Vec<Section> = (0..40u32)
        .map(|i| Section {
            name: ".flash.rodata",
            addr: 0x3C00_0020 + i * 32,
            data: vec![i as u8; 32],
            exec: false,
            write: false,
        })
        .collect();
    let elf = elf32(EM_RISCV, 0x4200_0000, &adjacent);
    let app = elf_to_app_image(&elf, Chip::Esp32c3, 4 * MB, &KEEP).unwrap();
    assert!(parse_header(&app).unwrap().segments <= 16);
    // A few sections but a tiny flash: the padded estimate does not fit.
    let e = err_text(plan(
        &elf32(EM_RISCV, 0x4200_0000, &sections(10)),
        Chip::Esp32c3,
        MB,
        &KEEP,
        None,
    ));
    assert!(e.contains("segments"), "{e}");
}
