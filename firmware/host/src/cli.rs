//! Command-line parsing for `ferrite` (by hand: the grammar is tiny).

use std::fmt;

/// The default heap budget of the CLI (the engine's default).
pub fn default_heap() -> usize {
    ferrite_engine::Config::default().heap_budget
}

/// What the user asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `ferrite run FILE [--heap BYTES]`; `FILE` may be `-` for standard input.
    Run {
        file: String,
        heap: usize,
    },
    /// `ferrite check FILE`: parse only.
    Check {
        file: String,
        heap: usize,
    },
    /// `ferrite repl [--heap BYTES]` (also plain `ferrite`).
    Repl {
        heap: usize,
    },
    Help,
    Version,
}

/// A usage error: printed with a hint to `--help`, exit status 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const USAGE: &str = "\
ferrite — a JavaScript engine for microcontrollers (host build)

Usage:
  ferrite run FILE.js [--heap BYTES]   run a script; `-` reads standard input
  ferrite check FILE.js                parse only, report the first syntax error
  ferrite repl [--heap BYTES]          interactive read-eval-print loop (the default)
  ferrite FILE.js                      same as `ferrite run FILE.js`
  ferrite device [--data DIR] [--http HOST:PORT] [--pty] [--fs-size BYTES] [--limit NAME=N]
                 [--ide DIR]
                                       the virtual device: serial console on stdin/stdout
                                       (or a PTY, path printed as `console: PATH`), RPC over
                                       HTTP/WebSocket, state kept in DIR (default
                                       ./ferrite-data); protocol in docs/PROTOCOL.md
                                       --ide DIR (with --http): serve DIR at /ide/
  ferrite bridge [--listen HOST:PORT] [--allow-origin ORIGIN]...
                 (PORT_PATH [--baud N] | --device [DEVICE OPTIONS])
                                       a serial port (or the virtual device's console with
                                       --device) as a WebSocket on HOST:PORT (default
                                       127.0.0.1:8765): binary messages are the serial bytes,
                                       text messages control baud/DTR/RTS (docs/PROTOCOL.md)
                                       browser pages are let in from loopback origins only,
                                       plus each --allow-origin (e.g. http://192.168.1.5:8080;
                                       * for any); clients without Origin always
  ferrite flash PORT FILE [--offset N] [--baud N] [--no-stub] [--no-compress]
                [--flash-mode qio|qout|dio|dout|keep] [--flash-freq 80m|40m|26m|20m|…|keep]
                [--after hard-reset|no-reset] [--partition-table FILE]
  ferrite chip-info PORT
  ferrite read-flash PORT OFFSET LEN OUT.bin
  ferrite erase PORT [OFFSET LEN]
                                       Espressif chips over their serial ROM loader (a tty or
                                       a PTY): write FILE — an ELF (as bootloader, partition
                                       table and app), an app image (at 0x10000 unless
                                       --offset), a merged image (at 0) or a raw binary (needs
                                       --offset) — compressed, only the 4 KiB blocks that
                                       differ, every write MD5-verified, then reset the chip
                                       into its firmware (unless --after no-reset); show chip
                                       and MAC, read flash to a file, erase (whole or a
                                       region; needs the stub). Options: --baud N (switch
                                       after connecting; falls back if the chip does not
                                       follow), --no-stub, --chip esp32c3 (refuse others),
                                       --flash-size 4m|keep|detect (default: detected from the
                                       flash id; a size or `detect` also goes into the image
                                       header at the bootloader offset, like --flash-mode and
                                       --flash-freq), --partition-table FILE (for an ELF: this
                                       ESP-IDF table, CSV or binary, instead of the default)
  ferrite image ELF --chip C [--merge] [--flash-mode M] [--flash-freq F] [--flash-size S]
                [--partition-table FILE] [-o OUT]
                                       the ESP-IDF app image of an ELF (for 0x10000), or with
                                       --merge the whole flash from 0 (bootloader, partition
                                       table, app); OUT defaults to ELF's name with .bin
                                       (-merged.bin); --flash-size defaults to 4m; with
                                       --partition-table (CSV or binary) that table goes to
                                       0x8000 and the app to its factory partition
  ferrite --help | --version

Options:
  --heap BYTES, --heap=BYTES   heap budget beyond the built-ins; suffixes k and m (powers of 1024), e.g. 64k, 2m
                               (default: 64m)

Exit status: 0 ok, 1 uncaught JavaScript error (printed as `file:line:col: Name: message`),
2 bad usage or unreadable file.
";

/// Parse a size such as `65536`, `64k`, `64K`, `2m`, `1M`, `64kb`.
pub fn parse_size(s: &str) -> Result<usize, UsageError> {
    let bad = || {
        UsageError(format!(
            "invalid size `{s}` (expected e.g. 65536, 64k or 2m)"
        ))
    };
    let lower = s.trim().to_ascii_lowercase();
    let lower = lower.strip_suffix('b').unwrap_or(&lower);
    let (digits, mult) = if let Some(d) = lower.strip_suffix('k') {
        (d, 1usize << 10)
    } else if let Some(d) = lower.strip_suffix('m') {
        (d, 1 << 20)
    } else if let Some(d) = lower.strip_suffix('g') {
        (d, 1 << 30)
    } else {
        (lower, 1)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: usize = digits.parse().map_err(|_| bad())?;
    let n = n.checked_mul(mult).ok_or_else(bad)?;
    if n == 0 {
        return Err(UsageError("the heap budget must be positive".into()));
    }
    Ok(n)
}

/// Parse the arguments after the program name.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, UsageError> {
    let mut args = args.into_iter();
    let mut sub: Option<String> = None;
    let mut file: Option<String> = None;
    let mut heap: Option<usize> = None;
    let mut only_positional = false;

    while let Some(arg) = args.next() {
        if !only_positional && arg.starts_with('-') && arg != "-" {
            match arg.as_str() {
                "--" => only_positional = true,
                "-h" | "--help" => return Ok(Command::Help),
                "-V" | "--version" => return Ok(Command::Version),
                "--heap" => {
                    let v = args.next().ok_or_else(|| {
                        UsageError("`--heap` needs a value, e.g. --heap 64k".into())
                    })?;
                    heap = Some(parse_size(&v)?);
                }
                _ => {
                    if let Some(v) = arg.strip_prefix("--heap=") {
                        heap = Some(parse_size(v)?);
                    } else {
                        return Err(UsageError(format!("unknown option `{arg}`")));
                    }
                }
            }
            continue;
        }
        if sub.is_none() {
            match arg.as_str() {
                "run" | "check" | "repl" if !only_positional => sub = Some(arg),
                "help" if !only_positional => return Ok(Command::Help),
                "version" if !only_positional => return Ok(Command::Version),
                _ => {
                    // `ferrite FILE.js` is `ferrite run FILE.js`.
                    sub = Some("run".into());
                    file = Some(arg);
                }
            }
        } else if file.is_none() && sub.as_deref() != Some("repl") {
            file = Some(arg);
        } else {
            return Err(UsageError(format!("unexpected argument `{arg}`")));
        }
    }

    let heap = heap.unwrap_or_else(default_heap);
    match sub.as_deref() {
        None | Some("repl") => Ok(Command::Repl { heap }),
        Some(cmd) => {
            let file = file.ok_or_else(|| UsageError(format!("`ferrite {cmd}` needs a FILE")))?;
            if cmd == "run" {
                Ok(Command::Run { file, heap })
            } else {
                Ok(Command::Check { file, heap })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64k"), Ok(65536));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("64kb"), Ok(65536));
        assert_eq!(parse_size("2m"), Ok(2 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("").is_err());
        assert!(parse_size("k").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("-5").is_err());
        assert!(parse_size("1.5m").is_err());
        assert!(parse_size("99999999999999999999999").is_err());
    }

    #[test]
    fn commands() {
        let d = default_heap();
        assert_eq!(p(&[]), Ok(Command::Repl { heap: d }));
        assert_eq!(
            p(&["repl", "--heap=64k"]),
            Ok(Command::Repl { heap: 65536 })
        );
        assert_eq!(
            p(&["run", "a.js"]),
            Ok(Command::Run {
                file: "a.js".into(),
                heap: d
            })
        );
        assert_eq!(
            p(&["run", "a.js", "--heap", "65536"]),
            Ok(Command::Run {
                file: "a.js".into(),
                heap: 65536
            })
        );
        assert_eq!(
            p(&["--heap", "1m", "run", "a.js"]),
            Ok(Command::Run {
                file: "a.js".into(),
                heap: 1 << 20
            })
        );
        assert_eq!(
            p(&["a.js"]),
            Ok(Command::Run {
                file: "a.js".into(),
                heap: d
            })
        );
        assert_eq!(
            p(&["run", "-"]),
            Ok(Command::Run {
                file: "-".into(),
                heap: d
            })
        );
        assert_eq!(
            p(&["run", "--", "-x.js"]),
            Ok(Command::Run {
                file: "-x.js".into(),
                heap: d
            })
        );
        assert_eq!(
            p(&["check", "a.js"]),
            Ok(Command::Check {
                file: "a.js".into(),
                heap: d
            })
        );
        assert_eq!(p(&["--help"]), Ok(Command::Help));
        assert_eq!(p(&["run", "-h"]), Ok(Command::Help));
        assert_eq!(p(&["--version"]), Ok(Command::Version));
    }

    #[test]
    fn usage_errors() {
        assert!(p(&["run"]).is_err());
        assert!(p(&["check"]).is_err());
        assert!(p(&["run", "a.js", "b.js"]).is_err());
        assert!(p(&["repl", "x"]).is_err());
        assert!(p(&["run", "a.js", "--heap"]).is_err());
        assert!(p(&["run", "a.js", "--heap", "lots"]).is_err());
        assert!(p(&["run", "a.js", "--fast"]).is_err());
    }
}
