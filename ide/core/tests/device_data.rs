//! Telemetry series, the script diff and deploy chunking: parsing, bounds, correctness on
//! random inputs, the work cap.

use ferrite_ide_core::device::deploy::split_code;
use ferrite_ide_core::device::diff::{line_diff, Diff, DiffKind, MAX_EDIT_DISTANCE};
use ferrite_ide_core::device::telemetry::{parse_print_line, sparkline_path, TelemetryStore};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[test]
fn print_lines_give_name_value_pairs() {
    assert_eq!(parse_print_line("temp=21.5"), [("temp".to_string(), 21.5)]);
    assert_eq!(
        parse_print_line("a=1, b.c=-2e-1 sensor/x:y-z=+3"),
        [
            ("a".to_string(), 1.0),
            ("b.c".to_string(), -0.2),
            ("sensor/x:y-z".to_string(), 3.0)
        ]
    );
    for none in [
        "hello",
        "x = 1",
        "1a=2",
        "a=",
        "a=NaN",
        "a=Infinity",
        "a=0x10",
        "a=1.2.3",
        "=5",
        "a=inf",
        "a=1e999",
    ] {
        assert!(parse_print_line(none).is_empty(), "{none}");
    }
    let long = format!("{}=1", "n".repeat(65));
    assert!(parse_print_line(&long).is_empty());
    let ok = format!("{}=1", "n".repeat(64));
    assert_eq!(parse_print_line(&ok).len(), 1);
}

#[test]
fn series_are_bounded_and_track_min_max() {
    let mut t = TelemetryStore::new(2, 3);
    assert!(t.ingest("a", 1.0, 5.0));
    assert!(t.ingest("a", 2.0, 1.0));
    assert!(t.ingest("a", 3.0, 3.0));
    let a = t.get("a").unwrap();
    assert_eq!((a.min, a.max, a.last), (1.0, 5.0, 3.0));
    // The max (5) leaves the window.
    assert!(t.ingest("a", 4.0, 2.0));
    let a = t.get("a").unwrap();
    assert_eq!(a.points.len(), 3);
    assert_eq!((a.min, a.max, a.last), (1.0, 3.0, 2.0));
    assert!(!t.ingest("a", 5.0, f64::NAN));
    assert!(t.ingest("b", 1.0, 0.0));
    assert!(!t.ingest("c", 1.0, 0.0), "third series over the limit");
    assert_eq!(t.dropped(), 1);
    let names: Vec<&str> = t.series().map(|(n, _)| n).collect();
    assert_eq!(names, ["a", "b"]);
    // Many points: still bounded.
    let mut t = TelemetryStore::default();
    for i in 0..10_000 {
        t.ingest("x", i as f64, (i % 7) as f64);
    }
    assert_eq!(t.get("x").unwrap().points.len(), 600);
}

#[test]
fn sparkline_spans_the_box() {
    let mut t = TelemetryStore::default();
    t.ingest("v", 10.0, 0.0);
    t.ingest("v", 11.0, 10.0);
    t.ingest("v", 12.0, 5.0);
    let p = sparkline_path(t.get("v").unwrap(), 100.0, 20.0);
    assert_eq!(p, "M0 20 L50 0 L100 10");
    t.ingest("flat", 1.0, 3.0);
    assert_eq!(
        sparkline_path(t.get("flat").unwrap(), 100.0, 20.0),
        "M0 10 L100 10"
    );
}

fn apply(diff: &Diff) -> (String, String) {
    let old: Vec<&str> = diff
        .lines
        .iter()
        .filter(|l| l.kind != DiffKind::Added)
        .map(|l| l.text.as_str())
        .collect();
    let new: Vec<&str> = diff
        .lines
        .iter()
        .filter(|l| l.kind != DiffKind::Removed)
        .map(|l| l.text.as_str())
        .collect();
    (old.join("\n"), new.join("\n"))
}

fn check_numbers(diff: &Diff) {
    let (mut o, mut n) = (0u32, 0u32);
    for l in &diff.lines {
        match l.kind {
            DiffKind::Same => {
                o += 1;
                n += 1;
                assert_eq!((l.old_no, l.new_no), (Some(o), Some(n)));
            }
            DiffKind::Removed => {
                o += 1;
                assert_eq!((l.old_no, l.new_no), (Some(o), None));
            }
            DiffKind::Added => {
                n += 1;
                assert_eq!((l.old_no, l.new_no), (None, Some(n)));
            }
        }
    }
}

/// The length of a longest common subsequence (for minimality).
fn lcs(a: &[&str], b: &[&str]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    for x in a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        prev = cur;
    }
    prev[b.len()]
}

#[test]
fn diff_examples() {
    let d = line_diff("a\nb\nc", "a\nx\nc\nd");
    let kinds: Vec<(DiffKind, &str)> = d.lines.iter().map(|l| (l.kind, l.text.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (DiffKind::Same, "a"),
            (DiffKind::Removed, "b"),
            (DiffKind::Added, "x"),
            (DiffKind::Same, "c"),
            (DiffKind::Added, "d"),
        ]
    );
    assert_eq!(d.summary(), (2, 1));
    assert!(!d.is_identical());
    assert!(line_diff("same\n", "same\n").is_identical());
    assert!(line_diff("", "").lines.is_empty());
    assert_eq!(line_diff("", "x").summary(), (1, 0));
}

#[test]
fn diff_applies_and_is_minimal_on_random_inputs() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..400 {
        let alphabet = 1 + rng.below(5);
        let gen = |rng: &mut Rng| -> String {
            let n = rng.below(30);
            (0..n)
                .map(|_| format!("l{}", rng.below(alphabet)))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let old = gen(&mut rng);
        let new = if round % 3 == 0 {
            // A small edit of old.
            let mut lines: Vec<String> = old.split('\n').map(String::from).collect();
            let i = rng.below(lines.len() as u64 + 1) as usize;
            lines.insert(i.min(lines.len()), "inserted".into());
            lines.join("\n")
        } else {
            gen(&mut rng)
        };
        let d = line_diff(&old, &new);
        assert!(!d.truncated);
        assert_eq!(apply(&d), (old.clone(), new.clone()), "{old:?} → {new:?}");
        check_numbers(&d);
        let (a, b) = (
            if old.is_empty() {
                vec![]
            } else {
                old.split('\n').collect::<Vec<_>>()
            },
            if new.is_empty() {
                vec![]
            } else {
                new.split('\n').collect::<Vec<_>>()
            },
        );
        let same = d.lines.iter().filter(|l| l.kind == DiffKind::Same).count();
        assert_eq!(same, lcs(&a, &b), "{old:?} → {new:?}");
    }
}

#[test]
fn diff_work_is_capped_and_the_coarse_result_still_applies() {
    let old: String = (0..3000).map(|i| format!("old {i}\n")).collect();
    let new: String = (0..3000).map(|i| format!("new {i}\n")).collect();
    let d = line_diff(&old, &new);
    assert!(d.truncated, "6000 edits > {MAX_EDIT_DISTANCE}");
    assert_eq!(apply(&d), (old.clone(), new.clone()));
    check_numbers(&d);
    // Common start and end are kept even then.
    let old2 = format!("head\n{old}tail");
    let new2 = format!("head\n{new}tail");
    let d = line_diff(&old2, &new2);
    assert!(d.truncated);
    assert_eq!(d.lines.first().unwrap().kind, DiffKind::Same);
    assert_eq!(d.lines.last().unwrap().kind, DiffKind::Same);
    assert_eq!(apply(&d), (old2, new2));
    // Large but similar inputs are diffed exactly.
    let mut edited: Vec<String> = (0..20_000).map(|i| format!("line {i}")).collect();
    let original = edited.join("\n");
    for i in (0..20_000).step_by(100) {
        edited[i] = format!("changed {i}");
    }
    let d = line_diff(&original, &edited.join("\n"));
    assert!(!d.truncated);
    assert_eq!(d.summary(), (200, 200));
}

#[test]
fn code_chunks_respect_bytes_encoding_and_characters() {
    let mut rng = Rng(99);
    let pieces = ["a", "é", "€", "😀", "\"", "\\", "\n", "\u{1}", "x y"];
    for _ in 0..200 {
        let n = rng.below(400) as usize;
        let code: String = (0..n)
            .map(|_| pieces[rng.below(pieces.len() as u64) as usize])
            .collect();
        let max_bytes = 1 + rng.below(40) as usize;
        let max_encoded = 6 + rng.below(60) as usize;
        let chunks = split_code(&code, max_bytes, max_encoded);
        assert_eq!(chunks.concat(), code);
        for c in &chunks {
            assert!(!c.is_empty());
            let encoded = serde_json::to_string(c).unwrap().len() - 2;
            // A single character may exceed a tiny byte budget; never two.
            assert!(c.len() <= max_bytes || c.chars().count() == 1, "{c:?}");
            assert!(encoded <= max_encoded || c.chars().count() == 1, "{c:?}");
        }
    }
    assert!(split_code("", 10, 10).is_empty());
}
