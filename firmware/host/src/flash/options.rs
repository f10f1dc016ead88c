//! Parsing of `ferrite flash`, `chip-info`, `read-flash` and `erase` (by hand, like cli.rs), and
//! of the flash-parameter options `ferrite image` shares.

use ferrite_flasher::image::{FlashFreq, FlashMode};
use ferrite_flasher::Chip;

/// What `--flash-size` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlashSizeArg {
    /// Not given, or `keep`: the write bound is the detected size; image headers keep theirs.
    #[default]
    Keep,
    /// `detect`: the write bound is the detected size, and image headers get it too.
    Detect,
    /// A size: the write bound, and what image headers get.
    Bytes(u32),
}

impl FlashSizeArg {
    /// The size to bound writes by, when one was given (`None`: detect it).
    pub fn bound(self) -> Option<u32> {
        match self {
            FlashSizeArg::Bytes(b) => Some(b),
            FlashSizeArg::Keep | FlashSizeArg::Detect => None,
        }
    }

    /// The size to put into image headers, given the flash size in use (`None`: keep).
    pub fn header(self, in_use: u32) -> Option<u32> {
        match self {
            FlashSizeArg::Keep => None,
            FlashSizeArg::Detect => Some(in_use),
            FlashSizeArg::Bytes(b) => Some(b),
        }
    }
}

/// What to do after `ferrite flash` wrote everything (`--after`).
pub use ferrite_flasher::After;

/// Which command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `offset`: where an app image or raw file goes (`None`: where its kind says).
    /// `partition_table`: the `--partition-table` file, for an ELF.
    Flash {
        image: String,
        offset: Option<u32>,
        partition_table: Option<String>,
        mode: Option<FlashMode>,
        freq: Option<FlashFreq>,
        after: After,
    },
    ChipInfo,
    ReadFlash {
        offset: u32,
        len: u32,
        out: String,
    },
    Erase {
        region: Option<(u32, u32)>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub port: String,
    pub action: Action,
    /// Baud rate to switch to after connecting (the connection starts at 115200).
    pub baud: Option<u32>,
    pub no_stub: bool,
    pub no_compress: bool,
    pub chip: Option<Chip>,
    pub flash_size: FlashSizeArg,
}

/// A number: decimal, `0x` hex, or with a `k`/`m` suffix (powers of 1024).
pub fn parse_number(s: &str) -> Result<u32, String> {
    let bad = || format!("invalid number `{s}` (expected e.g. 4096, 0x1000, 4k or 2m)");
    let t = s.trim().to_ascii_lowercase();
    let v: u64 = if let Some(h) = t.strip_prefix("0x") {
        u64::from_str_radix(h, 16).map_err(|_| bad())?
    } else if let Some(k) = t.strip_suffix('k') {
        k.parse::<u64>().map_err(|_| bad())? << 10
    } else if let Some(m) = t.strip_suffix('m') {
        m.parse::<u64>().map_err(|_| bad())? << 20
    } else {
        t.parse::<u64>().map_err(|_| bad())?
    };
    u32::try_from(v).map_err(|_| bad())
}

/// `--flash-mode`: `qio`, `qout`, `dio`, `dout` or `keep` (`None`).
pub fn parse_flash_mode(s: &str) -> Result<Option<FlashMode>, String> {
    if s.eq_ignore_ascii_case("keep") {
        return Ok(None);
    }
    FlashMode::from_name(s)
        .map(Some)
        .ok_or_else(|| format!("unknown flash mode `{s}` (qio, qout, dio, dout or keep)"))
}

/// `--flash-freq`: `80m`, `40m`, … or `keep` (`None`). Whether the chip takes it is checked
/// once the chip is known.
pub fn parse_flash_freq(s: &str) -> Result<Option<FlashFreq>, String> {
    if s.eq_ignore_ascii_case("keep") {
        return Ok(None);
    }
    FlashFreq::from_name(s).map(Some).ok_or_else(|| {
        format!(
            "unknown flash frequency `{s}` (80m, 60m, 48m, 40m, 30m, 26m, 24m, 20m, 16m, 15m, \
             12m or keep)"
        )
    })
}

/// `--flash-size`: a size (`4m`, `0x400000`), `keep` or `detect`.
pub fn parse_flash_size(s: &str) -> Result<FlashSizeArg, String> {
    match s.to_ascii_lowercase().as_str() {
        "keep" => Ok(FlashSizeArg::Keep),
        "detect" => Ok(FlashSizeArg::Detect),
        _ => {
            let b = parse_number(s)?;
            if b == 0 {
                return Err("the flash size must be positive".into());
            }
            Ok(FlashSizeArg::Bytes(b))
        }
    }
}

/// The `--partition-table` FILE (ESP-IDF CSV or binary), read and checked.
pub fn read_partition_table(path: &str) -> Result<ferrite_esp_image::PartitionTable, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    ferrite_esp_image::PartitionTable::parse(&bytes).map_err(|e| format!("{path}: {e}"))
}

/// `--chip`.
pub fn parse_chip(v: &str) -> Result<Chip, String> {
    Chip::from_name(v).ok_or_else(|| {
        format!(
            "unknown chip `{v}` (known: esp8266, esp32, esp32s2, esp32s3, esp32c2, esp32c3, \
             esp32c6, esp32h2)"
        )
    })
}

/// Parse the arguments after `ferrite` (the first one is the command).
pub fn parse(args: &[String]) -> Result<Options, String> {
    let Some(cmd) = args.first() else {
        return Err("missing command".into());
    };
    let mut positional = Vec::new();
    let mut offset = None;
    let mut partition_table = None;
    let mut baud = None;
    let mut no_stub = false;
    let mut no_compress = false;
    let mut chip = None;
    let mut flash_size = FlashSizeArg::Keep;
    let mut mode = None;
    let mut freq = None;
    let mut after = After::HardReset;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value"))
        };
        match a.as_str() {
            "--offset" if cmd == "flash" => offset = Some(parse_number(&value("--offset")?)?),
            "--partition-table" if cmd == "flash" => {
                partition_table = Some(value("--partition-table")?)
            }
            "--flash-mode" if cmd == "flash" => mode = parse_flash_mode(&value("--flash-mode")?)?,
            "--flash-freq" if cmd == "flash" => freq = parse_flash_freq(&value("--flash-freq")?)?,
            "--after" if cmd == "flash" => {
                let v = value("--after")?;
                after = After::from_name(&v)
                    .ok_or_else(|| format!("unknown `--after {v}` (hard-reset or no-reset)"))?;
            }
            "--baud" => {
                let b = parse_number(&value("--baud")?)?;
                baud = Some(ferrite_flasher::check_baud("--baud", b)?);
            }
            "--no-stub" => no_stub = true,
            "--no-compress" if cmd == "flash" => no_compress = true,
            "--chip" => chip = Some(parse_chip(&value("--chip")?)?),
            "--flash-size" => flash_size = parse_flash_size(&value("--flash-size")?)?,
            s if s.starts_with("--") => return Err(format!("unknown option `{s}` for `{cmd}`")),
            _ => positional.push(a.clone()),
        }
    }
    let mut pos = positional.into_iter();
    let port = pos
        .next()
        .ok_or_else(|| format!("`ferrite {cmd}` needs a serial PORT"))?;
    let action = match cmd.as_str() {
        "flash" => Action::Flash {
            image: pos
                .next()
                .ok_or("`ferrite flash` needs a FILE (.elf or .bin) after the PORT")?,
            offset,
            partition_table,
            mode,
            freq,
            after,
        },
        "chip-info" => Action::ChipInfo,
        "read-flash" => {
            let (Some(o), Some(l), Some(out)) = (pos.next(), pos.next(), pos.next()) else {
                return Err("`ferrite read-flash` needs PORT OFFSET LEN OUT".into());
            };
            Action::ReadFlash {
                offset: parse_number(&o)?,
                len: parse_number(&l)?,
                out,
            }
        }
        "erase" => match (pos.next(), pos.next()) {
            (None, _) => Action::Erase { region: None },
            (Some(o), Some(l)) => Action::Erase {
                region: Some((parse_number(&o)?, parse_number(&l)?)),
            },
            (Some(_), None) => return Err("`ferrite erase` needs both OFFSET and LEN".into()),
        },
        other => return Err(format!("unknown command `{other}`")),
    };
    if let Some(extra) = pos.next() {
        return Err(format!("unexpected argument `{extra}`"));
    }
    Ok(Options {
        port,
        action,
        baud,
        no_stub,
        no_compress,
        chip,
        flash_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0x1000"), Ok(4096));
        assert_eq!(parse_number("4096"), Ok(4096));
        assert_eq!(parse_number("4k"), Ok(4096));
        assert_eq!(parse_number("2m"), Ok(2 << 20));
        assert!(parse_number("0xZZ").is_err());
        assert!(parse_number("99999999999").is_err());
        assert!(parse_number("").is_err());
    }

    #[test]
    fn commands() {
        let o = p(&[
            "flash",
            "/dev/ttyUSB0",
            "fw.bin",
            "--offset",
            "0x10000",
            "--baud",
            "460800",
            "--no-stub",
        ])
        .unwrap();
        assert_eq!(
            o.action,
            Action::Flash {
                image: "fw.bin".into(),
                offset: Some(0x10000),
                partition_table: None,
                mode: None,
                freq: None,
                after: After::HardReset,
            }
        );
        assert_eq!(
            (o.baud, o.no_stub, o.no_compress),
            (Some(460_800), true, false)
        );
        assert_eq!(
            p(&["chip-info", "/dev/pts/3"]).unwrap().action,
            Action::ChipInfo
        );
        assert_eq!(
            p(&["read-flash", "P", "0", "4k", "out.bin"])
                .unwrap()
                .action,
            Action::ReadFlash {
                offset: 0,
                len: 4096,
                out: "out.bin".into()
            }
        );
        assert_eq!(
            p(&["erase", "P"]).unwrap().action,
            Action::Erase { region: None }
        );
        assert_eq!(
            p(&["erase", "P", "0x1000", "0x2000"]).unwrap().action,
            Action::Erase {
                region: Some((0x1000, 0x2000))
            }
        );
        assert_eq!(
            p(&["chip-info", "P", "--chip", "esp32-c3"]).unwrap().chip,
            Some(Chip::Esp32c3)
        );
    }

    #[test]
    fn usage_errors() {
        assert!(p(&["flash", "P"]).is_err());
        assert!(p(&["flash"]).is_err());
        assert!(p(&["chip-info", "P", "x"]).is_err());
        assert!(p(&["read-flash", "P", "0"]).is_err());
        assert!(p(&["erase", "P", "0"]).is_err());
        assert!(p(&["flash", "P", "f", "--fast"]).is_err());
        assert!(p(&["chip-info", "P", "--offset", "0"]).is_err());
        assert!(p(&["chip-info", "P", "--chip", "esp99"]).is_err());
        assert!(p(&["flash", "P", "f", "--baud", "0"]).is_err());
        assert!(p(&["flash", "P", "f", "--flash-mode", "fast"]).is_err());
        assert!(p(&["flash", "P", "f", "--flash-freq", "81m"]).is_err());
        assert!(p(&["flash", "P", "f", "--flash-size", "0"]).is_err());
        assert!(p(&["flash", "P", "f", "--after", "soft-reset"]).is_err());
        assert!(p(&["read-flash", "P", "0", "4", "o", "--flash-mode", "dio"]).is_err());
        assert!(p(&["chip-info", "P", "--partition-table", "t.csv"]).is_err());
        assert!(p(&["flash", "P", "f.elf", "--partition-table"]).is_err());
    }

    #[test]
    fn flash_parameters() {
        let o = p(&[
            "flash",
            "P",
            "fw.elf",
            "--flash-mode",
            "qio",
            "--flash-freq",
            "80m",
            "--flash-size",
            "detect",
            "--after",
            "no-reset",
        ])
        .unwrap();
        assert_eq!(
            o.action,
            Action::Flash {
                image: "fw.elf".into(),
                offset: None,
                partition_table: None,
                mode: Some(FlashMode::Qio),
                freq: Some(FlashFreq::F80m),
                after: After::NoReset,
            }
        );
        assert_eq!(o.flash_size, FlashSizeArg::Detect);
        assert_eq!(o.flash_size.bound(), None);
        assert_eq!(o.flash_size.header(4 << 20), Some(4 << 20));
        let o = p(&["flash", "P", "fw.elf", "--partition-table", "parts.csv"]).unwrap();
        assert!(matches!(
            o.action,
            Action::Flash { partition_table: Some(ref t), .. } if t == "parts.csv"
        ));
        let o = p(&[
            "flash",
            "P",
            "f",
            "--flash-mode",
            "keep",
            "--flash-size",
            "2m",
        ])
        .unwrap();
        assert!(matches!(o.action, Action::Flash { mode: None, .. }));
        assert_eq!(o.flash_size, FlashSizeArg::Bytes(2 << 20));
        assert_eq!(o.flash_size.bound(), Some(2 << 20));
        assert_eq!(FlashSizeArg::Keep.header(4 << 20), None);
    }
}
