//! `ferrite image` and `ferrite flash` with ELF, app and merged images: the images `ferrite
//! image` writes are accepted by the real `esptool image-info`; `ferrite flash PORT tiny.elf` to
//! `esp32-mock-bootloader` puts exactly `ferrite_esp_image::plan`'s bytes into the flash (read
//! back segment by segment); flashing again writes nothing; header parameters are patched;
//! images for another chip, raw files without an offset and images too large are refused; with
//! `--partition-table` (the firmware's firmware/esp32c3/partitions.csv) the merged image and
//! the flash hold that table at 0x8000, and an app too big for the table's factory partition is
//! refused.
//!
//! The ELF is ferrite-esp-image's committed fixture (firmware/image/tests/fixtures). Without the
//! mock or esptool the tests are skipped with a message, unless FERRITE_REQUIRE_PEERS is set.

#[path = "support/flash_mock.rs"]
mod flash_mock;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use ferrite_esp_image::{merge, plan, plan_with_table, Chip, FlashParams, PartitionTable, Segment};
use flash_mock::{ferrite, mock, ok, text};
use support::{find_tool, skip_without_peer, TempDir};

const MB: u32 = 1 << 20;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../image/tests/fixtures/tiny-esp32c3.elf")
}

/// Run and require failure with exit status 1; returns stderr.
fn fails(args: &[&str]) -> String {
    let o = ferrite(args);
    let (out, err) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "ferrite {args:?}\nstdout:\n{out}\nstderr:\n{err}"
    );
    err
}

/// The `W written` of the `total:` line.
fn total_written(stdout: &str) -> u32 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("total: "))
        .unwrap_or_else(|| panic!("no total line in:\n{stdout}"));
    let before = line.split(" written").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

/// The firmware's partition table.
fn firmware_partitions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../esp32c3/partitions.csv")
}

fn c3_plan(params: &FlashParams) -> Vec<Segment> {
    let elf = std::fs::read(fixture()).expect("read the fixture");
    plan(&elf, Chip::Esp32c3, 4 * MB, params, None).expect("plan the fixture")
}

fn read_back(pty: &str, dir: &Path, offset: u32, len: usize) -> Vec<u8> {
    let out = dir.join(format!("read-{offset:x}.bin"));
    ok(&[
        "read-flash",
        pty,
        &format!("{offset:#x}"),
        &len.to_string(),
        out.to_str().unwrap(),
    ]);
    std::fs::read(&out).unwrap()
}

#[test]
fn ferrite_image_writes_what_esptool_accepts() {
    let dir = TempDir::new("image-cmd");
    let elf = fixture();
    let app = dir.path().join("app.bin");
    let merged = dir.path().join("merged.bin");
    let (out, _) = ok(&[
        "image",
        elf.to_str().unwrap(),
        "--chip",
        "esp32c3",
        "--flash-freq",
        "80m",
        "-o",
        app.to_str().unwrap(),
    ]);
    assert!(out.contains("app image"), "{out}");
    let (out, err) = ok(&[
        "image",
        elf.to_str().unwrap(),
        "--chip",
        "esp32c3",
        "--merge",
        "--flash-freq",
        "80m",
        "-o",
        merged.to_str().unwrap(),
    ]);
    assert!(out.contains("merged image"), "{out}");
    assert!(err.contains("partition table at 0x08000"), "{err}");
    // The same bytes as the library's plan.
    let params = FlashParams {
        freq: Some(ferrite_esp_image::FlashFreq::F80m),
        size: Some(4 * MB),
        ..FlashParams::default()
    };
    let segs = c3_plan(&params);
    assert!(std::fs::read(&app).unwrap() == segs[2].data, "app differs");
    assert!(
        std::fs::read(&merged).unwrap() == merge(&segs).unwrap(),
        "merged differs"
    );

    // Refusals: no chip, not an ELF, an ELF for another architecture.
    assert_eq!(
        ferrite(&["image", elf.to_str().unwrap()]).status.code(),
        Some(2)
    );
    let err = fails(&["image", app.to_str().unwrap(), "--chip", "esp32c3"]);
    assert!(err.contains("is not an ELF file"), "{err}");
    let err = fails(&["image", elf.to_str().unwrap(), "--chip", "esp32s3"]);
    assert!(err.contains("wrong chip"), "{err}");

    let Some(esptool) = find_tool("esptool") else {
        skip_without_peer("esptool is not installed (pip install esptool)");
        return;
    };
    // image-info reads the image at offset 0 of a merged file (its bootloader): the app inside
    // it, at 0x10000, is checked on its own too.
    let merged_app = dir.path().join("merged-app.bin");
    std::fs::write(&merged_app, &std::fs::read(&merged).unwrap()[0x10000..]).unwrap();
    for file in [&app, &merged, &merged_app] {
        let o = Command::new(&esptool)
            .arg("image-info")
            .arg(file)
            .output()
            .expect("run esptool");
        let (out, err) = text(&o);
        assert!(
            o.status.success(),
            "esptool image-info {}:\n{out}\n{err}",
            file.display()
        );
        assert!(out.contains("Detected image type: ESP32-C3"), "{out}");
        assert!(
            out.contains("Checksum: ") && out.contains("(valid)"),
            "{out}"
        );
        assert!(!out.contains("invalid"), "{out}");
        assert!(out.contains("Flash freq: 80m"), "{out}");
    }
}

#[test]
fn flash_an_elf_read_it_back_and_flash_again() {
    let Some(m) = mock("esp32c3") else { return };
    let dir = TempDir::new("flash-elf");
    let elf = fixture();
    let elf = elf.to_str().unwrap();

    let (out, err) = ok(&["flash", &m.pty, elf]);
    assert!(
        err.contains("ELF for the ESP32-C3, 3 parts to write"),
        "{err}"
    );
    for what in ["bootloader", "partition table", "app"] {
        assert!(out.contains(&format!("({what}) at ")), "{out}");
    }
    assert!(err.contains("press RESET"), "a PTY has no lines: {err}");
    let segs = c3_plan(&FlashParams::default());
    assert_eq!(total_written(&out) as usize, {
        // Erased flash: every block with a byte that is not 0xFF is written.
        segs.iter()
            .map(|s| {
                s.data
                    .chunks(4096)
                    .filter(|c| c.iter().any(|b| *b != 0xFF))
                    .count()
            })
            .sum::<usize>()
    });

    // Each part is in the flash, and the flash from 0 is the merged plan.
    for s in &segs {
        let back = read_back(&m.pty, dir.path(), s.offset, s.data.len());
        assert!(back == s.data, "the {} read back differs", s.what);
    }
    let merged = merge(&segs).unwrap();
    assert!(
        read_back(&m.pty, dir.path(), 0, merged.len()) == merged,
        "the flash differs from merge(plan(..))"
    );

    // The same ELF again: nothing written.
    let (out, _) = ok(&["flash", &m.pty, elf, "--after", "no-reset"]);
    assert_eq!(total_written(&out), 0, "{out}");

    // Its app image (to 0x10000) and its merged image (to 0): unchanged too.
    let app = dir.path().join("app.bin");
    std::fs::write(&app, &segs[2].data).unwrap();
    let (out, err) = ok(&["flash", &m.pty, app.to_str().unwrap()]);
    assert!(err.contains("app image"), "{err}");
    assert!(out.contains("(app) at 0x10000"), "{out}");
    assert_eq!(total_written(&out), 0, "{out}");
    let merged_path = dir.path().join("merged.bin");
    std::fs::write(&merged_path, &merged).unwrap();
    let (out, err) = ok(&["flash", &m.pty, merged_path.to_str().unwrap()]);
    assert!(err.contains("merged image"), "{err}");
    assert!(out.contains("(image) at 0x0"), "{out}");
    assert_eq!(total_written(&out), 0, "{out}");

    // New flash parameters: both headers change (and their digests), nothing else.
    let (out, _) = ok(&[
        "flash",
        &m.pty,
        elf,
        "--flash-mode",
        "dout",
        "--flash-freq",
        "80m",
        "--flash-size",
        "detect",
    ]);
    assert!(total_written(&out) > 0, "{out}");
    let params = FlashParams {
        mode: Some(ferrite_esp_image::FlashMode::Dout),
        freq: Some(ferrite_esp_image::FlashFreq::F80m),
        size: Some(4 * MB),
    };
    let patched = merge(&c3_plan(&params)).unwrap();
    let back = read_back(&m.pty, dir.path(), 0, patched.len());
    assert!(back == patched, "the flash differs from the patched plan");
    assert_eq!(back[2], 3, "DOUT in the bootloader header");
    assert_eq!(back[3] & 0x0F, 0xF, "80 MHz in the bootloader header");
}

#[test]
fn wrong_chip_raw_without_offset_and_too_large_are_refused() {
    let dir = TempDir::new("flash-refusals");
    let segs = c3_plan(&FlashParams::default());
    let app = dir.path().join("app.bin");
    std::fs::write(&app, &segs[2].data).unwrap();
    let raw = dir.path().join("raw.bin");
    std::fs::write(&raw, vec![0x42u8; 8192]).unwrap();

    // Refused before any connection: the port need not exist.
    let err = fails(&["flash", "/dev/nonexistent-port", raw.to_str().unwrap()]);
    assert!(err.contains("give the flash offset"), "{err}");

    let Some(m) = mock("esp32s3") else { return };
    let err = fails(&["flash", &m.pty, fixture().to_str().unwrap()]);
    assert!(
        err.contains("wrong chip: the ELF is built for RISC-V"),
        "{err}"
    );
    let err = fails(&["flash", &m.pty, app.to_str().unwrap()]);
    assert!(
        err.contains(
            "wrong chip: the app image is built for the ESP32-C3, the chip is an ESP32-S3"
        ),
        "{err}"
    );
    let err = fails(&[
        "flash",
        &m.pty,
        raw.to_str().unwrap(),
        "--offset",
        "0xff000",
        "--flash-size",
        "1m",
    ]);
    assert!(err.contains("image too large for the flash"), "{err}");
}

#[test]
fn ferrite_image_and_flash_with_a_partition_table() {
    let dir = TempDir::new("partition-table");
    let elf = fixture();
    let elf = elf.to_str().unwrap();
    let csv = firmware_partitions();
    let csv = csv.to_str().unwrap();
    let table = PartitionTable::parse(&std::fs::read(csv).unwrap()).expect("partitions.csv");
    let merged = dir.path().join("merged.bin");
    let app = dir.path().join("app.bin");
    let (out, err) = ok(&[
        "image",
        elf,
        "--chip",
        "esp32c3",
        "--merge",
        "--partition-table",
        csv,
        "-o",
        merged.to_str().unwrap(),
    ]);
    assert!(out.contains("merged image"), "{out}");
    assert!(err.contains("partition table at 0x08000"), "{err}");
    let (out, _) = ok(&[
        "image",
        elf,
        "--chip",
        "esp32c3",
        "--partition-table",
        csv,
        "-o",
        app.to_str().unwrap(),
    ]);
    assert!(out.contains("app image (for offset 0x10000)"), "{out}");
    let bytes = std::fs::read(&merged).unwrap();
    assert!(
        &bytes[0x8000..0x8000 + 0xC00] == table.to_bin(),
        "the merged image holds the given table at 0x8000"
    );
    let params = FlashParams {
        size: Some(4 * MB),
        ..FlashParams::default()
    };
    let segs = plan_with_table(
        &std::fs::read(elf).unwrap(),
        Chip::Esp32c3,
        4 * MB,
        &params,
        None,
        Some(&table),
    )
    .unwrap();
    assert!(
        bytes == merge(&segs).unwrap(),
        "merged differs from the plan"
    );
    assert!(std::fs::read(&app).unwrap() == segs[2].data, "app differs");
    let default_merged = merge(&c3_plan(&params)).unwrap();
    assert!(
        default_merged[0x8000..0x8C00] != bytes[0x8000..0x8C00],
        "the default table differs from the firmware's"
    );

    // An app too big for the table's factory partition; a bad table; a table with a .bin.
    let tiny = dir.path().join("tiny.csv");
    std::fs::write(
        &tiny,
        "nvs, data, nvs, 0x9000, 0x6000,\nfactory, app, factory, 0x10000, 0x100,\n",
    )
    .unwrap();
    let err = fails(&[
        "image",
        elf,
        "--chip",
        "esp32c3",
        "--partition-table",
        tiny.to_str().unwrap(),
    ]);
    assert!(
        err.contains("does not fit the partition table's factory partition"),
        "{err}"
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "factory, app, factory, 0x10000, 1M,\nx, data, 0x40, 0x110000, 0x1000,\n",
    )
    .unwrap();
    let err = fails(&[
        "image",
        elf,
        "--chip",
        "esp32c3",
        "--partition-table",
        bad.to_str().unwrap(),
    ]);
    assert!(err.contains("subtype 0x40"), "{err}");
    let err = fails(&[
        "image",
        elf,
        "--chip",
        "esp32c3",
        "--partition-table",
        "/nonexistent.csv",
    ]);
    assert!(err.contains("cannot read /nonexistent.csv"), "{err}");
    let err = fails(&[
        "flash",
        "/dev/nonexistent-port",
        app.to_str().unwrap(),
        "--partition-table",
        csv,
    ]);
    assert!(err.contains("is for ELF files"), "{err}");
    let err = fails(&[
        "flash",
        "/dev/nonexistent-port",
        elf,
        "--partition-table",
        tiny.to_str().unwrap(),
        "--chip",
        "esp32c3",
    ]);
    assert!(
        err.contains("/dev/nonexistent-port"),
        "the table is fine until the app is placed: {err}"
    );

    if let Some(esptool) = find_tool("esptool") {
        let merged_app = dir.path().join("merged-app.bin");
        std::fs::write(&merged_app, &bytes[0x10000..]).unwrap();
        for file in [&merged, &merged_app, &app] {
            let o = Command::new(&esptool)
                .arg("image-info")
                .arg(file)
                .output()
                .expect("run esptool");
            let (out, err) = text(&o);
            assert!(
                o.status.success(),
                "esptool image-info {}:\n{out}\n{err}",
                file.display()
            );
            assert!(out.contains("(valid)") && !out.contains("invalid"), "{out}");
        }
    } else {
        skip_without_peer("esptool is not installed (pip install esptool)");
    }

    // `ferrite flash` with the table: the flash holds it at 0x8000, the app at 0x10000.
    let Some(m) = mock("esp32c3") else { return };
    let (out, _) = ok(&[
        "flash",
        &m.pty,
        elf,
        "--partition-table",
        csv,
        "--flash-size",
        "4m",
    ]);
    assert!(out.contains("(partition table) at 0x8000"), "{out}");
    let back = read_back(&m.pty, dir.path(), 0, bytes.len());
    assert!(
        back == bytes,
        "the flash differs from the merged image with the table"
    );
    // The too-small table is refused once the chip answered, and nothing is written.
    let err = fails(&[
        "flash",
        &m.pty,
        elf,
        "--partition-table",
        tiny.to_str().unwrap(),
    ]);
    assert!(
        err.contains("does not fit the partition table's factory partition"),
        "{err}"
    );
}
