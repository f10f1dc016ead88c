//! Static files under `/ide/` (`ferrite device --ide DIR`): the IDE served by the device
//! itself, so that a page on plain http can reach it. GET and HEAD, `index.html` for a
//! directory, a content type from the extension.
//!
//! Must never serve anything outside DIR: URL paths are percent-decoded, then `.`/`..`/empty
//! components, backslashes and NUL are refused, and the resolved path (symlinks followed)
//! must still be inside the canonical DIR.

use std::fs::File;
use std::path::{Path, PathBuf};

use ferrite_protocols::http::percent_decode;

/// The URL prefix the files are served under.
pub const PREFIX: &str = "/ide/";

/// Why a path is not served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaticError {
    /// Not a file under DIR (404).
    NotFound,
    /// A path that tries to leave DIR or cannot be a name (403).
    Forbidden,
}

impl StaticError {
    pub fn status(&self) -> u16 {
        match self {
            StaticError::NotFound => 404,
            StaticError::Forbidden => 403,
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
        real = real
            .join("index.html")
            .canonicalize()
            .map_err(|_| StaticError::NotFound)?;
        if !real.starts_with(root) {
            return Err(StaticError::Forbidden);
        }
    }
    let file = File::open(&real).map_err(|_| StaticError::NotFound)?;
    let meta = file.metadata().map_err(|_| StaticError::NotFound)?;
    if !meta.is_file() {
        return Err(StaticError::NotFound);
    }
    Ok((file, meta.len(), real))
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
        let _ = std::fs::remove_dir_all(&dir);
    }
}
