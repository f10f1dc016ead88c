//! A hand-written parser for the YAML subset used by test262 frontmatter (`/*--- … ---*/`).
//!
//! Only the keys the runner needs are interpreted: `includes`, `flags`, `features` (inline
//! `[a, b]` lists or block `- a` lists), `negative` (`phase` / `type`) and `es5id`. Everything
//! else (`description: |` blocks, `info`, `esid`, …) is skipped.

/// The phase in which a negative test expects its error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Parse,
    Resolution,
    Runtime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negative {
    pub phase: Phase,
    /// The expected error constructor name, e.g. `SyntaxError`.
    pub error_type: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontmatter {
    pub includes: Vec<String>,
    pub flags: Vec<String>,
    pub features: Vec<String>,
    pub negative: Option<Negative>,
    pub es5id: Option<String>,
}

impl Frontmatter {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// Extract and parse the frontmatter of a test file. Returns an error for a missing or
/// malformed block (unknown keys are not errors).
pub fn parse(source: &str) -> Result<Frontmatter, String> {
    let start = source.find("/*---").ok_or("no frontmatter (/*---)")?;
    let body_start = start + "/*---".len();
    let end = source[body_start..]
        .find("---*/")
        .ok_or("unterminated frontmatter (---*/)")?;
    parse_yaml(&source[body_start..body_start + end])
}

/// Which list (or map) the following indented lines belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    None,
    Includes,
    Flags,
    Features,
    Negative,
}

fn parse_yaml(text: &str) -> Result<Frontmatter, String> {
    let mut fm = Frontmatter::default();
    let mut block = Block::None;
    let mut neg_phase: Option<Phase> = None;
    let mut neg_type: Option<String> = None;
    let mut saw_negative = false;

    for raw_line in text.lines() {
        let line = raw_line.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        if indented {
            let item = line.trim();
            match block {
                Block::Includes | Block::Flags | Block::Features => {
                    if let Some(rest) = item.strip_prefix('-') {
                        let value = unquote(strip_comment(rest).trim());
                        if !value.is_empty() {
                            list_for(&mut fm, block).push(value.to_string());
                        }
                    }
                }
                Block::Negative => {
                    if let Some((k, v)) = item.split_once(':') {
                        let v = unquote(strip_comment(v).trim());
                        match k.trim() {
                            "phase" => neg_phase = Some(parse_phase(v)?),
                            "type" => neg_type = Some(v.to_string()),
                            _ => {}
                        }
                    }
                }
                Block::None => {}
            }
            continue;
        }
        // A top-level `key: value` line.
        block = Block::None;
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            k @ ("includes" | "flags" | "features") => {
                let b = match k {
                    "includes" => Block::Includes,
                    "flags" => Block::Flags,
                    _ => Block::Features,
                };
                let value = strip_comment(value).trim();
                if value.is_empty() {
                    block = b;
                } else {
                    let items = parse_inline_list(value)?;
                    list_for(&mut fm, b).extend(items);
                }
            }
            "negative" => {
                saw_negative = true;
                block = Block::Negative;
            }
            "es5id" => {
                let v = unquote(strip_comment(value).trim());
                if !v.is_empty() {
                    fm.es5id = Some(v.to_string());
                }
            }
            _ => {}
        }
    }

    if saw_negative {
        let phase = neg_phase.ok_or("negative: missing phase")?;
        let error_type = neg_type.ok_or("negative: missing type")?;
        fm.negative = Some(Negative { phase, error_type });
    }
    Ok(fm)
}

fn list_for(fm: &mut Frontmatter, block: Block) -> &mut Vec<String> {
    match block {
        Block::Includes => &mut fm.includes,
        Block::Flags => &mut fm.flags,
        _ => &mut fm.features,
    }
}

fn parse_phase(v: &str) -> Result<Phase, String> {
    match v {
        "parse" => Ok(Phase::Parse),
        "resolution" => Ok(Phase::Resolution),
        "runtime" => Ok(Phase::Runtime),
        other => Err(format!("negative: unknown phase {other:?}")),
    }
}

/// `[a, b, c]` → `["a", "b", "c"]`.
fn parse_inline_list(value: &str) -> Result<Vec<String>, String> {
    let inner = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .ok_or_else(|| format!("expected an inline list, got {value:?}"))?;
    Ok(inner
        .split(',')
        .map(|s| unquote(s.trim()).to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Drop a YAML `# comment` (a `#` at the start or after whitespace).
fn strip_comment(s: &str) -> &str {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
            return &s[..i];
        }
    }
    s
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_lists() {
        let src = "// header\n/*---\nesid: sec-foo\nes5id: 15.4.4.4-1\ndescription: >\n  \
                   something: with a colon\nincludes: [compareArray.js, propertyHelper.js]\n\
                   flags: [onlyStrict]\nfeatures: [let, Symbol.iterator]\n---*/\nvar x;\n";
        let fm = parse(src).unwrap();
        assert_eq!(fm.includes, ["compareArray.js", "propertyHelper.js"]);
        assert_eq!(fm.flags, ["onlyStrict"]);
        assert_eq!(fm.features, ["let", "Symbol.iterator"]);
        assert_eq!(fm.es5id.as_deref(), Some("15.4.4.4-1"));
        assert_eq!(fm.negative, None);
        assert!(fm.has_flag("onlyStrict"));
        assert!(!fm.has_flag("noStrict"));
    }

    #[test]
    fn block_lists() {
        let src = "/*---\nincludes:\n  - a.js\n  - b.js # comment\nfeatures:\n  - class\n  \
                   - 'Symbol'\nflags:\n    - raw\ninfo: |\n  flags: [module]\n  - not.js\n---*/";
        let fm = parse(src).unwrap();
        assert_eq!(fm.includes, ["a.js", "b.js"]);
        assert_eq!(fm.features, ["class", "Symbol"]);
        assert_eq!(fm.flags, ["raw"]);
    }

    #[test]
    fn negative() {
        let src = "/*---\ndescription: x\nnegative:\n  phase: parse\n  type: SyntaxError\n\
                   flags: [noStrict]\n---*/\n$DONOTEVALUATE();\n";
        let fm = parse(src).unwrap();
        assert_eq!(
            fm.negative,
            Some(Negative {
                phase: Phase::Parse,
                error_type: "SyntaxError".into()
            })
        );
        assert_eq!(fm.flags, ["noStrict"]);

        let src = "/*---\nnegative:\n  type: Test262Error\n  phase: runtime\n---*/";
        let neg = parse(src).unwrap().negative.unwrap();
        assert_eq!(neg.phase, Phase::Runtime);
        assert_eq!(neg.error_type, "Test262Error");

        let src = "/*---\nnegative:\n  phase: resolution\n  type: SyntaxError\n---*/";
        assert_eq!(
            parse(src).unwrap().negative.unwrap().phase,
            Phase::Resolution
        );
    }

    #[test]
    fn empty_and_malformed() {
        let fm = parse("/*---\n---*/").unwrap();
        assert_eq!(fm, Frontmatter::default());
        assert!(parse("var x = 1;").is_err());
        assert!(parse("/*---\nflags: [raw]\n").is_err());
        assert!(parse("/*---\nnegative:\n  phase: parse\n---*/").is_err());
        assert!(parse("/*---\nnegative:\n  phase: later\n  type: E\n---*/").is_err());
        assert!(parse("/*---\nflags: raw\n---*/").is_err());
    }

    #[test]
    fn empty_inline_list_and_crlf() {
        let fm = parse("/*---\r\nfeatures: []\r\nflags: [ raw ,async ]\r\n---*/").unwrap();
        assert!(fm.features.is_empty());
        assert_eq!(fm.flags, ["raw", "async"]);
    }
}
