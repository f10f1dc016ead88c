//! Parsing of `ferrite flash`, `chip-info`, `read-flash` and `erase` (by hand, like cli.rs).

use ferrite_flasher::Chip;

/// Which command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Flash { image: String, offset: u32 },
    ChipInfo,
    ReadFlash { offset: u32, len: u32, out: String },
    Erase { region: Option<(u32, u32)> },
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
    /// `None`: detect it.
    pub flash_size: Option<u32>,
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

/// Parse the arguments after `ferrite` (the first one is the command).
pub fn parse(args: &[String]) -> Result<Options, String> {
    let Some(cmd) = args.first() else {
        return Err("missing command".into());
    };
    let mut positional = Vec::new();
    let mut offset = 0u32;
    let mut baud = None;
    let mut no_stub = false;
    let mut no_compress = false;
    let mut chip = None;
    let mut flash_size = None;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value"))
        };
        match a.as_str() {
            "--offset" if cmd == "flash" => offset = parse_number(&value("--offset")?)?,
            "--baud" => {
                let b = parse_number(&value("--baud")?)?;
                if b == 0 {
                    return Err("the baud rate must be positive".into());
                }
                baud = Some(b);
            }
            "--no-stub" => no_stub = true,
            "--no-compress" if cmd == "flash" => no_compress = true,
            "--chip" => {
                let v = value("--chip")?;
                chip = Some(Chip::from_name(&v).ok_or_else(|| {
                    format!(
                        "unknown chip `{v}` (known: esp8266, esp32, esp32s2, esp32s3, esp32c2, \
                         esp32c3, esp32c6, esp32h2)"
                    )
                })?);
            }
            "--flash-size" => flash_size = Some(parse_number(&value("--flash-size")?)?),
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
                .ok_or("`ferrite flash` needs an IMAGE.bin after the PORT")?,
            offset,
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
                offset: 0x10000
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
    }
}
