//! A project: named scripts that run together on one device, as the IDE keeps them (IndexedDB),
//! exports them (a `.json` file) and shares them (a link, see [`crate::share`]).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::protocol::HttpMock;

/// One script of a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectFile {
    /// `main.js`; unique within the project.
    pub name: String,
    pub code: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Stable key in the browser's store (not part of what is shared).
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub files: Vec<ProjectFile>,
    /// The simulator's answers to the scripts' HTTP requests.
    #[serde(default)]
    pub http_mocks: Vec<HttpMock>,
    /// Milliseconds since the Unix epoch of the last change.
    #[serde(default)]
    pub modified_ms: f64,
}

/// Limits a project from outside (an import, a share link) must keep.
pub const MAX_FILES: usize = 64;
/// Per file: the device's own script size limit is smaller; this only bounds what we store.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
pub const MAX_NAME_BYTES: usize = 128;
pub const MAX_MOCKS: usize = 64;

impl Project {
    /// A project with one file.
    pub fn new(id: &str, name: &str, file: &str, code: &str) -> Project {
        Project {
            id: id.to_string(),
            name: name.to_string(),
            files: alloc::vec![ProjectFile {
                name: file.to_string(),
                code: code.to_string(),
            }],
            http_mocks: Vec::new(),
            modified_ms: 0.0,
        }
    }

    pub fn file(&self, name: &str) -> Option<&ProjectFile> {
        self.files.iter().find(|f| f.name == name)
    }

    pub fn file_mut(&mut self, name: &str) -> Option<&mut ProjectFile> {
        self.files.iter_mut().find(|f| f.name == name)
    }

    /// Check a project that came from outside; the error says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.len() > MAX_NAME_BYTES {
            return Err(alloc::format!(
                "project name longer than {MAX_NAME_BYTES} bytes"
            ));
        }
        if self.files.is_empty() {
            return Err("the project has no files".into());
        }
        if self.files.len() > MAX_FILES {
            return Err(alloc::format!("more than {MAX_FILES} files"));
        }
        if self.http_mocks.len() > MAX_MOCKS {
            return Err(alloc::format!("more than {MAX_MOCKS} HTTP mocks"));
        }
        for (i, f) in self.files.iter().enumerate() {
            valid_file_name(&f.name)?;
            if f.code.len() > MAX_FILE_BYTES {
                return Err(alloc::format!(
                    "{} is larger than {MAX_FILE_BYTES} bytes",
                    f.name
                ));
            }
            if self.files[..i].iter().any(|g| g.name == f.name) {
                return Err(alloc::format!("two files are named {}", f.name));
            }
        }
        Ok(())
    }

    /// A file name not yet used: `script.js`, `script-2.js`, … .
    pub fn unused_name(&self, stem: &str) -> String {
        let mut n = 1;
        loop {
            let name = if n == 1 {
                alloc::format!("{stem}.js")
            } else {
                alloc::format!("{stem}-{n}.js")
            };
            if self.file(&name).is_none() {
                return name;
            }
            n += 1;
        }
    }

    /// The project as a `.json` export file.
    pub fn to_export(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Read an export file (or any JSON of this shape), validated.
    pub fn from_export(text: &str) -> Result<Project, String> {
        let p: Project = serde_json::from_str(text)
            .map_err(|e| alloc::format!("not a Ferrite project file: {e}"))?;
        p.validate()?;
        Ok(p)
    }
}

/// A script file name: 1..=64 bytes of letters, digits, `-`, `_`, `.`, not starting with `.`.
pub fn valid_file_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(alloc::format!(
            "file name {name:?}: use 1 to 64 letters, digits, '-', '_' or '.'"
        ))
    }
}
