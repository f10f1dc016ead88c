//! The projects the IDE holds and what is open: a plain struct, changed only through its
//! methods (which keep its invariants: at least one project, the open file exists, names are
//! valid and unique). It never touches the browser: persistence and the editor follow it.

use ferrite_ide_core::project::{valid_file_name, Project, ProjectFile, MAX_NAME_BYTES};

/// The hello-world a first start gets.
pub const HELLO_WORLD: &str = r#"// Runs on the simulated device: press Run (Ctrl+Enter).
print("Hello from Ferrite!");

let count = 0;
Timer.set(1000, true, function () {
  count++;
  print("tick", count);
});
"#;

/// The name of the project a first start creates.
pub const FIRST_PROJECT: &str = "My first project";

/// Every project, the one open (or a shared one being viewed) and its open file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Workspace {
    /// Stored projects, in creation order.
    pub projects: Vec<Project>,
    /// Id of the active stored project.
    pub active: String,
    /// Name of the file shown in the editor.
    pub open_file: String,
    /// A project opened from a share link: shown read-only, never stored until copied.
    pub shared: Option<Project>,
    /// Counts shared projects opened (the editor recreates its models for each).
    pub shared_seq: u64,
}

impl Workspace {
    /// A workspace over loaded projects; `last` is the remembered (project id, file).
    pub fn from_loaded(projects: Vec<Project>, last: Option<(String, String)>) -> Workspace {
        let mut ws = Workspace {
            projects,
            ..Workspace::default()
        };
        if let Some((p, f)) = last {
            ws.active = p;
            ws.open_file = f;
        }
        ws.repair();
        ws
    }

    /// True while a shared project is viewed (editing is off).
    pub fn read_only(&self) -> bool {
        self.shared.is_some()
    }

    /// The project shown: the shared one, else the active stored one.
    pub fn current(&self) -> Option<&Project> {
        self.shared
            .as_ref()
            .or_else(|| self.projects.iter().find(|p| p.id == self.active))
    }

    fn active_mut(&mut self) -> Option<&mut Project> {
        let id = self.active.clone();
        self.projects.iter_mut().find(|p| p.id == id)
    }

    pub fn project(&self, id: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.id == id)
    }

    /// A key that changes whenever another project is shown (the editor's model set).
    pub fn view_key(&self) -> String {
        match &self.shared {
            Some(_) => format!("shared:{}", self.shared_seq),
            None => self.active.clone(),
        }
    }

    /// The text of the open file.
    pub fn open_text(&self) -> Option<&str> {
        self.current()
            .and_then(|p| p.file(&self.open_file))
            .map(|f| f.code.as_str())
    }

    /// Make the active project and open file exist (the first ones if the remembered are gone).
    fn repair(&mut self) {
        if !self.projects.iter().any(|p| p.id == self.active) {
            self.active = self
                .projects
                .first()
                .map(|p| p.id.clone())
                .unwrap_or_default();
        }
        let open_ok = self
            .current()
            .is_some_and(|p| p.file(&self.open_file).is_some());
        if !open_ok {
            self.open_file = self
                .current()
                .and_then(|p| p.files.first())
                .map(|f| f.name.clone())
                .unwrap_or_default();
        }
    }

    /// The user typed into file `name` of the current project. Returns whether anything
    /// changed (a shared project or an unknown file changes nothing).
    pub fn edit(&mut self, name: &str, text: &str, now_ms: f64) -> bool {
        if self.read_only() {
            return false;
        }
        let Some(p) = self.active_mut() else {
            return false;
        };
        let Some(f) = p.file_mut(name) else {
            return false;
        };
        if f.code == text {
            return false;
        }
        f.code = text.to_string();
        p.modified_ms = now_ms;
        true
    }

    /// Add a project and make it active (it opens on its first file).
    pub fn add_project(&mut self, mut project: Project, id: String, now_ms: f64) {
        project.id = id;
        project.modified_ms = now_ms;
        self.active = project.id.clone();
        self.open_file = project
            .files
            .first()
            .map(|f| f.name.clone())
            .unwrap_or_default();
        self.projects.push(project);
        self.shared = None;
        self.repair();
    }

    /// A name for a new project not used yet: `Project`, `Project 2`, … .
    pub fn unused_project_name(&self, stem: &str) -> String {
        (1..)
            .map(|n| {
                if n == 1 {
                    stem.to_string()
                } else {
                    format!("{stem} {n}")
                }
            })
            .find(|name| !self.projects.iter().any(|p| &p.name == name))
            .unwrap_or_else(|| stem.to_string())
    }

    /// Open stored project `id` (leaves a shared view).
    pub fn select_project(&mut self, id: &str) -> bool {
        if self.project(id).is_none() {
            return false;
        }
        if self.active != id || self.shared.is_some() {
            self.active = id.to_string();
            self.shared = None;
            self.open_file.clear();
            self.repair();
        }
        true
    }

    pub fn select_file(&mut self, name: &str) -> bool {
        let exists = self.current().is_some_and(|p| p.file(name).is_some());
        if exists {
            self.open_file = name.to_string();
        }
        exists
    }

    pub fn rename_project(&mut self, id: &str, name: &str, now_ms: f64) -> Result<(), String> {
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_NAME_BYTES {
            return Err(format!("a project name has 1 to {MAX_NAME_BYTES} bytes"));
        }
        let p = self
            .projects
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or("no such project")?;
        p.name = name.to_string();
        p.modified_ms = now_ms;
        Ok(())
    }

    /// Delete stored project `id`. Returns the removed project; the workspace never becomes
    /// empty by itself: the caller adds a fresh one when it is.
    pub fn delete_project(&mut self, id: &str) -> Option<Project> {
        let i = self.projects.iter().position(|p| p.id == id)?;
        let removed = self.projects.remove(i);
        if self.active == id {
            self.open_file.clear();
        }
        self.repair();
        Some(removed)
    }

    /// Add an empty file to the active project; returns its name.
    pub fn add_file(&mut self, now_ms: f64) -> Result<String, String> {
        if self.read_only() {
            return Err("a shared project is read-only: save a copy first".into());
        }
        let p = self.active_mut().ok_or("no project is open")?;
        if p.files.len() >= ferrite_ide_core::project::MAX_FILES {
            return Err(format!(
                "a project has at most {} files",
                ferrite_ide_core::project::MAX_FILES
            ));
        }
        let name = p.unused_name("script");
        p.files.push(ProjectFile {
            name: name.clone(),
            code: String::new(),
        });
        p.modified_ms = now_ms;
        self.open_file = name.clone();
        Ok(name)
    }

    /// Write file `name` of the active project (created if missing, within the file limit)
    /// and open it: a script fetched from a device.
    pub fn put_file(&mut self, name: &str, code: &str, now_ms: f64) -> Result<(), String> {
        if self.read_only() {
            return Err("a shared project is read-only: save a copy first".into());
        }
        valid_file_name(name)?;
        let p = self.active_mut().ok_or("no project is open")?;
        match p.file_mut(name) {
            Some(f) => f.code = code.to_string(),
            None => {
                if p.files.len() >= ferrite_ide_core::project::MAX_FILES {
                    return Err(format!(
                        "a project has at most {} files",
                        ferrite_ide_core::project::MAX_FILES
                    ));
                }
                p.files.push(ProjectFile {
                    name: name.to_string(),
                    code: code.to_string(),
                });
            }
        }
        p.modified_ms = now_ms;
        self.open_file = name.to_string();
        Ok(())
    }

    pub fn rename_file(&mut self, from: &str, to: &str, now_ms: f64) -> Result<(), String> {
        if self.read_only() {
            return Err("a shared project is read-only: save a copy first".into());
        }
        let to = to.trim();
        valid_file_name(to)?;
        let p = self.active_mut().ok_or("no project is open")?;
        if from == to {
            return Ok(());
        }
        if p.file(to).is_some() {
            return Err(format!("there is already a file named {to}"));
        }
        let f = p.file_mut(from).ok_or_else(|| format!("no file {from}"))?;
        f.name = to.to_string();
        p.modified_ms = now_ms;
        if self.open_file == from {
            self.open_file = to.to_string();
        }
        Ok(())
    }

    pub fn delete_file(&mut self, name: &str, now_ms: f64) -> Result<(), String> {
        if self.read_only() {
            return Err("a shared project is read-only: save a copy first".into());
        }
        let p = self.active_mut().ok_or("no project is open")?;
        if p.files.len() <= 1 {
            return Err("a project keeps at least one file".into());
        }
        let i = p
            .files
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| format!("no file {name}"))?;
        p.files.remove(i);
        p.modified_ms = now_ms;
        self.repair();
        Ok(())
    }

    /// Replace the active project's HTTP mocks.
    pub fn set_mocks(
        &mut self,
        mocks: Vec<ferrite_ide_core::protocol::HttpMock>,
        now_ms: f64,
    ) -> bool {
        if self.read_only() {
            return false;
        }
        let Some(p) = self.active_mut() else {
            return false;
        };
        if p.http_mocks == mocks {
            return false;
        }
        p.http_mocks = mocks;
        p.modified_ms = now_ms;
        true
    }

    /// View a project from a share link (read-only).
    pub fn view_shared(&mut self, project: Project) {
        self.open_file = project
            .files
            .first()
            .map(|f| f.name.clone())
            .unwrap_or_default();
        self.shared = Some(project);
        self.shared_seq += 1;
    }

    /// Store the shared project as a new project (editable); returns whether there was one.
    pub fn save_shared_copy(&mut self, id: String, now_ms: f64) -> bool {
        let Some(p) = self.shared.take() else {
            return false;
        };
        let open = self.open_file.clone();
        self.add_project(p, id, now_ms);
        self.select_file(&open);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> Workspace {
        let mut ws = Workspace::default();
        ws.add_project(
            Project::new("", FIRST_PROJECT, "main.js", HELLO_WORLD),
            "p1".into(),
            1.0,
        );
        ws
    }

    #[test]
    fn edits_change_the_open_project_only_when_not_shared() {
        let mut w = ws();
        assert!(w.edit("main.js", "x", 2.0));
        assert_eq!(w.open_text(), Some("x"));
        assert!(!w.edit("main.js", "x", 3.0));
        w.view_shared(Project::new("", "S", "a.js", "a"));
        assert!(!w.edit("a.js", "b", 4.0));
        assert_eq!(w.open_text(), Some("a"));
        assert!(w.save_shared_copy("p2".into(), 5.0));
        assert!(w.edit("a.js", "b", 6.0));
        assert_eq!(w.projects.len(), 2);
    }

    #[test]
    fn a_device_script_is_put_into_the_project_and_opened() {
        let mut w = ws();
        w.put_file("blink.js", "print(1)", 2.0).unwrap();
        assert_eq!(w.open_file, "blink.js");
        assert_eq!(w.open_text(), Some("print(1)"));
        w.put_file("main.js", "print(2)", 3.0).unwrap();
        assert_eq!(w.open_text(), Some("print(2)"));
        assert_eq!(w.current().unwrap().files.len(), 2);
        assert!(w.put_file("../x", "", 4.0).is_err());
        w.view_shared(Project::new("", "S", "a.js", "a"));
        assert!(w.put_file("b.js", "", 5.0).is_err());
    }

    #[test]
    fn files_keep_unique_valid_names_and_at_least_one() {
        let mut w = ws();
        let n = w.add_file(2.0).unwrap();
        assert_eq!(n, "script.js");
        assert!(w.rename_file("script.js", "main.js", 3.0).is_err());
        assert!(w.rename_file("script.js", "bad name", 3.0).is_err());
        w.rename_file("script.js", "lib.js", 3.0).unwrap();
        assert_eq!(w.open_file, "lib.js");
        w.delete_file("lib.js", 4.0).unwrap();
        assert_eq!(w.open_file, "main.js");
        assert!(w.delete_file("main.js", 5.0).is_err());
    }

    #[test]
    fn deleting_the_active_project_opens_another() {
        let mut w = ws();
        w.add_project(Project::new("", "B", "b.js", ""), "p2".into(), 2.0);
        assert_eq!(w.active, "p2");
        w.delete_project("p2");
        assert_eq!(w.active, "p1");
        assert_eq!(w.open_file, "main.js");
        assert_eq!(w.unused_project_name(FIRST_PROJECT), "My first project 2");
    }
}
