//! An ELF laid out by a given partition table (the firmware's firmware/esp32c3/partitions.csv
//! and others): the table at 0x8000 in both its CSV and binary forms, the app at the table's
//! factory partition, refusals (an app larger than its partition, a partition past the flash, a
//! table for a non-ELF file), no panic on tables the parser would choke on, and the real
//! `esptool image-info` accepting the merged image.

mod support;

use ferrite_esp_image::{
    elf_to_app_image, elf_to_app_image_with_table, merge, plan, plan_with_table, Chip, FlashParams,
    PartitionTable, Segment, PARTITION_TABLE_OFFSET,
};

const MB: u32 = 1 << 20;
const KEEP: FlashParams = FlashParams {
    mode: None,
    freq: None,
    size: None,
};

/// The firmware's own table.
fn firmware_csv() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../esp32c3/partitions.csv");
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn table(text: &str) -> PartitionTable {
    PartitionTable::parse(text.as_bytes()).unwrap_or_else(|e| panic!("parse {text:?}: {e}"))
}

fn c3_plan(t: &PartitionTable) -> Vec<Segment> {
    plan_with_table(
        &support::fixture(),
        Chip::Esp32c3,
        4 * MB,
        &KEEP,
        None,
        Some(t),
    )
    .expect("plan the fixture with a table")
}

/// The entries of a binary table, read by hand: (type, subtype, offset, size, name).
fn entries(bin: &[u8]) -> Vec<(u8, u8, u32, u32, String)> {
    let word = |e: &[u8], at: usize| u32::from_le_bytes(e[at..at + 4].try_into().unwrap());
    bin.chunks_exact(32)
        .take_while(|e| e.starts_with(&[0xAA, 0x50]))
        .map(|e| {
            let name = String::from_utf8_lossy(&e[12..28])
                .trim_end_matches('\0')
                .to_string();
            (e[2], e[3], word(e, 4), word(e, 8), name)
        })
        .collect()
}

/// The MD5 entry after the partitions: `EB EB FF…` and the MD5 of the entries before it.
fn md5_entry_is_right(bin: &[u8]) {
    let n = entries(bin).len();
    let md5 = &bin[n * 32..n * 32 + 32];
    assert_eq!(&md5[..2], &[0xEB, 0xEB]);
    assert!(md5[2..16].iter().all(|b| *b == 0xFF));
    let dir = support::TempDir::new("md5");
    let f = dir.path().join("entries");
    std::fs::write(&f, &bin[..n * 32]).unwrap();
    // An outside MD5 (coreutils) when present; the table's own check runs in parse below.
    if let Ok(out) = std::process::Command::new("md5sum").arg(&f).output() {
        let hex: String = md5[16..].iter().map(|b| format!("{b:02x}")).collect();
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(&hex));
    }
}

#[test]
fn the_firmware_table_goes_to_0x8000_and_the_app_to_its_factory_partition() {
    let t = PartitionTable::parse(&firmware_csv()).expect("the firmware's partitions.csv parses");
    let app = t.app_partition();
    assert_eq!(
        (app.name.as_str(), app.offset, app.size),
        ("factory", 0x10000, 0x300000)
    );
    let segs = c3_plan(&t);
    let layout: Vec<(u32, &str)> = segs.iter().map(|s| (s.offset, s.what)).collect();
    assert_eq!(
        layout,
        [
            (0, "bootloader"),
            (PARTITION_TABLE_OFFSET, "partition table"),
            (0x10000, "app")
        ]
    );
    assert_eq!(segs[1].data, t.to_bin());
    assert_eq!(segs[1].data.len(), 0xC00);
    assert_eq!(
        entries(&segs[1].data),
        [
            (1, 0x02, 0x9000, 0x6000, "nvs".to_string()),
            (1, 0x01, 0xF000, 0x1000, "phy_init".to_string()),
            (0, 0x00, 0x10000, 0x300000, "factory".to_string()),
            (1, 0x06, 0x310000, 0xF0000, "ferrite".to_string()),
        ]
    );
    md5_entry_is_right(&segs[1].data);
    // The ferrite partition fills the 4 MB flash exactly.
    let ferrite = t.partitions().iter().find(|p| p.name == "ferrite").unwrap();
    assert_eq!(ferrite.end(), u64::from(4 * MB));
    assert_eq!(ferrite.kind, "data/undefined");
    // The app is the same image espflash makes with its default table.
    let default = plan(&support::fixture(), Chip::Esp32c3, 4 * MB, &KEEP, None).unwrap();
    assert_eq!(segs[2].data, default[2].data);
    assert_ne!(
        segs[1].data, default[1].data,
        "the default table is replaced"
    );
    // The merged image holds the given table at 0x8000, byte for byte.
    let merged = merge(&segs).unwrap();
    assert_eq!(&merged[0x8000..0x8000 + 0xC00], t.to_bin());
    assert_eq!(
        &merged[0x10000..0x10000 + segs[2].data.len()],
        &segs[2].data[..]
    );
}

#[test]
fn the_binary_form_parses_to_the_same_table() {
    let t = PartitionTable::parse(&firmware_csv()).unwrap();
    let again = PartitionTable::parse(t.to_bin()).expect("the binary table parses");
    assert_eq!(again, t);
    // As read from flash: the 0xC00 bytes padded to the 4 KiB sector with 0xFF.
    let mut sector = t.to_bin().to_vec();
    sector.resize(0x1000, 0xFF);
    assert_eq!(PartitionTable::parse(&sector).unwrap(), t);
    // A changed byte breaks the MD5.
    let mut bad = t.to_bin().to_vec();
    bad[8] ^= 0x10;
    let e = PartitionTable::parse(&bad).expect_err("bad MD5 refused");
    assert!(e.to_string().contains("not valid"), "{e}");
}

#[test]
fn the_app_goes_where_the_table_says() {
    let t = table(
        "nvs, data, nvs, 0x9000, 0x6000,\n\
         app0, app, ota_0, 0x20000, 0x100000,\n\
         factory, app, factory, 0x120000, 0x100000,\n",
    );
    let segs = c3_plan(&t);
    assert_eq!(segs[2].offset, 0x120000, "the factory partition wins");
    let t = table("nvs, data, nvs, 0x9000, 0x6000,\napp0, app, ota_0, 0x30000, 0x100000,\n");
    assert_eq!(
        c3_plan(&t)[2].offset,
        0x30000,
        "else the first app partition"
    );
}

#[test]
fn an_app_larger_than_its_partition_is_refused() {
    let app_len = elf_to_app_image(&support::fixture(), Chip::Esp32c3, 4 * MB, &KEEP)
        .unwrap()
        .len() as u32;
    let with_factory = |size: u32| {
        table(&format!(
            "nvs, data, nvs, 0x9000, 0x6000,\nfactory, app, factory, 0x10000, {size:#x},\n"
        ))
    };
    let fits = with_factory(app_len);
    assert_eq!(c3_plan(&fits)[2].data.len() as u32, app_len);
    let small = with_factory(app_len - 1);
    let e = plan_with_table(
        &support::fixture(),
        Chip::Esp32c3,
        4 * MB,
        &KEEP,
        None,
        Some(&small),
    )
    .expect_err("too big for its partition");
    let text = e.to_string();
    assert!(
        text.contains("does not fit") && text.contains("factory"),
        "{text}"
    );
    // `ferrite image` without --merge checks it too.
    let e = elf_to_app_image_with_table(
        &support::fixture(),
        Chip::Esp32c3,
        4 * MB,
        &KEEP,
        Some(&small),
    )
    .expect_err("too big for its partition");
    assert!(e.to_string().contains("does not fit"), "{e}");
}

#[test]
fn a_table_larger_than_the_flash_is_refused() {
    let t = PartitionTable::parse(&firmware_csv()).unwrap();
    let e = plan_with_table(
        &support::fixture(),
        Chip::Esp32c3,
        2 * MB,
        &KEEP,
        None,
        Some(&t),
    )
    .expect_err("a 4 MB layout on a 2 MB flash");
    let text = e.to_string();
    assert!(
        text.contains("does not fit the flash") && text.contains("2048 KiB"),
        "{text}"
    );
}

#[test]
fn a_table_is_only_for_elf_files() {
    let t = PartitionTable::parse(&firmware_csv()).unwrap();
    let app = elf_to_app_image(&support::fixture(), Chip::Esp32c3, 4 * MB, &KEEP).unwrap();
    let e = plan_with_table(&app, Chip::Esp32c3, 4 * MB, &KEEP, None, Some(&t))
        .expect_err("an app image with a table");
    assert!(e.to_string().contains("only used with an ELF"), "{e}");
}

#[test]
fn tables_the_parser_would_panic_on_are_refused() {
    let bad_csv = [
        // Data subtypes and app subtypes the parser has no name for.
        ("nvs, data, nvs, 0x9000, 0x6000,\nfactory, app, factory, 0x10000, 1M,\nx, data, 0x40, 0x110000, 0x10000,\n", "subtype 0x40"),
        ("factory, app, 0x05, 0x10000, 1M,\n", "subtype 0x05"),
        ("factory, app, factory, 0x10000, 1M,\nx, data, 0b1000000, 0x110000, 0x1000,\n", "subtype `0b1000000`"),
        // A subtype name of the other type.
        ("factory, app, nvs, 0x10000, 1M,\n", "other type"),
        ("factory, app, factory, 0x10000, 1M,\nx, data, ota_1, 0x110000, 0x1000,\n", "other type"),
        // Numbers that overflow.
        ("factory, app, factory, 0x10000, 5000M,\n", "the size `5000M`"),
        ("factory, app, factory, 0xFFFF0000, 0x20000,\n", "past 4 GiB"),
        ("factory, app, factory, , 0xFFFFFFFF,\nx, data, nvs, , 0x1000,\n", "past 4 GiB"),
        ("factory, app, factory, 0x10000, 1_000,\n", "the size `1_000`"),
        // Types that are neither names nor numbers, quotes, short rows.
        ("factory, App, factory, 0x10000, 1M,\n", "type `App`"),
        ("\"factory\", app, factory, 0x10000, 1M,\n", "quotes"),
        ("factory, app, factory\n", "3 fields"),
        // Partitions over the bootloader or the table, empty ones, none for the app.
        ("factory, app, factory, 0x0, 1M,\n", "inside the bootloader"),
        ("nvs, data, nvs, 0x8000, 0x1000,\nfactory, app, factory, 0x10000, 1M,\n", "inside the bootloader"),
        ("nvs, data, nvs, 0x9000, 0,\nfactory, app, factory, 0x10000, 1M,\n", "empty"),
        ("nvs, data, nvs, 0x9000, 0x6000,\n", "not valid"),
        ("a, app, factory, 0x10000, 1M,\nb, app, factory, 0x110000, 1M,\n", "not valid"),
        ("a, app, factory, 0x10000, 1M,\nb, data, nvs, 0x20000, 0x1000,\n", "not valid"),
    ];
    for (csv, says) in bad_csv {
        let e = PartitionTable::parse(csv.as_bytes()).expect_err(csv);
        assert!(e.to_string().contains(says), "{csv:?}: {e}");
    }
    let mut many = String::from("factory, app, factory, 0x10000, 1M,\n");
    for i in 0..100 {
        many.push_str(&format!("d{i}, data, nvs, , 0x1000,\n"));
    }
    let e = PartitionTable::parse(many.as_bytes()).expect_err("too many rows");
    assert!(e.to_string().contains("more than 95"), "{e}");

    // The binary form: patched entries of the firmware's table (checked before the MD5).
    let good = PartitionTable::parse(&firmware_csv())
        .unwrap()
        .to_bin()
        .to_vec();
    let patched = |at: usize, bytes: &[u8]| {
        let mut b = good.clone();
        b[at..at + bytes.len()].copy_from_slice(bytes);
        b
    };
    // The ferrite entry (the 4th) with a data subtype of 0x40, flags 0x4, a size past 4 GiB.
    let e3 = 3 * 32;
    let bad_bin = [
        (patched(e3 + 3, &[0x40]), "subtype 0x40"),
        (patched(e3 + 28, &[0x04]), "flags 0x4"),
        (patched(e3 + 8, &[0xFF, 0xFF, 0xFF, 0xFF]), "past 4 GiB"),
        (patched(2 * 32 + 3, &[0x07]), "subtype 0x07"),
        (patched(e3, &[0xAA, 0x51]), "neither a partition"),
        (good[..40].to_vec(), "not valid"),
        (good[..32].to_vec(), "not valid"),
    ];
    for (bin, says) in bad_bin {
        let e = PartitionTable::parse(&bin).expect_err(says);
        assert!(e.to_string().contains(says), "{says}: {e}");
    }
    let mut full = good.clone();
    full.truncate(0);
    for i in 0..100u32 {
        let mut entry = vec![0xAA, 0x50, 1, 2];
        entry.extend_from_slice(&(0x9000 + i * 0x1000).to_le_bytes());
        entry.extend_from_slice(&0x1000u32.to_le_bytes());
        entry.extend_from_slice(&[b'd'; 16]);
        entry.extend_from_slice(&[0; 4]);
        full.extend(entry);
    }
    let e = PartitionTable::parse(&full).expect_err("too many entries");
    assert!(e.to_string().contains("more than 95"), "{e}");
    for junk in [
        &b""[..],
        b"\xAA",
        b"\xff\xfe\x00",
        b"#only a comment\n",
        b"\xAA\x50",
    ] {
        assert!(PartitionTable::parse(junk).is_err(), "{junk:?}");
    }
}

/// Every byte of the firmware's binary table changed, one at a time: parse answers, never panics.
#[test]
fn corrupted_binary_tables_never_panic() {
    let good = PartitionTable::parse(&firmware_csv())
        .unwrap()
        .to_bin()
        .to_vec();
    for at in 0..5 * 32 {
        for v in [0x00, 0x01, 0x40, 0x7F, 0xFF] {
            let mut b = good.clone();
            b[at] = v;
            let _ = PartitionTable::parse(&b);
        }
    }
}

#[test]
fn esptool_accepts_the_merged_image_with_the_firmware_table() {
    let t = PartitionTable::parse(&firmware_csv()).unwrap();
    let segs = c3_plan(&t);
    let merged = merge(&segs).unwrap();
    let dir = support::TempDir::new("esptool-table");
    let file = dir.path().join("merged.bin");
    std::fs::write(&file, &merged).unwrap();
    let app = dir.path().join("merged-app.bin");
    std::fs::write(&app, &merged[0x10000..]).unwrap();
    for (f, what) in [(&file, "merged"), (&app, "app inside the merged image")] {
        let Some((ok, out)) = support::esptool_image_info(f) else {
            return;
        };
        assert!(ok, "esptool image-info refused the {what} image:\n{out}");
        assert!(
            out.contains("(valid)") && !out.contains("invalid"),
            "{what}:\n{out}"
        );
    }
}
