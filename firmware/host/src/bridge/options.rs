//! `ferrite bridge` options:
//! `[--listen HOST:PORT] [--allow-origin ORIGIN]... (<serial path> [--baud N] | --device
//! [DEVICE OPTIONS...])` (everything after `--device` is for the device).

use crate::serial_port::DEFAULT_BAUD;

/// Where the listener binds when `--listen` is not given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

/// What the bridge connects to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A serial port (tty) or a PTY path.
    Path(String),
    /// `ferrite device --pty <these options>`, run as a child.
    Device(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeOptions {
    pub listen: String,
    pub target: Target,
    pub baud: u32,
    /// `--allow-origin` values (browser origins allowed besides loopback ones; `*`: all).
    pub allow_origins: Vec<String>,
}

/// Parse the arguments after `bridge`.
pub fn parse(args: &[String]) -> Result<BridgeOptions, String> {
    let mut listen = DEFAULT_LISTEN.to_string();
    let mut baud = None;
    let mut target = None;
    let mut allow_origins = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--listen" => listen = it.next().ok_or("--listen needs HOST:PORT")?.clone(),
            "--allow-origin" => {
                let o = it
                    .next()
                    .ok_or("--allow-origin needs an origin, e.g. http://192.168.1.5:8080, or *")?;
                allow_origins.push(o.clone());
            }
            "--baud" => {
                let v = it.next().ok_or("--baud needs a number, e.g. 115200")?;
                let n: u32 = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--baud: `{v}` is not a positive number"))?;
                baud = Some(n);
            }
            "--device" => {
                if target.is_some() {
                    return Err("give either a serial path or --device, not both".into());
                }
                // Everything after `--device` is for `ferrite device`.
                let rest: Vec<String> = it.by_ref().cloned().collect();
                if rest.iter().any(|o| o == "--pty") {
                    return Err("--device runs `ferrite device --pty` already".into());
                }
                target = Some(Target::Device(rest));
            }
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            path => {
                if target.is_some() {
                    return Err(format!("unexpected argument `{path}`"));
                }
                target = Some(Target::Path(path.to_string()));
            }
        }
    }
    let target =
        target.ok_or("give a serial port path (e.g. /dev/ttyACM0) or --device [DEVICE OPTIONS]")?;
    if matches!(target, Target::Device(_)) && baud.is_some() {
        return Err("--baud is for a serial port, not --device".into());
    }
    Ok(BridgeOptions {
        listen,
        target,
        baud: baud.unwrap_or(DEFAULT_BAUD),
        allow_origins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<BridgeOptions, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options() {
        let o = p(&["/dev/ttyACM0"]).unwrap();
        assert_eq!(o.listen, DEFAULT_LISTEN);
        assert_eq!(o.target, Target::Path("/dev/ttyACM0".into()));
        assert_eq!(o.baud, 115_200);
        let o = p(&["--listen", "0.0.0.0:9000", "/dev/ttyUSB0", "--baud", "9600"]).unwrap();
        assert_eq!((o.listen.as_str(), o.baud), ("0.0.0.0:9000", 9600));
        let o = p(&["--device", "--data", "d", "--http", "127.0.0.1:0"]).unwrap();
        assert_eq!(
            o.target,
            Target::Device(vec![
                "--data".into(),
                "d".into(),
                "--http".into(),
                "127.0.0.1:0".into()
            ])
        );
        assert!(o.allow_origins.is_empty());
        let o = p(&[
            "--allow-origin",
            "http://a:1",
            "--allow-origin",
            "*",
            "--device",
            "--allow-origin",
            "x",
        ])
        .unwrap();
        assert_eq!(o.allow_origins, ["http://a:1", "*"]);
        assert_eq!(
            o.target,
            Target::Device(vec!["--allow-origin".into(), "x".into()])
        );
        assert!(p(&["a", "--allow-origin"]).is_err());
        assert!(p(&[]).is_err());
        assert!(p(&["a", "b"]).is_err());
        assert!(p(&["a", "--device"]).is_err());
        assert!(p(&["a", "--baud", "x"]).is_err());
        assert!(p(&["a", "--baud", "0"]).is_err());
        assert!(p(&["--device", "--pty"]).is_err());
        assert!(p(&["--baud", "9600", "--device"]).is_err());
        assert!(p(&["--bogus", "a"]).is_err());
    }
}
