//! Static files under `/ide/` (`ferrite device --ide DIR`): the IDE served by the device
//! itself, so that a page on plain http can reach it. GET and HEAD, `index.html` for a
//! directory, a content type from the extension. [`IdeFiles`] plugs them into the shared RPC
//! server ([`ferrite_rpc_server::StaticFiles`]), which streams a file's body a piece at a time
//! through [`FileBody`].
//!
//! Must never serve anything outside DIR: URL paths are percent-decoded, then `.`/`..`/empty
//! components, backslashes and NUL are refused, and the resolved path (symlinks followed)
//! must still be inside the canonical DIR; the file is opened without following a symlink
//! put there since. Must never block the device: only regular files are served (a FIFO or a
//! device file is opened non-blocking and refused).

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ferrite_protocols::http::{percent_decode, write_response, Request};
use ferrite_rpc_server::{BodySource, StaticFiles};

/// The URL prefix the files are served under.
pub const PREFIX: &str = "/ide/";

/// Why a path is not served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaticError {
    /// Not a file under DIR (404).
    NotFound,
    /// A path that tries to leave DIR or cannot be a name (403).
    Forbidden,
    /// A directory asked for without its trailing slash: redirect (301) to this URL path, so
    /// that its page's relative URLs resolve inside it.
    Redirect(String),
}

impl StaticError {
    pub fn status(&self) -> u16 {
        match self {
            StaticError::NotFound => 404,
            StaticError::Forbidden => 403,
            StaticError::Redirect(_) => 301,
        }
    }
}

/// The content type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file for URL path `path` (which starts with [`PREFIX`]) under the canonical `root`,
/// opened, with its length and the path (for the content type).
pub fn open(root: &Path, path: &str) -> Result<(File, u64, PathBuf), StaticError> {
    let rest = path.strip_prefix(PREFIX).ok_or(StaticError::NotFound)?;
    let decoded = percent_decode(rest, false).map_err(|_| StaticError::Forbidden)?;
    let mut p = root.to_path_buf();
    let parts: Vec<&str> = decoded.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *part {
            // `dir/` (a trailing slash) asks for the directory's index.
            "" if last => {}
            "" | "." | ".." => return Err(StaticError::Forbidden),
            _ if part.contains(['\\', '\0']) => return Err(StaticError::Forbidden),
            _ => p.push(part),
        }
    }
    let mut real = p.canonicalize().map_err(|_| StaticError::NotFound)?;
    if !real.starts_with(root) {
        return Err(StaticError::Forbidden);
    }
    if real.is_dir() {
        if !path.ends_with('/') {
            return Err(StaticError::Redirect(format!("{path}/")));
        }
        real = real
            .join("index.html")
            .canonicalize()
            .map_err(|_| StaticError::NotFound)?;
        if !real.starts_with(root) {
            return Err(StaticError::Forbidden);
        }
    }
    // Non-blocking (a FIFO would block the open), not through a symlink (one swapped in since
    // `canonicalize`); what was opened must be a regular file.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(&real)
        .map_err(|_| StaticError::NotFound)?;
    let meta = file.metadata().map_err(|_| StaticError::NotFound)?;
    if !meta.is_file() {
        return Err(StaticError::NotFound);
    }
    Ok((file, meta.len(), real))
}

/// The IDE's files at `/ide/` (`--ide DIR`), for the shared RPC server.
pub struct IdeFiles {
    /// DIR, canonical.
    root: PathBuf,
}

impl IdeFiles {
    /// The files of `root` (canonical: the containment checks compare against it).
    pub fn new(root: PathBuf) -> IdeFiles {
        IdeFiles { root }
    }
}

/// Queue a short plain-text answer.
fn text(out: &mut Vec<u8>, status: u16, extra: &[(&str, &str)], msg: &str, keep_alive: bool) {
    let mut h: Vec<(&str, &str)> = vec![
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Server", "Ferrite"),
    ];
    h.extend_from_slice(extra);
    write_response(out, status, &h, msg.as_bytes(), keep_alive);
}

impl StaticFiles for IdeFiles {
    fn claims(&self, path: &str) -> bool {
        path == "/ide" || path.starts_with(PREFIX)
    }

    fn serve(
        &mut self,
        req: &Request,
        keep_alive: bool,
        out: &mut Vec<u8>,
    ) -> Option<Box<dyn BodySource>> {
        let path = req.path();
        let head = req.method == "HEAD";
        if req.method != "GET" && !head {
            text(
                out,
                405,
                &[("Allow", "GET, HEAD")],
                "method not allowed\n",
                keep_alive,
            );
            return None;
        }
        if path == "/ide" {
            text(
                out,
                301,
                &[("Location", PREFIX)],
                "moved to /ide/\n",
                keep_alive,
            );
            return None;
        }
        match open(&self.root, path) {
            Ok((file, len, real)) => {
                let head_text = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {len}\r\n\
                     Cache-Control: no-cache\r\nServer: Ferrite\r\nConnection: {}\r\n\r\n",
                    content_type(&real),
                    if keep_alive { "keep-alive" } else { "close" }
                );
                out.extend_from_slice(head_text.as_bytes());
                if head || len == 0 {
                    return None;
                }
                Some(Box::new(FileBody { file, left: len }))
            }
            Err(StaticError::Redirect(to)) => {
                text(out, 301, &[("Location", &to)], "moved\n", keep_alive);
                None
            }
            Err(e) => {
                let msg = match e {
                    StaticError::Forbidden => "forbidden\n",
                    _ => "not found\n",
                };
                text(out, e.status(), &[], msg, keep_alive);
                None
            }
        }
    }
}

/// A file being sent: the bytes still to read from it.
struct FileBody {
    file: File,
    left: u64,
}

impl BodySource for FileBody {
    fn remaining(&self) -> u64 {
        self.left
    }

    fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        let want = (buf.len() as u64).min(self.left) as usize;
        match self.file.read(&mut buf[..want]) {
            Ok(n) if n > 0 => {
                self.left -= n as u64;
                Some(n)
            }
            // The file shrank or failed while being sent.
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            content_type(Path::new("a/index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x.WASM")), "application/wasm");
        assert_eq!(
            content_type(Path::new("m.webmanifest")),
            "application/manifest+json"
        );
        assert_eq!(content_type(Path::new("blob")), "application/octet-stream");
    }

    #[test]
    fn traversal_is_refused() {
        let dir = std::env::temp_dir().join(format!("ferrite-static-{}", std::process::id()));
        let root = dir.join("site");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(root.join("sub/a.js"), "1").unwrap();
        std::fs::write(dir.join("secret"), "no").unwrap();
        let root = root.canonicalize().unwrap();
        assert_eq!(open(&root, "/ide/").unwrap().1, 9);
        assert_eq!(open(&root, "/ide/sub/a.js").unwrap().1, 1);
        assert_eq!(open(&root, "/ide/sub/%61.js").unwrap().1, 1);
        for bad in [
            "/ide/../secret",
            "/ide/%2e%2e/secret",
            "/ide/sub/../../secret",
            "/ide//etc/passwd",
            "/ide/sub%5c..%5c..%5csecret",
        ] {
            assert_eq!(
                open(&root, bad).unwrap_err(),
                StaticError::Forbidden,
                "{bad}"
            );
        }
        assert_eq!(
            open(&root, "/ide/missing.js").unwrap_err(),
            StaticError::NotFound
        );
        // A directory without an index.
        std::fs::create_dir_all(root.join("empty")).unwrap();
        assert_eq!(
            open(&root, "/ide/empty/").unwrap_err(),
            StaticError::NotFound
        );
        // A directory without its slash is redirected.
        std::fs::write(root.join("sub/index.html"), "<p>sub</p>").unwrap();
        assert_eq!(
            open(&root, "/ide/sub").unwrap_err(),
            StaticError::Redirect("/ide/sub/".into())
        );
        assert_eq!(open(&root, "/ide/sub/").unwrap().1, 10);
        // A FIFO is refused without blocking.
        let fifo = std::ffi::CString::new(root.join("fifo").to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert_eq!(open(&root, "/ide/fifo").unwrap_err(), StaticError::NotFound);
        assert!(open(&root, "/dev/null").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
