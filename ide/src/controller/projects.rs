//! Project actions: edits (journal + autosave), new/rename/delete of projects and files,
//! import/export, share links, the examples gallery and HTTP mocks. Every change goes through
//! `Workspace`'s methods and is then persisted; the editor follows the workspace (see
//! `components::editor_pane`), except for renames and deletions of models, done here.

use ferrite_ide_core::examples::Example;
use ferrite_ide_core::project::Project;
use ferrite_ide_core::protocol::{HttpMock, ToWorker};
use ferrite_ide_core::share;
use leptos::prelude::*;

use super::{Ctx, Dialog};
use crate::editor::monaco;
use crate::state::workspace::Workspace;
use crate::store::idb::Meta;
use crate::store::journal;
use crate::util::dom;

/// Code of a new project's first file.
const NEW_PROJECT_CODE: &str = "// A new project: press Run (Ctrl+Enter).\nprint(\"Hello\");\n";

impl Ctx {
    /// The user typed in the editor (`file`'s whole text).
    pub fn on_edit(&self, file: &str, text: &str) {
        let now = dom::now_ms();
        let changed = self
            .ws
            .try_update(|w| w.edit(file, text, now))
            .unwrap_or(false);
        if !changed {
            return;
        }
        let active = self
            .ws
            .try_with_untracked(|w| w.active.clone())
            .unwrap_or_default();
        journal::write(&journal::Entry {
            project: active,
            file: file.to_string(),
            text: text.to_string(),
            ms: now,
        });
        self.save_active();
        self.schedule_lint();
    }

    /// Queue the active stored project for saving.
    fn save_active(&self) {
        let project = self
            .ws
            .try_with_untracked(|w| {
                if w.read_only() {
                    None
                } else {
                    w.project(&w.active).cloned()
                }
            })
            .flatten();
        if let (Some(p), Some(saver)) = (project, self.saver()) {
            saver.put(&p);
        }
    }

    /// Remember the open project and file.
    fn save_meta(&self) {
        let meta = self
            .ws
            .try_with_untracked(|w| Meta {
                project: w.active.clone(),
                file: w.open_file.clone(),
            })
            .unwrap_or_default();
        if let Some(saver) = self.saver() {
            saver.meta(meta);
        }
    }

    /// Ctrl+S: write now and say "Saved" when it is durable.
    pub fn save_now(&self) {
        if self.viewing_shared() {
            self.notice("Shared project: use Save a copy to keep it");
            return;
        }
        self.save_active();
        if let Some(saver) = self.saver() {
            saver.flush();
        }
    }

    fn report(&self, result: Result<(), String>) {
        if let Err(e) = result {
            dom::alert(&e);
        }
    }

    pub fn select_project(&self, id: &str) {
        let left_shared = self.viewing_shared();
        if self
            .ws
            .try_update(|w| w.select_project(id))
            .unwrap_or(false)
        {
            if left_shared {
                dom::clear_fragment();
            }
            self.save_meta();
            self.lint_now();
        }
    }

    /// A shared project is shown (read-only). Callers about to leave it clear its link from the
    /// address bar too (a reload would open it again instead of the user's project).
    fn viewing_shared(&self) -> bool {
        self.ws
            .try_with_untracked(|w| w.shared.is_some())
            .unwrap_or(false)
    }

    pub fn select_file(&self, name: &str) {
        if self.ws.try_update(|w| w.select_file(name)).unwrap_or(false) {
            self.save_meta();
            self.lint_now();
        }
    }

    /// Add `project` as a new stored project and open it.
    pub fn add_project(&self, project: Project) {
        let id = dom::new_id();
        let now = dom::now_ms();
        if self.viewing_shared() {
            dom::clear_fragment();
        }
        self.ws.try_update(|w| w.add_project(project, id, now));
        self.save_active();
        self.save_meta();
        self.lint_now();
    }

    pub fn new_project(&self) {
        let name = self
            .ws
            .try_with_untracked(|w| w.unused_project_name("Project"))
            .unwrap_or_else(|| "Project".into());
        self.add_project(Project::new("", &name, "main.js", NEW_PROJECT_CODE));
    }

    pub fn rename_project(&self, id: &str) {
        let Some(old) = self.project_name(id) else {
            return;
        };
        let Some(name) = dom::prompt("Rename the project:", &old) else {
            return;
        };
        let now = dom::now_ms();
        let result = self
            .ws
            .try_update(|w| w.rename_project(id, &name, now))
            .unwrap_or(Ok(()));
        if result.is_ok() {
            self.save_project(id);
        }
        self.report(result);
    }

    /// The name of stored project `id`.
    fn project_name(&self, id: &str) -> Option<String> {
        self.ws
            .try_with_untracked(|w| w.project(id).map(|p| p.name.clone()))
            .flatten()
    }

    fn save_project(&self, id: &str) {
        let p = self
            .ws
            .try_with_untracked(|w| w.project(id).cloned())
            .flatten();
        if let (Some(p), Some(saver)) = (p, self.saver()) {
            saver.put(&p);
        }
    }

    pub fn delete_project(&self, id: &str) {
        let Some(name) = self.project_name(id) else {
            return;
        };
        if !dom::confirm(&format!("Delete the project \"{name}\" and its files?")) {
            return;
        }
        let was_active = self
            .ws
            .try_with_untracked(|w| w.active == id)
            .unwrap_or(false);
        self.ws.try_update(|w| w.delete_project(id));
        if let Some(saver) = self.saver() {
            saver.delete(id);
        }
        let empty = self
            .ws
            .try_with_untracked(|w| w.projects.is_empty())
            .unwrap_or(false);
        if empty {
            self.add_project(first_project());
        } else if was_active {
            self.save_meta();
            self.lint_now();
        }
    }

    pub fn new_file(&self) {
        let now = dom::now_ms();
        let result = self.ws.try_update(|w| w.add_file(now).map(|_| ()));
        match result {
            Some(Ok(())) => {
                self.save_active();
                self.save_meta();
                self.lint_now();
            }
            Some(Err(e)) => dom::alert(&e),
            None => {}
        }
    }

    pub fn rename_file(&self, from: &str) {
        let Some(to) = dom::prompt(&format!("Rename {from} to:"), from) else {
            return;
        };
        let to = to.trim().to_string();
        let now = dom::now_ms();
        let result = self
            .ws
            .try_update(|w| w.rename_file(from, &to, now))
            .unwrap_or(Ok(()));
        if result.is_ok() && from != to {
            monaco::rename(from, &to);
            self.save_active();
            self.save_meta();
        }
        self.report(result);
    }

    pub fn delete_file(&self, name: &str) {
        if !dom::confirm(&format!("Delete {name}?")) {
            return;
        }
        let now = dom::now_ms();
        let result = self
            .ws
            .try_update(|w| w.delete_file(name, now))
            .unwrap_or(Ok(()));
        if result.is_ok() {
            monaco::remove(name);
            self.save_active();
            self.save_meta();
            self.lint_now();
        }
        self.report(result);
    }

    /// Import an export file's text as a new project.
    pub fn import(&self, text: &str) {
        match Project::from_export(text) {
            Ok(p) => self.add_project(p),
            Err(e) => dom::alert(&format!("Cannot import: {e}")),
        }
    }

    /// A copy of the project shown (the shared one, or the active stored one).
    fn shown_project(&self) -> Option<Project> {
        self.ws
            .try_with_untracked(|w| w.current().cloned())
            .flatten()
    }

    /// Download the shown project as `<name>.ferrite.json`.
    pub fn export(&self) {
        let Some(p) = self.shown_project() else {
            return;
        };
        let result = dom::download(
            &format!("{}.ferrite.json", p.name),
            &p.to_export(),
            "application/json",
        );
        self.report(result);
    }

    /// Open the share dialog with a link to the shown project.
    pub fn share(&self) {
        let Some(p) = self.shown_project() else {
            return;
        };
        let url = format!("{}#share={}", dom::page_url(), share::encode(&p));
        self.dialog.try_set(Dialog::Share(url));
    }

    /// Open a share link's fragment payload read-only (nothing runs).
    pub fn open_shared(&self, payload: &str) {
        match share::decode(payload) {
            Ok(p) => {
                self.share_error.try_set(None);
                self.ws.try_update(|w| w.view_shared(p));
                self.lint_now();
            }
            Err(e) => {
                self.share_error.try_set(Some(e));
            }
        }
    }

    /// Store the shared project as a new editable project.
    pub fn save_shared_copy(&self) {
        let id = dom::new_id();
        let now = dom::now_ms();
        if self
            .ws
            .try_update(|w| w.save_shared_copy(id, now))
            .unwrap_or(false)
        {
            dom::clear_fragment();
            self.save_active();
            self.save_meta();
        }
    }

    pub fn dismiss_share_error(&self) {
        self.share_error.try_set(None);
        dom::clear_fragment();
    }

    /// Create a project from a gallery example and open it.
    pub fn open_example(&self, example: &Example) {
        let p = example.project("");
        self.dialog.try_set(Dialog::None);
        self.add_project(p);
    }

    /// Replace the HTTP mocks (saved; sent to a running device).
    pub fn set_mocks(&self, mocks: Vec<HttpMock>) {
        let now = dom::now_ms();
        let changed = self
            .ws
            .try_update(|w| w.set_mocks(mocks.clone(), now))
            .unwrap_or(false);
        if !changed {
            return;
        }
        self.save_active();
        // Harmless when nothing runs (the next Run carries the mocks anyway); not checking
        // "running" here means a status that lags behind the worker cannot lose an edit.
        self.send(&ToWorker::SetHttpMocks { mocks });
    }
}

/// The project a first start (or deleting the last project) creates.
pub fn first_project() -> Project {
    Project::new(
        "",
        crate::state::workspace::FIRST_PROJECT,
        "main.js",
        crate::state::workspace::HELLO_WORLD,
    )
}

/// Apply the journal when it is newer than what the store holds for its file.
pub fn apply_journal(projects: &mut [Project], entry: Option<journal::Entry>) {
    let Some(e) = entry else { return };
    let Some(p) = projects.iter_mut().find(|p| p.id == e.project) else {
        return;
    };
    if e.ms <= p.modified_ms {
        return;
    }
    if let Some(f) = p.file_mut(&e.file) {
        if f.code != e.text {
            f.code = e.text;
            p.modified_ms = e.ms;
        }
    }
}

/// Make the loaded workspace (the shared project, if any, is opened by the caller).
pub fn workspace_from(projects: Vec<Project>, meta: Option<Meta>) -> Workspace {
    Workspace::from_loaded(projects, meta.map(|m| (m.project, m.file)))
}

impl Ctx {
    /// Open `file` in the editor and put the cursor at `line:col` (a console link).
    pub fn reveal(&self, file: &str, line: u32, col: u32) {
        self.select_file(file);
        let text = self
            .ws
            .try_with_untracked(|w| {
                w.current()
                    .and_then(|p| p.file(file))
                    .map(|f| f.code.clone())
            })
            .flatten();
        if let Some(text) = text {
            monaco::open(file, &text);
            monaco::reveal(line.max(1), col.max(1));
        }
    }
}

impl Ctx {
    /// Put `code` into file `name` of the open project and show it (a script fetched from a
    /// device). Replacing a file whose text differs asks first.
    pub fn put_file(&self, name: &str, code: &str) {
        let differs = self
            .ws
            .try_with_untracked(|w| {
                w.current()
                    .and_then(|p| p.file(name))
                    .is_some_and(|f| f.code != code)
            })
            .unwrap_or(false);
        if differs && !dom::confirm(&format!("Replace {name} with the device's copy?")) {
            return;
        }
        let now = dom::now_ms();
        let result = self
            .ws
            .try_update(|w| w.put_file(name, code, now))
            .unwrap_or(Ok(()));
        if result.is_ok() {
            monaco::open(name, code);
            self.save_active();
            self.save_meta();
            self.lint_now();
        }
        self.report(result);
    }
}
