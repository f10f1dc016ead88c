//! `ferrite image ELF --chip C [--merge] [--partition-table FILE] [--flash-mode M]
//! [--flash-freq F] [--flash-size S] [-o OUT]`: the ESP-IDF app image of an ELF (what `ferrite
//! flash` writes at 0x10000), or with `--merge` the whole flash from offset 0 (bootloader,
//! partition table, app; gaps 0xFF), made by `ferrite-esp-image` — no chip attached. With
//! `--partition-table` (ESP-IDF CSV or binary) that table goes to 0x8000 instead of espflash's
//! default one, and the app to its factory partition, which it must fit.
//!
//! Must never: write an output file when the image could not be made, or overwrite the input.

use std::path::{Path, PathBuf};

use ferrite_esp_image::{
    elf_to_app_image_with_table, identify, merge, plan_with_table, FileKind, FlashParams,
};
use ferrite_flasher::image::{FlashFreq, FlashMode};
use ferrite_flasher::Chip;

use super::options::{
    parse_chip, parse_flash_freq, parse_flash_mode, parse_flash_size, read_partition_table,
    FlashSizeArg,
};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// The flash size an image is built for when `--flash-size` is not given.
const DEFAULT_FLASH_SIZE: u32 = 4 << 20;

#[derive(Debug, PartialEq, Eq)]
struct ImageOptions {
    elf: String,
    chip: Chip,
    merge: bool,
    mode: Option<FlashMode>,
    freq: Option<FlashFreq>,
    flash_size: u32,
    partition_table: Option<String>,
    out: Option<String>,
}

fn parse(args: &[String]) -> Result<ImageOptions, String> {
    let mut elf = None;
    let mut chip = None;
    let mut merge = false;
    let mut mode = None;
    let mut freq = None;
    let mut flash_size = DEFAULT_FLASH_SIZE;
    let mut out = None;
    let mut partition_table = None;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value"))
        };
        match a.as_str() {
            "--chip" => chip = Some(parse_chip(&value("--chip")?)?),
            "--merge" => merge = true,
            "--flash-mode" => mode = parse_flash_mode(&value("--flash-mode")?)?,
            "--flash-freq" => freq = parse_flash_freq(&value("--flash-freq")?)?,
            "--flash-size" => {
                flash_size = match parse_flash_size(&value("--flash-size")?)? {
                    FlashSizeArg::Bytes(b) => b,
                    FlashSizeArg::Keep => DEFAULT_FLASH_SIZE,
                    FlashSizeArg::Detect => {
                        return Err("`ferrite image` has no chip to detect the flash size of; \
                                    give one (e.g. --flash-size 4m)"
                            .into())
                    }
                }
            }
            "--partition-table" => partition_table = Some(value("--partition-table")?),
            "-o" | "--output" => out = Some(value("-o")?),
            s if s.starts_with('-') => return Err(format!("unknown option `{s}` for `image`")),
            _ if elf.is_none() => elf = Some(a.clone()),
            _ => return Err(format!("unexpected argument `{a}`")),
        }
    }
    Ok(ImageOptions {
        elf: elf.ok_or("`ferrite image` needs an ELF file")?,
        chip: chip.ok_or("`ferrite image` needs --chip (e.g. --chip esp32c3)")?,
        merge,
        mode,
        freq,
        flash_size,
        partition_table,
        out,
    })
}

/// `fw.elf` → `fw.bin` (`fw-merged.bin` with `--merge`), next to it.
fn default_output(elf: &str, merge: bool) -> PathBuf {
    let p = Path::new(elf);
    let stem = p
        .file_stem()
        .map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
    let name = if merge {
        format!("{stem}-merged.bin")
    } else {
        format!("{stem}.bin")
    };
    p.with_file_name(name)
}

fn run(o: &ImageOptions) -> Result<(), String> {
    let elf = std::fs::read(&o.elf).map_err(|e| format!("cannot read {}: {e}", o.elf))?;
    if identify(&elf) != FileKind::Elf {
        return Err(format!(
            "{} is not an ELF file (`ferrite image` builds images from ELF files; `ferrite \
             flash` takes .bin images as they are)",
            o.elf
        ));
    }
    let table = o
        .partition_table
        .as_deref()
        .map(read_partition_table)
        .transpose()?;
    let params = FlashParams {
        mode: o.mode,
        freq: o.freq,
        size: Some(o.flash_size),
    };
    let out = o
        .out
        .as_ref()
        .map_or_else(|| default_output(&o.elf, o.merge), PathBuf::from);
    if same_file(&out, Path::new(&o.elf)) {
        return Err(format!("the output {} is the input", out.display()));
    }
    let (bytes, what) = if o.merge {
        let segments = plan_with_table(&elf, o.chip, o.flash_size, &params, None, table.as_ref())
            .map_err(|e| e.to_string())?;
        for s in &segments {
            eprintln!(
                "{:>16} at {:#07x}: {} bytes",
                s.what,
                s.offset,
                s.data.len()
            );
        }
        (
            merge(&segments).map_err(|e| e.to_string())?,
            "merged image (flash from offset 0)".to_string(),
        )
    } else {
        let app = elf_to_app_image_with_table(&elf, o.chip, o.flash_size, &params, table.as_ref())
            .map_err(|e| e.to_string())?;
        let at = table.as_ref().map_or(0x10000, |t| t.app_partition().offset);
        (app, format!("app image (for offset {at:#x})"))
    };
    std::fs::write(&out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "wrote {}: {what} for the {}, {} bytes",
        out.display(),
        o.chip.name(),
        bytes.len()
    );
    Ok(())
}

/// Run `ferrite image …` (`args[0]` is `image`).
pub fn main(args: &[String]) -> i32 {
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ferrite image: {e}\nTry `ferrite --help`.");
            return EXIT_USAGE;
        }
    };
    match run(&opts) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("ferrite image: {e}");
            EXIT_FAILED
        }
    }
}

/// Whether `out` names the file `input` (through `./`, `..`, symlinks or hard links): compared
/// by device and inode when `out` exists, else it cannot be the input.
fn same_file(out: &Path, input: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(out), std::fs::metadata(input)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => out == input,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<ImageOptions, String> {
        let mut v = vec!["image".to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        parse(&v)
    }

    #[test]
    fn options() {
        let o = p(&["fw.elf", "--chip", "esp32c3", "--merge", "-o", "x.bin"]).unwrap();
        assert_eq!(
            o,
            ImageOptions {
                elf: "fw.elf".into(),
                chip: Chip::Esp32c3,
                merge: true,
                mode: None,
                freq: None,
                flash_size: 4 << 20,
                partition_table: None,
                out: Some("x.bin".into()),
            }
        );
        let o = p(&[
            "fw.elf",
            "--chip",
            "esp32",
            "--flash-mode",
            "dout",
            "--flash-freq",
            "26m",
            "--flash-size",
            "16m",
        ])
        .unwrap();
        assert_eq!(
            (o.mode, o.freq, o.flash_size),
            (Some(FlashMode::Dout), Some(FlashFreq::F26m), 16 << 20)
        );
        let o = p(&[
            "fw.elf",
            "--chip",
            "esp32c3",
            "--partition-table",
            "parts.csv",
        ])
        .unwrap();
        assert_eq!(o.partition_table.as_deref(), Some("parts.csv"));
        assert!(p(&["fw.elf", "--chip", "esp32c3", "--partition-table"]).is_err());
        assert!(p(&["fw.elf"]).is_err());
        assert!(p(&["--chip", "esp32c3"]).is_err());
        assert!(p(&["a", "b", "--chip", "esp32c3"]).is_err());
        assert!(p(&["a", "--chip", "esp32c3", "--flash-size", "detect"]).is_err());
        assert!(p(&["a", "--chip", "esp32c3", "--fast"]).is_err());
        assert_eq!(
            default_output("dir/fw.elf", true),
            PathBuf::from("dir/fw-merged.bin")
        );
        assert_eq!(default_output("fw", false), PathBuf::from("fw.bin"));
    }

    #[test]
    fn the_same_file_is_found_through_other_names() {
        let dir = std::env::temp_dir().join(format!("ferrite-same-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("fw.elf");
        std::fs::write(&a, b"x").unwrap();
        let dotted = dir.join(".").join("fw.elf");
        let link = dir.join("link.elf");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&a, &link).unwrap();
        assert!(same_file(&dotted, &a));
        assert!(same_file(&link, &a));
        assert!(!same_file(&dir.join("other.bin"), &a));
        std::fs::write(dir.join("other.bin"), b"x").unwrap();
        assert!(!same_file(&dir.join("other.bin"), &a));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
