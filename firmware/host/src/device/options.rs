//! `ferrite device` options.

use std::path::PathBuf;

use ferrite_runtime::Limits;

#[derive(Clone, Debug)]
pub struct DeviceOptions {
    /// Where scripts, KVS and config persist.
    pub data_dir: PathBuf,
    /// `host:port` of the HTTP/WebSocket RPC server, if any.
    pub http: Option<String>,
    /// Create a PTY for the console (and print its path) instead of stdin/stdout.
    pub pty: bool,
    /// The storage capacity the device reports (and enforces), in bytes.
    pub fs_size: u64,
    /// Script limits (Shelly's by default; `--limit name=value` changes one).
    pub limits: Limits,
    /// `--ide DIR`: static files served at `/ide/` by the HTTP server.
    pub ide: Option<PathBuf>,
}

/// Change limit `name` (a field of [`Limits`]) to `value`.
fn set_limit(l: &mut Limits, name: &str, value: &str) -> Result<(), String> {
    let n: u64 = value
        .parse()
        .map_err(|_| format!("--limit {name}: `{value}` is not a non-negative integer"))?;
    let u = usize::try_from(n).map_err(|_| format!("--limit {name}: {n} is too large"))?;
    match name {
        "timers" => l.timers = u,
        "event_handlers" => l.event_handlers = u,
        "status_handlers" => l.status_handlers = u,
        "rpc_calls" => l.rpc_calls = u,
        "mqtt_subscriptions" => l.mqtt_subscriptions = u,
        "http_endpoints" => l.http_endpoints = u,
        "script_bytes" => l.script_bytes = u,
        "scripts" => l.scripts = u,
        "script_heap" => l.script_heap = u,
        "slice_fuel" => l.slice_fuel = n.max(1),
        "turn_fuel" => l.turn_fuel = n.max(1),
        "job_queue" => l.job_queue = u,
        "log_lines" => l.log_lines = u.max(1),
        _ => return Err(format!("--limit: unknown limit `{name}`")),
    }
    Ok(())
}

/// Parse the arguments after `device`.
pub fn parse(args: &[String]) -> Result<DeviceOptions, String> {
    let mut opts = DeviceOptions {
        data_dir: PathBuf::from("ferrite-data"),
        http: None,
        pty: false,
        fs_size: super::storage::DEFAULT_CAPACITY,
        limits: Limits::default(),
        ide: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--data" => opts.data_dir = it.next().ok_or("--data needs a directory")?.into(),
            "--http" => opts.http = Some(it.next().ok_or("--http needs host:port")?.clone()),
            "--pty" => opts.pty = true,
            "--ide" => opts.ide = Some(it.next().ok_or("--ide needs a directory")?.into()),
            "--fs-size" => {
                let v = it.next().ok_or("--fs-size needs a size, e.g. 4m")?;
                opts.fs_size = crate::cli::parse_size(v).map_err(|e| e.0)? as u64;
            }
            "--limit" => {
                let v = it.next().ok_or("--limit needs NAME=VALUE")?;
                let (name, value) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--limit {v}: expected NAME=VALUE"))?;
                set_limit(&mut opts.limits, name, value)?;
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if opts.ide.is_some() && opts.http.is_none() {
        return Err("--ide needs --http HOST:PORT (the IDE is served by the HTTP server)".into());
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<DeviceOptions, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options() {
        let o = p(&[
            "--data",
            "d",
            "--pty",
            "--fs-size",
            "1m",
            "--limit",
            "turn_fuel=5",
        ])
        .unwrap();
        assert_eq!(o.data_dir, PathBuf::from("d"));
        assert!(o.pty);
        assert_eq!(o.fs_size, 1 << 20);
        assert_eq!(o.limits.turn_fuel, 5);
        assert!(p(&["--limit", "nope=1"]).is_err());
        assert!(p(&["--limit", "timers"]).is_err());
        assert!(p(&["--limit", "timers=-1"]).is_err());
        assert!(p(&["--data"]).is_err());
        assert!(p(&["--bogus"]).is_err());
        assert!(p(&["--ide", "dist"]).is_err(), "--ide needs --http");
        let o = p(&["--http", "127.0.0.1:0", "--ide", "dist"]).unwrap();
        assert_eq!(o.ide, Some(PathBuf::from("dist")));
    }
}
