//! The known-failures list (`tools/test262/known-failures.txt`) and the diff against a run.
//!
//! Each line is a test path relative to the suite's `test/` directory, optionally followed by
//! ` [strict]` when only the strict-mode run fails (recorded by `--both-modes` runs). Lines
//! starting with `#` and blank lines are ignored. The file is kept sorted.

use std::collections::{BTreeMap, BTreeSet};

pub const STRICT_SUFFIX: &str = " [strict]";

/// The failure entry of a test after a run, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The test fails in its primary mode (non-strict, or its only mode).
    Fails,
    /// Only the extra strict-mode run (`--both-modes`) fails.
    StrictOnly,
}

pub fn entry(path: &str, failure: Failure) -> String {
    match failure {
        Failure::Fails => path.to_string(),
        Failure::StrictOnly => format!("{path}{STRICT_SUFFIX}"),
    }
}

/// Split an entry into its path and whether it is a `[strict]` entry.
pub fn split_entry(entry: &str) -> (&str, bool) {
    match entry.strip_suffix(STRICT_SUFFIX) {
        Some(path) => (path, true),
        None => (entry, false),
    }
}

pub fn parse(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

pub fn render(entries: &BTreeSet<String>) -> String {
    let mut out = String::from(
        "# test262 tests (paths relative to test/) that currently fail among the selected tests.\n\
         # Maintained by `cargo run --release -p ferrite-test262 -- --update`; ` [strict]` marks\n\
         # tests whose strict-mode run alone fails (only checked with --both-modes).\n",
    );
    for e in entries {
        out.push_str(e);
        out.push('\n');
    }
    out
}

/// The outcome of comparing a run with the known-failures list.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Listed as failing, but passed (entries).
    pub new_passes: Vec<String>,
    /// Failing, but not listed (entries).
    pub new_failures: Vec<String>,
    /// Listed entries within the run's scope for tests that were not run (deleted or no longer
    /// selected).
    pub stale: Vec<String>,
    /// The list to write with `--update`.
    pub updated: BTreeSet<String>,
}

/// Compare.
///
/// - `known`: the current list.
/// - `results`: every test that ran: path → its failure (None = passed).
/// - `in_scope`: is a path inside this run's filters/slice? Entries outside are neither
///   compared nor touched by `--update`.
/// - `both_modes`: whether the strict-mode run of non-flagged tests happened (otherwise
///   ` [strict]` entries can be neither confirmed nor refuted, and are kept).
pub fn diff(
    known: &BTreeSet<String>,
    results: &BTreeMap<String, Option<Failure>>,
    in_scope: &dyn Fn(&str) -> bool,
    both_modes: bool,
) -> Diff {
    let mut d = Diff::default();
    // Known entries grouped by path.
    let mut by_path: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    for e in known {
        let (path, strict) = split_entry(e);
        if !in_scope(path) {
            d.updated.insert(e.clone());
            continue;
        }
        let slot = by_path.entry(path).or_default();
        if strict {
            slot.1 = true;
        } else {
            slot.0 = true;
        }
        if !results.contains_key(path) {
            d.stale.push(e.clone());
        }
    }

    for (path, result) in results {
        let (known_fails, known_strict) = by_path.get(path.as_str()).copied().unwrap_or_default();
        match result {
            None => {
                if known_fails {
                    d.new_passes.push(entry(path, Failure::Fails));
                }
                if known_strict {
                    if both_modes {
                        d.new_passes.push(entry(path, Failure::StrictOnly));
                    } else {
                        d.updated.insert(entry(path, Failure::StrictOnly));
                    }
                }
            }
            Some(Failure::Fails) => {
                if !known_fails {
                    d.new_failures.push(entry(path, Failure::Fails));
                }
                d.updated.insert(entry(path, Failure::Fails));
            }
            Some(Failure::StrictOnly) => {
                if known_fails {
                    // Improvement: the non-strict run passes now.
                    d.new_passes.push(entry(path, Failure::Fails));
                } else if !known_strict {
                    d.new_failures.push(entry(path, Failure::StrictOnly));
                }
                d.updated.insert(entry(path, Failure::StrictOnly));
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parse_and_render_round_trip() {
        let s = set(&["a/b.js", "a/c.js [strict]"]);
        assert_eq!(parse(&render(&s)), s);
        assert_eq!(split_entry("a/c.js [strict]"), ("a/c.js", true));
        assert_eq!(split_entry("a/c.js"), ("a/c.js", false));
    }

    #[test]
    fn diff_default_mode() {
        let known = set(&[
            "x/fail.js",
            "x/fixed.js",
            "x/strict.js [strict]",
            "x/gone.js",
            "y/o.js",
        ]);
        let results: BTreeMap<String, Option<Failure>> = [
            ("x/fail.js", Some(Failure::Fails)),
            ("x/fixed.js", None),
            ("x/strict.js", None),
            ("x/new.js", Some(Failure::Fails)),
            ("x/ok.js", None),
        ]
        .into_iter()
        .map(|(p, r)| (p.to_string(), r))
        .collect();
        let d = diff(&known, &results, &|p: &str| p.starts_with("x/"), false);
        assert_eq!(d.new_passes, ["x/fixed.js"]);
        assert_eq!(d.new_failures, ["x/new.js"]);
        assert_eq!(d.stale, ["x/gone.js"]);
        assert_eq!(
            d.updated,
            set(&["x/fail.js", "x/new.js", "x/strict.js [strict]", "y/o.js"])
        );
    }

    #[test]
    fn diff_both_modes() {
        let known = set(&["a.js", "b.js [strict]", "c.js [strict]", "d.js"]);
        let results: BTreeMap<String, Option<Failure>> = [
            ("a.js", Some(Failure::StrictOnly)),
            ("b.js", None),
            ("c.js", Some(Failure::Fails)),
            ("d.js", Some(Failure::Fails)),
            ("e.js", Some(Failure::StrictOnly)),
        ]
        .into_iter()
        .map(|(p, r)| (p.to_string(), r))
        .collect();
        let d = diff(&known, &results, &|_: &str| true, true);
        assert_eq!(d.new_passes, ["a.js", "b.js [strict]"]);
        assert_eq!(d.new_failures, ["c.js", "e.js [strict]"]);
        assert!(d.stale.is_empty());
        assert_eq!(
            d.updated,
            set(&["a.js [strict]", "c.js", "d.js", "e.js [strict]"])
        );
    }
}
