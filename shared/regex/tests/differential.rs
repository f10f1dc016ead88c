//! Differential test against a real peer: thousands of generated patterns and subjects, run by
//! this crate and by node's V8; the results must agree (a match's captures and position, no
//! match, or a SyntaxError).
//!
//! Subjects and patterns keep to the Basic Multilingual Plane (where a code point is one UTF-16
//! unit, so `u` and non-`u` agree on what a character is), with some characters whose case
//! folding is special (long s, Kelvin sign, final sigma); V8's UTF-16 index is turned into a
//! byte offset for the comparison. The cases come from a fixed
//! seed, so a failure is reproducible. Needs `node` on PATH; without it the test says so and
//! passes, except where peers are required (`FERRITE_REQUIRE_PEERS=1`, as `scripts/test.sh`
//! sets), where a missing node fails.

use std::io::Write;
use std::process::{Command, Stdio};

use ferrite_regex::{Flags, Limits, Regex};

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A random pattern over a small alphabet, `depth` levels of groups deep at most. Most are
/// valid; some are not (a quantified assertion, `{2,1}`, a second group named `n`).
fn pattern(rng: &mut Rng, depth: u32, named: &mut bool) -> String {
    let mut out = String::new();
    let terms = 1 + rng.below(3);
    for _ in 0..terms {
        let mut quantifiable = true;
        let atom = match rng.below(if depth == 0 { 6 } else { 11 }) {
            0 | 1 => rng
                .pick(&["a", "b", "c", "A", "-", " ", "é", "σ", "s", "k"])
                .to_string(),
            2 => rng
                .pick(&[
                    "[ab]", "[^a]", "[a-c]", "[^]", "\\w", "\\W", "\\s", "\\d", "[\\s\\d]",
                    "[B-a]", "[k-s]", "[^σ]", "\\u212A", "[ſ]", "[^\\W]", "[\\w-]",
                ])
                .to_string(),
            3 => {
                quantifiable = rng.below(20) == 0;
                rng.pick(&[".", "^", "$", "\\b", "\\B"]).to_string()
            }
            4 if *named => rng.pick(&["\\1", "\\2", "\\k<n>"]).to_string(),
            4 => rng.pick(&["\\1", "\\2"]).to_string(),
            5 => rng.pick(&["a", "b"]).to_string(),
            6 => format!("({})", pattern(rng, depth - 1, named)),
            7 => format!("(?:{})", pattern(rng, depth - 1, named)),
            8 if !*named || rng.below(10) == 0 => {
                *named = true;
                format!("(?<n>{})", pattern(rng, depth - 1, named))
            }
            8 | 9 => {
                let kind = rng.pick(&["?=", "?!", "?<=", "?<!"]);
                quantifiable = !kind.starts_with("?<") || rng.below(10) == 0;
                format!("({kind}{})", pattern(rng, depth - 1, named))
            }
            _ => format!(
                "({}|{})",
                pattern(rng, depth - 1, named),
                pattern(rng, depth - 1, named)
            ),
        };
        out.push_str(&atom);
        if quantifiable && rng.below(3) == 0 {
            let q = if rng.below(40) == 0 {
                "{2,1}"
            } else {
                rng.pick(&["*", "+", "?", "{2}", "{1,3}", "{0,}", "*", "+"])
            };
            out.push_str(q);
            if rng.below(3) == 0 {
                out.push('?');
            }
        }
    }
    if rng.below(6) == 0 {
        out = format!("{out}|{}", pattern(rng, depth.saturating_sub(1), named));
    }
    out
}

fn subject(rng: &mut Rng) -> String {
    let len = rng.below(10);
    (0..len)
        .map(|_| {
            rng.pick(&[
                "a", "b", "c", "A", "B", " ", "\n", "1", "-", "É", "é", "ς", "Σ", "ſ", "S",
                "\u{212A}", "K",
            ])
        })
        .collect()
}

fn flags(f: &str) -> Flags {
    Flags {
        ignore_case: f.contains('i'),
        multiline: f.contains('m'),
        dot_all: f.contains('s'),
        unicode: f.contains('u'),
    }
}

/// What this crate says, in the shape the node script prints.
fn ours(pattern: &str, f: &str, subject: &str) -> String {
    let re = match Regex::new(pattern.as_bytes(), flags(f)) {
        Ok(re) => re,
        Err(_) => return "\"SyntaxError\"".into(),
    };
    let mut steps = 0;
    match re.find_at(subject.as_bytes(), 0, false, Limits::default(), &mut steps) {
        Err(e) => format!("\"{e}\""),
        Ok(None) => "null".into(),
        Ok(Some(m)) => {
            let caps: Vec<String> = m
                .captures
                .iter()
                .map(|c| match c {
                    Some((s, e)) => json_string(&subject[*s..*e]),
                    None => "null".into(),
                })
                .collect();
            format!("[{},[{}]]", m.start(), caps.join(","))
        }
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const NODE_SCRIPT: &str = r#"
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const out = [];
for (const line of lines) {
  const [p, f, s] = JSON.parse(line);
  let r;
  try {
    const m = new RegExp(p, f).exec(s);
    r = m === null ? null
      : [Buffer.byteLength(s.slice(0, m.index)), Array.from(m, (x) => (x === undefined ? null : x))];
  } catch (e) {
    r = e.name;
  }
  out.push(JSON.stringify(r));
}
process.stdout.write(out.join('\n') + '\n');
"#;

#[test]
fn agrees_with_v8() {
    let mut rng = Rng(0x5EED_F00D_1234_5678);
    let mut cases = Vec::new();
    for i in 0..20000 {
        let p = pattern(&mut rng, 1 + (i % 3) as u32, &mut false);
        let f = ["", "i", "m", "s", "u", "iu", "ims"][i % 7];
        let s = subject(&mut rng);
        cases.push((p, f, s));
    }
    let input: String = cases
        .iter()
        .map(|(p, f, s)| format!("[{},\"{f}\",{}]\n", json_string(p), json_string(s)))
        .collect();
    let child = Command::new("node")
        .arg("-e")
        .arg(NODE_SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if std::env::var_os("FERRITE_REQUIRE_PEERS").is_none_or(|v| v != "1") => {
            eprintln!("differential test skipped: node is not available ({e})");
            return;
        }
        Err(e) => panic!("node is needed for the differential test (FERRITE_REQUIRE_PEERS=1): {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "node failed");
    let theirs = String::from_utf8(output.stdout).unwrap();
    let theirs: Vec<&str> = theirs.lines().collect();
    assert_eq!(theirs.len(), cases.len());
    let mut mismatches = Vec::new();
    let (mut matched, mut unmatched, mut errors) = (0, 0, 0);
    for ((p, f, s), v8) in cases.iter().zip(&theirs) {
        match v8.as_bytes().first() {
            Some(b'[') => matched += 1,
            Some(b'n') => unmatched += 1,
            _ => {
                errors += 1;
                if std::env::var_os("SHOW_ERRORS").is_some() && errors < 40 {
                    eprintln!("error case: /{p}/{f}");
                }
            }
        }
        let mine = ours(p, f, s);
        if mine != *v8 {
            mismatches.push(format!("/{p}/{f} on {s:?}: ours {mine}, V8 {v8}"));
        }
    }
    eprintln!("V8: {matched} matches, {unmatched} without a match, {errors} SyntaxErrors");
    // The generator must keep exercising all three outcomes.
    assert!(matched > 5000 && unmatched > 5000 && errors > 500);
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from V8:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches[..mismatches.len().min(25)].join("\n")
    );
}
