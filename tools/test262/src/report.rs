//! Tables and figures: per directory (two levels under `test/`), per top-level area, overall
//! (every test, unselected ones counting as not passed) and for tests tagged `es5id`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::known::Failure;
use crate::select::{self, Skip};

pub struct TestResult {
    /// Relative to the suite's `test/` directory.
    pub path: String,
    pub es5id: bool,
    /// `Some` if the test was not run.
    pub skip: Option<Skip>,
    pub failure: Option<Failure>,
    pub reason: Option<String>,
    /// What the test printed (kept for failures only).
    pub output: String,
    pub millis: u32,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.skip.is_none() && self.failure.is_none()
    }
}

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Stats {
    pub tests: usize,
    pub selected: usize,
    pub passed: usize,
}

impl Stats {
    fn add(&mut self, r: &TestResult) {
        self.tests += 1;
        self.selected += r.skip.is_none() as usize;
        self.passed += r.passed() as usize;
    }
}

pub fn percent(n: usize, d: usize) -> String {
    if d == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / d as f64)
    }
}

pub struct Report {
    pub groups: BTreeMap<String, Stats>,
    /// `language`, `built-ins`, … (first path component).
    pub areas: BTreeMap<String, Stats>,
    pub total: Stats,
    /// Over tests tagged `es5id` (tests: all such tests; passed: those that passed).
    pub es5id: Stats,
    /// How many tests each reason kept out (by feature name, flag, …).
    pub skips: BTreeMap<String, usize>,
}

impl Report {
    pub fn new(results: &[TestResult]) -> Report {
        let mut report = Report {
            groups: BTreeMap::new(),
            areas: BTreeMap::new(),
            total: Stats::default(),
            es5id: Stats::default(),
            skips: BTreeMap::new(),
        };
        for r in results {
            report
                .groups
                .entry(select::group_of(&r.path).to_string())
                .or_default()
                .add(r);
            let area = r.path.split('/').next().unwrap_or("");
            report.areas.entry(area.to_string()).or_default().add(r);
            report.total.add(r);
            if r.es5id {
                report.es5id.add(r);
            }
            if let Some(skip) = &r.skip {
                *report.skips.entry(skip.to_string()).or_default() += 1;
            }
        }
        report
    }

    fn rows(&self) -> Vec<[String; 5]> {
        let row = |name: &str, s: &Stats| {
            [
                name.to_string(),
                s.tests.to_string(),
                s.selected.to_string(),
                s.passed.to_string(),
                percent(s.passed, s.selected),
            ]
        };
        let mut rows: Vec<[String; 5]> = self.groups.iter().map(|(g, s)| row(g, s)).collect();
        for (area, s) in &self.areas {
            rows.push(row(&format!("{area} (total)"), s));
        }
        rows.push(row("all (total)", &self.total));
        rows
    }

    const HEADER: [&'static str; 5] = ["directory", "tests", "selected", "passed", "% of selected"];

    pub fn text_table(&self) -> String {
        let rows = self.rows();
        let mut widths = Self::HEADER.map(str::len);
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let line = |cells: &[&str], out: &mut String| {
            for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
                if i == 0 {
                    out.push_str(&format!("{c:<w$}"));
                } else {
                    out.push_str(&format!("  {c:>w$}"));
                }
            }
            out.push('\n');
        };
        line(&Self::HEADER, &mut out);
        let sep: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(
            &sep.iter().map(String::as_str).collect::<Vec<_>>(),
            &mut out,
        );
        let mut in_totals = false;
        for r in &rows {
            let is_total = r[0].ends_with("(total)");
            if is_total && (!in_totals || r[0] == "all (total)") {
                line(
                    &sep.iter().map(String::as_str).collect::<Vec<_>>(),
                    &mut out,
                );
            }
            in_totals |= is_total;
            line(&r.iter().map(String::as_str).collect::<Vec<_>>(), &mut out);
        }
        out
    }

    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (area, s) in &self.areas {
            out.push_str(&format!(
                "test/{area} (selected): {}/{} passed ({})\n",
                s.passed,
                s.selected,
                percent(s.passed, s.selected)
            ));
        }
        let t = &self.total;
        out.push_str(&format!(
            "selected: {}/{} passed ({})\n",
            t.passed,
            t.selected,
            percent(t.passed, t.selected)
        ));
        out.push_str(&format!(
            "overall (every test, unselected = not passed): {}/{} ({})\n",
            t.passed,
            t.tests,
            percent(t.passed, t.tests)
        ));
        out.push_str(&format!(
            "es5id: {}/{} ({})",
            self.es5id.passed,
            self.es5id.tests,
            percent(self.es5id.passed, self.es5id.tests)
        ));
        out
    }

    pub fn top_skips(&self, n: usize) -> String {
        let mut skips: Vec<(&String, &usize)> = self.skips.iter().collect();
        skips.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let parts: Vec<String> = skips
            .iter()
            .take(n)
            .map(|(reason, count)| format!("{reason} ({count})"))
            .collect();
        let skipped: usize = self.skips.values().sum();
        format!(
            "not selected: {skipped}; most common reasons: {}",
            parts.join(", ")
        )
    }

    pub fn markdown(&self, mode: &str) -> String {
        let mut out = String::new();
        out.push_str(&format!("| {} |\n", Self::HEADER.join(" | ")));
        out.push_str("|:--|--:|--:|--:|--:|\n");
        for r in self.rows() {
            let name = if r[0].ends_with("(total)") {
                format!("**{}**", r[0])
            } else {
                format!("`{}`", r[0])
            };
            out.push_str(&format!(
                "| {name} | {} | {} | {} | {} |\n",
                r[1], r[2], r[3], r[4]
            ));
        }
        out.push('\n');
        for line in self.summary().lines() {
            out.push_str(&format!("- {line}\n"));
        }
        out.push_str(&format!("- mode: {mode}\n"));
        out
    }
}

pub const MD_START: &str = "<!-- test262-results:start -->";
pub const MD_END: &str = "<!-- test262-results:end -->";

/// Write the markdown table to `path`: between the markers if the file has them, else the
/// whole file.
pub fn write_markdown(path: &Path, report: &Report, mode: &str) -> std::io::Result<()> {
    let table = report.markdown(mode);
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (existing.find(MD_START), existing.find(MD_END)) {
        (Some(s), Some(e)) if s < e => {
            format!("{}{MD_START}\n{table}{}", &existing[..s], &existing[e..])
        }
        _ => table,
    };
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(path: &str, skip: bool, fail: bool, es5id: bool) -> TestResult {
        TestResult {
            path: path.into(),
            es5id,
            skip: skip.then(|| Skip::Feature("Proxy".into())),
            failure: fail.then_some(Failure::Fails),
            reason: None,
            output: String::new(),
            millis: 0,
        }
    }

    #[test]
    fn figures() {
        let results = [
            r("built-ins/Array/a.js", false, false, true),
            r("built-ins/Array/b.js", false, true, true),
            r("built-ins/Proxy/c.js", true, false, true),
            r("language/expressions/d.js", false, false, false),
        ];
        let rep = Report::new(&results);
        assert_eq!(
            rep.groups["built-ins/Array"],
            Stats {
                tests: 2,
                selected: 2,
                passed: 1
            }
        );
        assert_eq!(
            rep.areas["language"],
            Stats {
                tests: 1,
                selected: 1,
                passed: 1
            }
        );
        assert_eq!(
            rep.total,
            Stats {
                tests: 4,
                selected: 3,
                passed: 2
            }
        );
        assert_eq!(
            rep.es5id,
            Stats {
                tests: 3,
                selected: 2,
                passed: 1
            }
        );
        let s = rep.summary();
        assert!(
            s.contains("overall (every test, unselected = not passed): 2/4 (50.0%)"),
            "{s}"
        );
        assert!(s.contains("es5id: 1/3 (33.3%)"), "{s}");
        assert!(rep.text_table().contains("built-ins/Proxy"));
        assert!(rep
            .markdown("x")
            .contains("| `built-ins/Array` | 2 | 2 | 1 | 50.0% |"));
        assert_eq!(rep.skips["feature Proxy"], 1);
    }
}
