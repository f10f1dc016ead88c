//! The virtual device's storage: one file per name in a data directory.
//!
//! Names map to paths under the directory (`scripts/1.js` → `<data>/scripts/1.js`); `..`
//! components, absolute names, empty components and NUL bytes are rejected. Every write is
//! atomic: the data goes to `<name>.tmp-<pid>`, is fsynced and renamed over the old file, then
//! the directory is fsynced — so a `kill -9` (or a power cut) at any point leaves the old or
//! the new content, never a mix. Leftover temporary files of dead processes are ignored by
//! `list` and removed at open. Newly created directories are made durable too (their parent
//! is fsynced).
//!
//! One device per directory: opening takes an exclusive `flock` on `<data>/.ferrite-lock`
//! (held while the storage is open), so a second `ferrite device` on the same directory
//! refuses to start instead of removing the first one's temporary files.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ferrite_runtime::board::{BoardError, BoardResult, Storage};

/// The capacity `usage()` reports unless configured otherwise: what a small flash partition
/// holds.
pub const DEFAULT_CAPACITY: u64 = 4 << 20;

/// Storage in a directory of the host.
pub struct DirStorage {
    root: PathBuf,
    capacity: u64,
    /// The locked lock file (the lock goes with it).
    _lock: fs::File,
}

/// The lock file in the data directory (not a storage name).
const LOCK_FILE: &str = ".ferrite-lock";

/// The marker of temporary files (`<name>.tmp-<pid>`).
const TMP_MARK: &str = ".tmp-";

fn failed(what: &str, name: &str, e: io::Error) -> BoardError {
    BoardError::Failed(format!("{what} {name}: {e}"))
}

impl DirStorage {
    /// Open (and create if missing) the data directory, with a nominal capacity in bytes
    /// (see [`DEFAULT_CAPACITY`]; 0: unbounded); writes that would go beyond it fail, as on a
    /// full flash.
    pub fn with_capacity(dir: &Path, capacity: u64) -> Result<DirStorage, String> {
        create_dirs_synced(dir)
            .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
        let lock = lock_dir(dir)?;
        let s = DirStorage {
            root: dir.to_path_buf(),
            capacity,
            _lock: lock,
        };
        s.remove_stale_temporaries(&s.root);
        Ok(s)
    }

    /// The path of `name`, if `name` is acceptable.
    fn path(&self, name: &str) -> BoardResult<PathBuf> {
        let bad = |why: &str| BoardError::InvalidArgument(format!("storage name {name:?}: {why}"));
        if name.is_empty() {
            return Err(bad("empty"));
        }
        if name.contains('\0') {
            return Err(bad("contains NUL"));
        }
        if name.starts_with('/') || name.starts_with('\\') {
            return Err(bad("absolute names are not allowed"));
        }
        if name.contains('\\') {
            return Err(bad("backslashes are not allowed"));
        }
        let mut p = self.root.clone();
        for part in name.split('/') {
            match part {
                "" => return Err(bad("empty path component")),
                "." | ".." => return Err(bad("`.` and `..` are not allowed")),
                LOCK_FILE => return Err(bad("reserved name")),
                _ if part.contains(TMP_MARK) => return Err(bad("reserved name")),
                _ => p.push(part),
            }
        }
        Ok(p)
    }

    /// Remove `<name>.tmp-<pid>` files left by processes that died mid-write.
    fn remove_stale_temporaries(&self, dir: &Path) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                self.remove_stale_temporaries(&p);
            } else if e.file_name().to_string_lossy().contains(TMP_MARK) {
                let _ = fs::remove_file(&p);
            }
        }
    }

    /// Bytes used: names plus contents of every stored file.
    fn used(&self) -> u64 {
        fn walk(dir: &Path, prefix: &str, total: &mut u64) {
            let Ok(rd) = fs::read_dir(dir) else { return };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Ok(t) = e.file_type() else { continue };
                if t.is_dir() {
                    walk(&e.path(), &format!("{prefix}{name}/"), total);
                } else if !is_internal(prefix, &name) {
                    let len = e.metadata().map_or(0, |m| m.len());
                    *total += len + (prefix.len() + name.len()) as u64;
                }
            }
        }
        let mut total = 0;
        walk(&self.root, "", &mut total);
        total
    }

    fn collect(&self, dir: &Path, prefix: &str, out: &mut Vec<String>) -> io::Result<()> {
        for e in fs::read_dir(dir)? {
            let e = e?;
            let Ok(name) = e.file_name().into_string() else {
                continue; // not a name the device could have written
            };
            if e.file_type()?.is_dir() {
                self.collect(&e.path(), &format!("{prefix}{name}/"), out)?;
            } else if !is_internal(prefix, &name) {
                out.push(format!("{prefix}{name}"));
            }
        }
        Ok(())
    }
}

/// Whether `name` in the directory `prefix` is the device's own (a temporary file, the lock
/// file), not a stored name.
fn is_internal(prefix: &str, name: &str) -> bool {
    name.contains(TMP_MARK) || (prefix.is_empty() && name == LOCK_FILE)
}

/// Make a directory's entries durable (after a rename or remove in it).
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Create `dir` and its missing ancestors, fsyncing the parent of each directory created (so
/// the new entry survives a power cut). Returns the parents synced.
fn create_dirs_synced(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut synced = Vec::new();
    if dir.is_dir() {
        return Ok(synced);
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        synced = create_dirs_synced(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {
            sync_dir(parent)?;
            synced.push(parent.to_path_buf());
        }
        // Someone else made it meanwhile.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
        Err(e) => return Err(e),
    }
    Ok(synced)
}

/// Take the exclusive lock of a data directory, or say who holds it.
fn lock_dir(dir: &Path) -> Result<fs::File, String> {
    use std::os::fd::AsRawFd;
    let path = dir.join(LOCK_FILE);
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // SAFETY: flock on a descriptor this function owns.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = io::Error::last_os_error();
        return Err(if e.kind() == io::ErrorKind::WouldBlock {
            format!(
                "data directory {} is in use by another ferrite device (lock {})",
                dir.display(),
                path.display()
            )
        } else {
            format!("cannot lock {}: {e}", path.display())
        });
    }
    Ok(f)
}

impl Storage for DirStorage {
    fn read(&mut self, name: &str) -> BoardResult<Option<Vec<u8>>> {
        let p = self.path(name)?;
        match fs::read(&p) {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            // A directory of that name (`scripts` when asked for a file) is not a file.
            Err(_) if p.is_dir() => Ok(None),
            Err(e) => Err(failed("reading", name, e)),
        }
    }

    fn size(&mut self, name: &str) -> BoardResult<Option<u64>> {
        let p = self.path(name)?;
        match fs::metadata(&p) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(failed("reading", name, e)),
        }
    }

    fn write(&mut self, name: &str, data: &[u8]) -> BoardResult<()> {
        let p = self.path(name)?;
        let old = fs::metadata(&p).map_or(0, |m| m.len() + name.len() as u64);
        let new = data.len() as u64 + name.len() as u64;
        if self.capacity > 0 && self.used().saturating_sub(old) + new > self.capacity {
            return Err(BoardError::Failed(format!(
                "storage full writing {name} ({} bytes; capacity {} bytes)",
                data.len(),
                self.capacity
            )));
        }
        let dir = p.parent().unwrap_or(&self.root).to_path_buf();
        create_dirs_synced(&dir).map_err(|e| failed("creating the directory of", name, e))?;
        let file_name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!("{file_name}{TMP_MARK}{}", std::process::id()));
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &p)?;
            sync_dir(&dir)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(failed("writing", name, e));
        }
        Ok(())
    }

    fn remove(&mut self, name: &str) -> BoardResult<bool> {
        let p = self.path(name)?;
        match fs::remove_file(&p) {
            Ok(()) => {
                if let Some(dir) = p.parent() {
                    sync_dir(dir).map_err(|e| failed("removing", name, e))?;
                }
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(_) if p.is_dir() => Ok(false),
            Err(e) => Err(failed("removing", name, e)),
        }
    }

    fn list(&mut self, prefix: &str) -> BoardResult<Vec<String>> {
        let mut all = Vec::new();
        self.collect(&self.root, "", &mut all)
            .map_err(|e| failed("listing", prefix, e))?;
        all.retain(|n| n.starts_with(prefix));
        all.sort();
        Ok(all)
    }

    fn usage(&mut self) -> Option<(u64, u64)> {
        Some((self.used(), self.capacity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p = std::env::temp_dir().join(format!(
                "ferrite-storage-{tag}-{}-{:?}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            ));
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_second_open_of_the_same_directory_is_refused() {
        let t = TempDir::new("lock");
        let d = t.0.join("data");
        let s = DirStorage::with_capacity(&d, DEFAULT_CAPACITY).unwrap();
        // The first one's temporary file must survive the second attempt.
        fs::write(d.join("x.tmp-1"), b"in flight").unwrap();
        let e = DirStorage::with_capacity(&d, DEFAULT_CAPACITY)
            .err()
            .unwrap();
        assert!(e.contains("in use by another ferrite device"), "{e}");
        assert!(d.join("x.tmp-1").exists());
        drop(s);
        let mut s = DirStorage::with_capacity(&d, DEFAULT_CAPACITY).unwrap();
        // The lock file is no storage name.
        assert_eq!(s.list("").unwrap(), Vec::<String>::new());
        assert!(s.write(".ferrite-lock", b"x").is_err());
    }

    #[test]
    fn new_directories_have_their_parents_synced() {
        let t = TempDir::new("dirsync");
        let root = t.0.join("data");
        let synced = create_dirs_synced(&root.join("a/b")).unwrap_or_default();
        assert!(root.join("a/b").is_dir());
        let tmp = t.0.parent().unwrap().to_path_buf();
        assert_eq!(synced, vec![tmp, t.0.clone(), root.clone(), root.join("a")]);
        assert_eq!(
            create_dirs_synced(&root.join("a/b")).unwrap(),
            Vec::<PathBuf>::new()
        );
    }

    #[test]
    fn write_read_list_remove() {
        let t = TempDir::new("basic");
        let mut s = DirStorage::with_capacity(&t.0.join("data"), DEFAULT_CAPACITY).unwrap();
        assert_eq!(s.read("scripts/1.js").unwrap(), None);
        s.write("scripts/1.js", b"print(1)").unwrap();
        s.write("scripts/1.json", b"{}").unwrap();
        s.write("kvs/k/6162", b"x").unwrap();
        s.write("top", b"").unwrap();
        assert_eq!(
            s.read("scripts/1.js").unwrap().as_deref(),
            Some(&b"print(1)"[..])
        );
        assert_eq!(s.read("top").unwrap().as_deref(), Some(&b""[..]));
        assert_eq!(
            s.list("scripts/").unwrap(),
            vec!["scripts/1.js".to_string(), "scripts/1.json".to_string()]
        );
        assert_eq!(s.list("").unwrap().len(), 4);
        s.write("scripts/1.js", b"print(2)").unwrap();
        assert_eq!(
            s.read("scripts/1.js").unwrap().as_deref(),
            Some(&b"print(2)"[..])
        );
        assert!(s.remove("scripts/1.js").unwrap());
        assert!(!s.remove("scripts/1.js").unwrap());
        assert_eq!(s.read("scripts/1.js").unwrap(), None);
        // A directory is not a file.
        assert_eq!(s.read("scripts").unwrap(), None);
        // The content survives reopening.
        drop(s);
        let mut s2 = DirStorage::with_capacity(&t.0.join("data"), DEFAULT_CAPACITY).unwrap();
        assert_eq!(s2.read("kvs/k/6162").unwrap().as_deref(), Some(&b"x"[..]));
    }

    #[test]
    fn bad_names_are_rejected() {
        let t = TempDir::new("names");
        let mut s = DirStorage::with_capacity(&t.0, DEFAULT_CAPACITY).unwrap();
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "a/",
            "nul\0byte",
            "a\\b",
            "x.tmp-12",
        ] {
            assert!(
                matches!(s.write(bad, b"x"), Err(BoardError::InvalidArgument(_))),
                "{bad:?} was accepted"
            );
            assert!(s.read(bad).is_err(), "{bad:?} was readable");
        }
        assert_eq!(s.list("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn stale_temporaries_are_ignored_and_removed() {
        let t = TempDir::new("tmp");
        let mut s = DirStorage::with_capacity(&t.0, DEFAULT_CAPACITY).unwrap();
        s.write("scripts/1.js", b"old").unwrap();
        // A process died after writing its temporary file, before the rename.
        fs::write(t.0.join("scripts/1.js.tmp-999999"), b"half-written").unwrap();
        assert_eq!(s.list("").unwrap(), vec!["scripts/1.js".to_string()]);
        assert_eq!(
            s.read("scripts/1.js").unwrap().as_deref(),
            Some(&b"old"[..])
        );
        drop(s);
        let _ = DirStorage::with_capacity(&t.0, DEFAULT_CAPACITY).unwrap();
        assert!(!t.0.join("scripts/1.js.tmp-999999").exists());
    }

    #[test]
    fn usage_and_capacity() {
        let t = TempDir::new("cap");
        let mut s = DirStorage::with_capacity(&t.0, 100).unwrap();
        assert_eq!(s.usage(), Some((0, 100)));
        s.write("a", &[0; 50]).unwrap();
        assert_eq!(s.usage(), Some((51, 100)));
        // Rewriting counts the new size instead of the old one.
        s.write("a", &[0; 90]).unwrap();
        assert!(s.write("b", &[0; 20]).is_err());
        assert_eq!(s.read("b").unwrap(), None);
        s.write("a", &[0; 10]).unwrap();
        s.write("b", &[0; 20]).unwrap();
        assert_eq!(s.usage(), Some((11 + 21, 100)));
    }
}
