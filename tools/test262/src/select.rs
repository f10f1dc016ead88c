//! Which tests run: path filters, the `fast` slice, and selection by flags and features.

use std::collections::HashSet;

use crate::frontmatter::Frontmatter;

/// The engine's supported test262 features (`shared/engine/test262-features.txt`).
#[derive(Clone, Debug, Default)]
pub struct Features(HashSet<String>);

impl Features {
    /// One feature per line; `#` starts a comment; blank lines are ignored.
    pub fn parse(text: &str) -> Features {
        Features(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    pub fn contains(&self, feature: &str) -> bool {
        self.0.contains(feature)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// Why a test is not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// `flags: [module]`: modules are not supported.
    Module,
    /// `flags: [async]`: async tests are not supported.
    Async,
    /// The first feature (in frontmatter order) that is not in the supported list.
    Feature(String),
    /// The frontmatter could not be parsed.
    BadFrontmatter(String),
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::Module => write!(f, "flag module"),
            Skip::Async => write!(f, "flag async"),
            Skip::Feature(name) => write!(f, "feature {name}"),
            Skip::BadFrontmatter(e) => write!(f, "bad frontmatter: {e}"),
        }
    }
}

/// Decide whether a test with this frontmatter runs.
pub fn select(fm: &Frontmatter, features: &Features) -> Result<(), Skip> {
    if fm.has_flag("module") {
        return Err(Skip::Module);
    }
    if fm.has_flag("async") {
        return Err(Skip::Async);
    }
    if let Some(missing) = fm.features.iter().find(|f| !features.contains(f)) {
        return Err(Skip::Feature(missing.clone()));
    }
    Ok(())
}

/// Does a test path (relative to `test/`, with `/` separators) match a user filter?
///
/// A filter matches at a path-component boundary: `built-ins/Array` matches
/// `built-ins/Array/from/x.js` and `Array/from` matches it too, but `Array` does not match
/// `built-ins/TypedArray/…`. A leading `test/` (or `./test/`) on the filter is ignored.
pub fn filter_matches(path: &str, filter: &str) -> bool {
    let filter = normalize_filter(filter);
    if filter.is_empty() {
        return true;
    }
    let mut start = 0;
    loop {
        let rest = &path[start..];
        if let Some(tail) = rest.strip_prefix(filter) {
            if filter.ends_with('/') || tail.is_empty() || tail.starts_with('/') || tail == ".js" {
                return true;
            }
            // A prefix of a file name is fine too (`built-ins/Array/from/calling-from`).
            if !tail.contains('/') {
                return true;
            }
        }
        match rest.find('/') {
            Some(i) => start += i + 1,
            None => return false,
        }
    }
}

pub fn normalize_filter(filter: &str) -> &str {
    let f = filter.trim_start_matches("./");
    f.strip_prefix("test/").unwrap_or(f)
}

/// Does the path match any of the filters (or are there none)?
pub fn filters_match(path: &str, filters: &[String]) -> bool {
    filters.is_empty() || filters.iter().any(|f| filter_matches(path, f))
}

/// The `fast` slice: a deterministic sample of one test in [`FAST_SLICE_DENOMINATOR`], chosen
/// by a hash of the path so that a test's membership never changes when other tests or the
/// feature list change.
pub const FAST_SLICE_DENOMINATOR: u64 = 8;

pub fn in_fast_slice(path: &str) -> bool {
    fnv1a(path.as_bytes()).is_multiple_of(FAST_SLICE_DENOMINATOR)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Is a file under `test/` a test? (`_FIXTURE` files are imported by module tests, not run.)
pub fn is_test_file(path: &str) -> bool {
    path.ends_with(".js") && !path.contains("_FIXTURE")
}

/// The table row a test belongs to: its first two path components (`built-ins/Array`).
pub fn group_of(path: &str) -> &str {
    let mut slashes = path.match_indices('/').map(|(i, _)| i);
    let _first = slashes.next();
    match slashes.next() {
        Some(second) => &path[..second],
        None => path.rsplit_once('/').map_or(path, |(dir, _)| dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontmatter::parse;

    fn features() -> Features {
        Features::parse("# comment\nlet\n  const  # trailing\n\nSymbol.iterator\n")
    }

    #[test]
    fn features_file() {
        let f = features();
        assert!(f.contains("let"));
        assert!(f.contains("const"));
        assert!(f.contains("Symbol.iterator"));
        assert!(!f.contains("Symbol"));
        assert!(!f.contains("# comment"));
        assert_eq!(f.names().count(), 3);
    }

    #[test]
    fn selection() {
        let f = features();
        let sel = |src: &str| select(&parse(src).unwrap(), &f);
        assert_eq!(sel("/*---\n---*/"), Ok(()));
        assert_eq!(sel("/*---\nfeatures: [let, const]\n---*/"), Ok(()));
        assert_eq!(
            sel("/*---\nfeatures: [let, generators, BigInt]\n---*/"),
            Err(Skip::Feature("generators".into()))
        );
        assert_eq!(
            sel("/*---\nfeatures:\n  - let\n  - Proxy\n---*/"),
            Err(Skip::Feature("Proxy".into()))
        );
        assert_eq!(sel("/*---\nflags: [module]\n---*/"), Err(Skip::Module));
        assert_eq!(
            sel("/*---\nflags: [async]\nfeatures: [let]\n---*/"),
            Err(Skip::Async)
        );
        assert_eq!(sel("/*---\nflags: [onlyStrict, raw]\n---*/"), Ok(()));
    }

    #[test]
    fn filters() {
        let p = "built-ins/Array/from/calling-from-valid-1.js";
        assert!(filter_matches(p, "built-ins"));
        assert!(filter_matches(p, "built-ins/Array"));
        assert!(filter_matches(p, "test/built-ins/Array/"));
        assert!(filter_matches(p, "./test/built-ins/Array"));
        assert!(filter_matches(p, "Array/from"));
        assert!(filter_matches(p, "from"));
        assert!(filter_matches(p, "built-ins/Array/from/calling-from"));
        assert!(filter_matches(p, p));
        assert!(!filter_matches(p, "rray"));
        assert!(!filter_matches(p, "language"));
        assert!(!filter_matches("built-ins/TypedArray/from/x.js", "Array"));
        assert!(!filter_matches(
            "built-ins/ArrayBuffer/x.js",
            "built-ins/Array"
        ));
        assert!(filters_match(p, &[]));
        assert!(filters_match(p, &["language".into(), "Array".into()]));
    }

    #[test]
    fn fast_slice_is_deterministic_and_about_one_in_eight() {
        let paths: Vec<String> = (0..8000).map(|i| format!("built-ins/X/t{i}.js")).collect();
        let n = paths.iter().filter(|p| in_fast_slice(p)).count();
        assert!((800..1200).contains(&n), "{n}");
        assert_eq!(
            in_fast_slice("language/a.js"),
            in_fast_slice("language/a.js")
        );
    }

    #[test]
    fn groups_and_files() {
        assert_eq!(group_of("built-ins/Array/from/x.js"), "built-ins/Array");
        assert_eq!(
            group_of("language/expressions/x.js"),
            "language/expressions"
        );
        assert_eq!(group_of("language/x.js"), "language");
        assert!(is_test_file("language/a.js"));
        assert!(!is_test_file("language/module-code/a_FIXTURE.js"));
        assert!(!is_test_file("language/README.md"));
    }
}
