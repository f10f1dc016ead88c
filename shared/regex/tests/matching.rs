//! Patterns against subjects: each case gives the captures a JavaScript engine reports (as byte
//! ranges turned back into text), or no match.

use ferrite_regex::{Flags, Limits, MatchError, Regex};

fn flags(s: &str) -> Flags {
    Flags {
        ignore_case: s.contains('i'),
        multiline: s.contains('m'),
        dot_all: s.contains('s'),
        unicode: s.contains('u'),
    }
}

/// The captures of the first match (`None` for a group that did not take part).
fn exec(pattern: &str, f: &str, subject: &str) -> Option<Vec<Option<String>>> {
    let re = Regex::new(pattern.as_bytes(), flags(f))
        .unwrap_or_else(|e| panic!("/{pattern}/{f} should parse: {e}"));
    let mut steps = 0;
    let m = re
        .find_at(subject.as_bytes(), 0, false, Limits::default(), &mut steps)
        .expect("within limits")?;
    Some(
        m.captures
            .iter()
            .map(|c| c.map(|(s, e)| subject[s..e].to_string()))
            .collect(),
    )
}

fn caps(list: &[Option<&str>]) -> Option<Vec<Option<String>>> {
    Some(list.iter().map(|c| c.map(String::from)).collect())
}

#[test]
fn literal_and_classes() {
    assert_eq!(exec("b+", "", "abbbc"), caps(&[Some("bbb")]));
    assert_eq!(exec("[a-c]+", "", "xxcabz"), caps(&[Some("cab")]));
    assert_eq!(exec("[^a-c]+", "", "abxyc"), caps(&[Some("xy")]));
    assert_eq!(
        exec("\\d+\\s\\w+", "", "id: 42 bees!"),
        caps(&[Some("42 bees")])
    );
    assert_eq!(exec("[\\d-z]+", "", "a-9z"), caps(&[Some("-9z")]));
    assert_eq!(exec("[]", "", "abc"), None);
    assert_eq!(exec("[^]+", "", "a\nb"), caps(&[Some("a\nb")]));
    assert_eq!(exec("a.c", "", "a\nc abc"), caps(&[Some("abc")]));
    assert_eq!(exec("a.c", "s", "a\nc"), caps(&[Some("a\nc")]));
    assert_eq!(exec("é+", "", "caféé!"), caps(&[Some("éé")]));
    assert_eq!(exec("^.$", "u", "😀"), caps(&[Some("😀")]));
    assert_eq!(exec("\\u{1F600}", "u", "a😀"), caps(&[Some("😀")]));
    assert_eq!(exec("\\uD83D\\uDE00", "", "a😀"), caps(&[Some("😀")]));
    assert_eq!(
        exec("[\\u0041-\\u0043]+", "", "xABCD"),
        caps(&[Some("ABC")])
    );
    assert_eq!(exec("\\x41\\101\\0", "", "AA\0"), caps(&[Some("AA\0")]));
    assert_eq!(exec("\\cJ", "", "a\nb"), caps(&[Some("\n")]));
    assert_eq!(exec("\\c1", "", "\\c1"), caps(&[Some("\\c1")]));
    assert_eq!(exec("a{2}", "", "aaaa"), caps(&[Some("aa")]));
    assert_eq!(exec("a{", "", "a{"), caps(&[Some("a{")]));
    assert_eq!(exec("x{1,2}?", "", "xx"), caps(&[Some("x")]));
    assert_eq!(
        exec("\\p{Alphabetic}+", "u", "12héllo!"),
        caps(&[Some("héllo")])
    );
    assert_eq!(exec("\\P{ASCII}+", "u", "abc€ß1"), caps(&[Some("€ß")]));
    assert_eq!(exec("\\p{WSpace}", "u", "a b"), caps(&[Some(" ")]));
}

#[test]
fn groups_alternation_and_quantifiers() {
    assert_eq!(
        exec("(a|ab)(c|bcd)(d*)", "", "abcd"),
        caps(&[Some("abcd"), Some("a"), Some("bcd"), Some("")])
    );
    assert_eq!(
        exec("(z)((a+)?(b+)?(c))*", "", "zaacbbbcac"),
        caps(&[
            Some("zaacbbbcac"),
            Some("z"),
            Some("ac"),
            Some("a"),
            None,
            Some("c")
        ])
    );
    assert_eq!(exec("(a*)*", "", "b"), caps(&[Some(""), None]));
    assert_eq!(exec("(a*)+", "", "b"), caps(&[Some(""), Some("")]));
    assert_eq!(exec("(?:a|b)*?c", "", "abac"), caps(&[Some("abac")]));
    assert_eq!(
        exec("(.*?)a(?!(a+)b\\2c)\\2(.*)", "", "baaabaac"),
        caps(&[Some("baaabaac"), Some("ba"), None, Some("abaac")])
    );
    assert_eq!(
        exec("(\\w+)\\s\\1", "", "hello hello"),
        caps(&[Some("hello hello"), Some("hello")])
    );
    assert_eq!(exec("\\1(a)", "", "aa"), caps(&[Some("a"), Some("a")]));
    assert_eq!(
        exec("(?<year>\\d{4})-(?<month>\\d{2})", "", "on 2026-11"),
        caps(&[Some("2026-11"), Some("2026"), Some("11")])
    );
    assert_eq!(
        exec("(?<a>x)\\k<a>", "", "xx"),
        caps(&[Some("xx"), Some("x")])
    );
    assert_eq!(exec("\\k<a>", "", "k<a>"), caps(&[Some("k<a>")]));
    assert_eq!(exec("a|b|", "", "c"), caps(&[Some("")]));
    assert_eq!(exec("(a)|b", "", "b"), caps(&[Some("b"), None]));
    assert_eq!(
        exec("((a)|b)+", "", "ab"),
        caps(&[Some("ab"), Some("b"), None])
    );
    let names = Regex::new(b"(?<first>a)(b)(?<third>c)", Flags::default()).unwrap();
    assert_eq!(names.group_count(), 3);
    assert_eq!(
        names.group_names(),
        [("first".to_string(), 1), ("third".to_string(), 3)]
    );
}

#[test]
fn assertions_and_lookaround() {
    assert_eq!(exec("^b", "", "ab"), None);
    assert_eq!(exec("^b", "m", "a\nb"), caps(&[Some("b")]));
    assert_eq!(exec("a$", "m", "a\nb"), caps(&[Some("a")]));
    assert_eq!(exec("a$", "", "a\nb"), None);
    assert_eq!(exec("\\bfoo\\b", "", "a foo."), caps(&[Some("foo")]));
    assert_eq!(exec("\\Boo", "", "foo"), caps(&[Some("oo")]));
    assert_eq!(exec("x(?=y)", "", "xzxy"), caps(&[Some("x")]));
    assert_eq!(exec("x(?!y)", "", "xyxz"), caps(&[Some("x")]));
    assert_eq!(
        exec("(?=(a+))a*b\\1", "", "baaabac"),
        caps(&[Some("aba"), Some("a")])
    );
    assert_eq!(exec("(?<=\\$)\\d+", "", "cost: $42"), caps(&[Some("42")]));
    assert_eq!(exec("(?<!\\$)\\b\\d+", "", "$4 5"), caps(&[Some("5")]));
    assert_eq!(
        exec("(?<=(\\d+)(\\d+))$", "", "1053"),
        caps(&[Some(""), Some("1"), Some("053")])
    );
    assert_eq!(
        exec("(?<=\\1(a))b", "", "aab"),
        caps(&[Some("b"), Some("a")])
    );
    assert_eq!(exec("(?<=é)x", "", "éx"), caps(&[Some("x")]));
    // Annex B: a quantified lookahead.
    assert_eq!(exec("(?=a)*a", "", "a"), caps(&[Some("a")]));
}

#[test]
fn ignore_case() {
    assert_eq!(exec("abc", "i", "xABC"), caps(&[Some("ABC")]));
    assert_eq!(exec("[a-z]+", "i", "HeLLo1"), caps(&[Some("HeLLo")]));
    assert_eq!(exec("\\u212A", "i", "k"), None);
    assert_eq!(exec("\\u212A", "iu", "k"), caps(&[Some("k")]));
    assert_eq!(exec("[\\u212A]", "iu", "K"), caps(&[Some("K")]));
    assert_eq!(exec("\\w", "iu", "\u{17F}"), caps(&[Some("\u{17F}")]));
    assert_eq!(exec("\\w", "i", "\u{17F}"), None);
    assert_eq!(exec("σ+", "iu", "ΣσςX"), caps(&[Some("Σσς")]));
    assert_eq!(exec("(a)\\1", "i", "aA"), caps(&[Some("aA"), Some("a")]));
    assert_eq!(exec("ÉTÉ", "i", "été"), caps(&[Some("été")]));
    // Found by review against V8: iota-subscript titlecase pairs, Cyrillic historic forms.
    assert_eq!(exec("\\u1F80", "iu", "\u{1F88}"), caps(&[Some("\u{1F88}")]));
    assert_eq!(
        exec("[\\u1F88]", "iu", "\u{1F80}"),
        caps(&[Some("\u{1F80}")])
    );
    assert_eq!(exec("\\u1F80", "i", "\u{1F88}"), None);
    assert_eq!(exec("[\\u1C82]", "i", "о"), caps(&[Some("о")]));
    assert_eq!(exec("[^\\u1C82]", "i", "о"), None);
}

#[test]
fn invalid_utf8_subjects() {
    let re = Regex::new(b"b.c", Flags::default()).unwrap();
    let mut steps = 0;
    let m = re
        .find_at(b"a\xFFb\xFEc", 0, false, Limits::default(), &mut steps)
        .unwrap()
        .unwrap();
    assert_eq!((m.start(), m.end()), (2, 5));
    // U+FFFD in a pattern is every invalid byte, however the pattern reaches it.
    for (pattern, sticky) in [("\\uFFFD", false), ("\\uFFFD", true), ("[\\uFFFD]", false)] {
        let re = Regex::new(pattern.as_bytes(), Flags::default()).unwrap();
        let m = re.find_at(b"\xFF", 0, sticky, Limits::default(), &mut steps);
        assert_eq!(
            m.unwrap().map(|m| (m.start(), m.end())),
            Some((0, 1)),
            "{pattern}"
        );
    }
    for f in ["", "i"] {
        let re = Regex::new(b"(.)\\1", flags(f)).unwrap();
        let m = re.find_at(b"\xFF\xFE", 0, false, Limits::default(), &mut steps);
        assert_eq!(m.unwrap().map(|m| m.end()), Some(2), "/(.)\\1/{f}");
    }
    // A start inside a character moves to its end; a sticky one there fails.
    let re = Regex::new(b"x", Flags::default()).unwrap();
    let m = re.find_at("éx".as_bytes(), 1, false, Limits::default(), &mut steps);
    assert_eq!(m.unwrap().map(|m| m.start()), Some(2));
    let m = re.find_at("éx".as_bytes(), 1, true, Limits::default(), &mut steps);
    assert_eq!(m.unwrap(), None);
}

#[test]
fn syntax_errors() {
    for (pattern, f) in [
        ("a**", ""),
        ("*", ""),
        ("(", ""),
        ("a)", ""),
        ("[b-a]", ""),
        ("a{2,1}", ""),
        ("\\", ""),
        ("(?<a>x)(?<a>y)", ""),
        ("\\k<b>(?<a>x)", ""),
        ("(?<=a)*", ""),
        ("(?=a)*", "u"),
        ("\\1", "u"),
        ("\\q", "u"),
        ("{", "u"),
        ("]", "u"),
        ("[\\d-z]", "u"),
        ("\\u{110000}", "u"),
        ("\\p{Script=Greek}", "u"),
        ("\\k", "u"),
        ("(?x)", ""),
        ("^*", ""),
        ("(?<a>.)[\\k]", ""),
    ] {
        assert!(
            Regex::new(pattern.as_bytes(), flags(f)).is_err(),
            "/{pattern}/{f} should be a SyntaxError"
        );
    }
    let deep = "(".repeat(200) + &")".repeat(200);
    let e = Regex::new(deep.as_bytes(), Flags::default()).unwrap_err();
    assert_eq!(e.message, "pattern nested too deeply");
}

#[test]
fn catastrophic_backtracking_stops_at_the_step_limit() {
    let re = Regex::new(b"(a+)+b", Flags::default()).unwrap();
    let subject = "a".repeat(40) + "c";
    let mut steps = 0;
    let limits = Limits {
        steps: 1_000_000,
        stack_bytes: 1 << 20,
    };
    let r = re.find_at(subject.as_bytes(), 0, false, limits, &mut steps);
    assert_eq!(r, Err(MatchError::StepLimit));
    assert!(steps > 1_000_000);
}

#[test]
fn deep_backtracking_stops_at_the_stack_limit() {
    let re = Regex::new(b"(?:a|b)*c", Flags::default()).unwrap();
    let subject = "ab".repeat(10_000);
    let mut steps = 0;
    let limits = Limits {
        steps: u64::MAX,
        stack_bytes: 1000 * ferrite_regex::exec::STACK_ENTRY_BYTES,
    };
    let r = re.find_at(subject.as_bytes(), 0, false, limits, &mut steps);
    assert_eq!(r, Err(MatchError::StackLimit));
    // A single-character loop needs no stack per character.
    let re = Regex::new(b"[ab]*c", Flags::default()).unwrap();
    let subject = "ab".repeat(500);
    let r = re.find_at(subject.as_bytes(), 0, false, limits, &mut steps);
    assert_eq!(r, Ok(None));
}

#[test]
fn backreference_work_counts_against_the_step_limit() {
    // Each attempt compares a long group again: the steps must grow with the bytes compared,
    // or this pattern would run for minutes under a small step budget.
    let re = Regex::new(b"(.*)\\1x", Flags::default()).unwrap();
    let subject = "a".repeat(3000);
    let mut steps = 0;
    let limits = Limits {
        steps: 2_000_000,
        stack_bytes: 1 << 20,
    };
    let r = re.find_at(subject.as_bytes(), 0, false, limits, &mut steps);
    assert_eq!(r, Err(MatchError::StepLimit));
}
