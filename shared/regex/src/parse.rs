//! The pattern grammar of ECMAScript (22.2.1), with Annex B's web-compatibility grammar when the
//! `u` flag is off: a recursive-descent parser over the pattern's code points, its nesting
//! bounded by the caller.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::ast::{Node, Pattern};
use crate::class::{self, CharSet, Property};
use crate::error::SyntaxError;
use crate::{utf8, Flags};

/// Parse `pattern` (UTF-8 by convention) under `flags`.
pub fn parse(pattern: &[u8], flags: Flags, max_nesting: usize) -> Result<Pattern, SyntaxError> {
    let mut src = Vec::new();
    let mut p = 0;
    while let Some((c, n)) = utf8::next(pattern, p) {
        src.push(c);
        p = n;
    }
    let (group_total, has_named) = prescan(&src);
    let mut parser = Parser {
        src,
        pos: 0,
        flags,
        group_total,
        named_groups: has_named || flags.unicode,
        next_group: 1,
        names: Vec::new(),
        named_refs: Vec::new(),
        depth: 0,
        max_nesting,
    };
    let mut node = parser.disjunction()?;
    if parser.pos < parser.src.len() {
        // Only an unmatched `)` stops a top-level disjunction early.
        return Err(parser.error("unmatched ')'"));
    }
    let refs = core::mem::take(&mut parser.named_refs);
    let mut unresolved = None;
    resolve_named(&mut node, &refs, &parser.names, &mut unresolved);
    if let Some(offset) = unresolved {
        return Err(SyntaxError {
            message: "invalid named reference",
            offset,
        });
    }
    Ok(Pattern {
        node,
        group_count: parser.next_group - 1,
        names: parser.names,
    })
}

/// The number of capturing groups and whether any is named, before parsing (a backreference
/// may come before its group).
fn prescan(src: &[u32]) -> (usize, bool) {
    let (mut count, mut named) = (0, false);
    let mut i = 0;
    let mut in_class = false;
    while i < src.len() {
        match ch(src[i]) {
            '\\' => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => {
                if src.get(i + 1) != Some(&u32::from('?')) {
                    count += 1;
                } else if src.get(i + 2) == Some(&u32::from('<'))
                    && !matches!(src.get(i + 3).map(|&c| ch(c)), Some('=' | '!'))
                {
                    count += 1;
                    named = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (count, named)
}

fn ch(c: u32) -> char {
    char::from_u32(c).unwrap_or('\u{FFFD}')
}

/// Named references are numbered `usize::MAX - k` (k: their index in `refs`) until resolved.
fn resolve_named(
    node: &mut Node,
    refs: &[(String, usize)],
    names: &[(String, usize)],
    unresolved: &mut Option<usize>,
) {
    match node {
        Node::BackReference(n) if *n > usize::MAX - refs.len().max(1) => {
            let (name, offset) = &refs[usize::MAX - *n];
            match names.iter().find(|(g, _)| g == name) {
                Some(&(_, index)) => *n = index,
                None => *unresolved = Some(unresolved.unwrap_or(*offset)),
            }
        }
        Node::Concat(v) | Node::Alternation(v) => {
            for n in v {
                resolve_named(n, refs, names, unresolved);
            }
        }
        Node::Capture { node, .. } | Node::Repeat { node, .. } | Node::Look { node, .. } => {
            resolve_named(node, refs, names, unresolved)
        }
        _ => {}
    }
}

/// A class atom: one character or a set (class escapes).
enum ClassAtom {
    Char(u32),
    Set(CharSet),
}

struct Parser {
    src: Vec<u32>,
    pos: usize,
    flags: Flags,
    group_total: usize,
    /// `\k` is a named reference (not an identity escape): `u` mode or a named group exists.
    named_groups: bool,
    next_group: usize,
    names: Vec<(String, usize)>,
    named_refs: Vec<(String, usize)>,
    depth: usize,
    max_nesting: usize,
}

type R<T> = Result<T, SyntaxError>;

impl Parser {
    fn error(&self, message: &'static str) -> SyntaxError {
        SyntaxError {
            message,
            offset: self.pos,
        }
    }

    fn peek(&self) -> Option<char> {
        self.src.get(self.pos).map(|&c| ch(c))
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.src.get(self.pos + k).map(|&c| ch(c))
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn unicode(&self) -> bool {
        self.flags.unicode
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > self.max_nesting {
            return Err(self.error("pattern nested too deeply"));
        }
        Ok(())
    }

    fn disjunction(&mut self) -> R<Node> {
        self.enter()?;
        let mut alternatives = Vec::new();
        loop {
            alternatives.push(self.alternative()?);
            if !self.eat('|') {
                break;
            }
        }
        self.depth -= 1;
        Ok(if alternatives.len() == 1 {
            alternatives.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alternation(alternatives)
        })
    }

    fn alternative(&mut self) -> R<Node> {
        let mut terms = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let term = self.term()?;
            // Adjacent characters stay separate nodes; the compiler emits one instruction each.
            terms.push(term);
        }
        Ok(match terms.len() {
            0 => Node::Empty,
            1 => terms.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(terms),
        })
    }

    fn term(&mut self) -> R<Node> {
        let start = self.pos;
        let groups_before = self.next_group;
        let (node, quantifiable) = match self.peek() {
            Some('^') => {
                self.pos += 1;
                (Node::LineStart, false)
            }
            Some('$') => {
                self.pos += 1;
                (Node::LineEnd, false)
            }
            Some('\\') if matches!(self.peek_at(1), Some('b' | 'B')) => {
                let negated = self.peek_at(1) == Some('B');
                self.pos += 2;
                (Node::WordBoundary { negated }, false)
            }
            Some('(') if self.peek_at(1) == Some('?') => {
                let look = match (self.peek_at(2), self.peek_at(3)) {
                    (Some('='), _) => Some((false, false, 3)),
                    (Some('!'), _) => Some((false, true, 3)),
                    (Some('<'), Some('=')) => Some((true, false, 4)),
                    (Some('<'), Some('!')) => Some((true, true, 4)),
                    _ => None,
                };
                match look {
                    Some((behind, negated, skip)) => {
                        self.pos += skip;
                        let first = self.next_group;
                        let inner = self.disjunction()?;
                        if !self.eat(')') {
                            return Err(self.error("unterminated group"));
                        }
                        let node = Node::Look {
                            node: Box::new(inner),
                            behind,
                            negated,
                            groups: (first, self.next_group),
                        };
                        // Annex B: a lookahead may be quantified without u.
                        (node, !behind && !self.unicode())
                    }
                    None => (self.atom()?, true),
                }
            }
            _ => (self.atom()?, true),
        };
        let Some((min, max, greedy)) = self.quantifier()? else {
            return Ok(node);
        };
        if !quantifiable {
            return Err(SyntaxError {
                message: "nothing to repeat",
                offset: start,
            });
        }
        Ok(Node::Repeat {
            node: Box::new(node),
            min,
            max,
            greedy,
            groups: (groups_before, self.next_group),
        })
    }

    /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each optionally followed by `?` (lazy).
    fn quantifier(&mut self) -> R<Option<(u32, Option<u32>, bool)>> {
        let (min, max) = match self.peek() {
            Some('*') => {
                self.pos += 1;
                (0, None)
            }
            Some('+') => {
                self.pos += 1;
                (1, None)
            }
            Some('?') => {
                self.pos += 1;
                (0, Some(1))
            }
            Some('{') => match self.braces() {
                Some((min, max, end)) => {
                    self.pos = end;
                    if max.is_some_and(|m| m < min) {
                        return Err(self.error("numbers out of order in {} quantifier"));
                    }
                    (min, max)
                }
                None if self.unicode() => return Err(self.error("incomplete quantifier")),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        let greedy = !self.eat('?');
        Ok(Some((min, max, greedy)))
    }

    /// A `{n}`, `{n,}` or `{n,m}` at the current position: bounds and the end offset.
    fn braces(&self) -> Option<(u32, Option<u32>, usize)> {
        let mut i = self.pos + 1;
        let number = |i: &mut usize| -> Option<u32> {
            let start = *i;
            let mut v: u32 = 0;
            while let Some(d) = self.src.get(*i).and_then(|&c| ch(c).to_digit(10)) {
                v = v.saturating_mul(10).saturating_add(d);
                *i += 1;
            }
            (*i > start).then_some(v)
        };
        let min = number(&mut i)?;
        let max = if self.src.get(i) == Some(&u32::from(',')) {
            i += 1;
            if self.src.get(i) == Some(&u32::from('}')) {
                None
            } else {
                Some(number(&mut i)?)
            }
        } else {
            Some(min)
        };
        (self.src.get(i) == Some(&u32::from('}'))).then_some((min, max, i + 1))
    }

    fn atom(&mut self) -> R<Node> {
        let Some(c) = self.peek() else {
            return Err(self.error("unexpected end of pattern"));
        };
        match c {
            '.' => {
                self.pos += 1;
                Ok(Node::Dot)
            }
            '(' => self.group(),
            '[' => self.class(),
            '\\' => self.atom_escape(),
            '*' | '+' | '?' => Err(self.error("nothing to repeat")),
            '{' if self.unicode() || self.braces().is_some() => {
                Err(self.error("nothing to repeat"))
            }
            ']' | '}' if self.unicode() => Err(self.error("lone quantifier brackets")),
            _ => {
                self.pos += 1;
                Ok(Node::Char(self.src[self.pos - 1]))
            }
        }
    }

    fn group(&mut self) -> R<Node> {
        self.pos += 1;
        let mut capture = true;
        let mut name = None;
        if self.eat('?') {
            if self.eat(':') {
                capture = false;
            } else if self.eat('<') {
                let n = self.group_name()?;
                if self.names.iter().any(|(g, _)| *g == n) {
                    return Err(self.error("duplicate capture group name"));
                }
                name = Some(n);
            } else {
                return Err(self.error("invalid group"));
            }
        }
        let index = self.next_group;
        if capture {
            self.next_group += 1;
            if let Some(n) = name {
                self.names.push((n, index));
            }
        }
        let inner = self.disjunction()?;
        if !self.eat(')') {
            return Err(self.error("unterminated group"));
        }
        Ok(if capture {
            Node::Capture {
                index,
                node: Box::new(inner),
            }
        } else {
            inner
        })
    }

    /// A group name after `(?<` or `\k<`, through its `>`.
    fn group_name(&mut self) -> R<String> {
        let mut name = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("invalid capture group name"));
            };
            self.pos += 1;
            if c == '>' {
                break;
            }
            let c = if c == '\\' {
                if !self.eat('u') {
                    return Err(self.error("invalid capture group name"));
                }
                // Group names take surrogate pairs and `\u{…}` in both modes.
                match self.unicode_escape(true)? {
                    Some(c) => ch(c),
                    None => return Err(self.error("invalid Unicode escape")),
                }
            } else {
                c
            };
            let ok = if name.is_empty() {
                is_id_start(c)
            } else {
                is_id_continue(c)
            };
            if !ok {
                return Err(self.error("invalid capture group name"));
            }
            name.push(c);
        }
        if name.is_empty() {
            return Err(self.error("invalid capture group name"));
        }
        Ok(name)
    }

    fn atom_escape(&mut self) -> R<Node> {
        let escape_at = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(self.error("\\ at end of pattern"));
        };
        match c {
            '1'..='9' => {
                let save = self.pos;
                let mut n: usize = 0;
                while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
                    n = n.saturating_mul(10).saturating_add(d as usize);
                    self.pos += 1;
                }
                if n <= self.group_total {
                    return Ok(Node::BackReference(n));
                }
                if self.unicode() {
                    return Err(self.error("invalid escape"));
                }
                // Annex B: not a backreference, so a legacy octal escape or `\8`, `\9`.
                self.pos = save;
                Ok(Node::Char(self.legacy_octal_or_identity()))
            }
            'k' if self.named_groups => {
                self.pos += 1;
                if !self.eat('<') {
                    return Err(self.error("invalid named reference"));
                }
                let name = self.group_name()?;
                let k = self.named_refs.len();
                self.named_refs.push((name, escape_at));
                Ok(Node::BackReference(usize::MAX - k))
            }
            _ => match self.class_or_char_escape(false)? {
                ClassAtom::Char(c) => Ok(Node::Char(c)),
                ClassAtom::Set(set) => Ok(match set.single() {
                    Some(c) => Node::Char(c),
                    None => Node::Set {
                        set,
                        negated: false,
                    },
                }),
            },
        }
    }

    /// Annex B `\0`–`\377` (at most three octal digits, at most 0o377), or `\8`/`\9` as
    /// themselves; the position is after the backslash.
    fn legacy_octal_or_identity(&mut self) -> u32 {
        let Some(first) = self.peek().and_then(|c| c.to_digit(8)) else {
            self.pos += 1;
            return self.src[self.pos - 1];
        };
        self.pos += 1;
        let mut v = first;
        for _ in 0..2 {
            match self.peek().and_then(|c| c.to_digit(8)) {
                Some(d) if v * 8 + d <= 0o377 => {
                    v = v * 8 + d;
                    self.pos += 1;
                }
                _ => break,
            }
        }
        v
    }

    /// An escape after `\` other than a backreference: a class escape (`\d`, `\p{…}`) or a
    /// character escape. `in_class`: inside `[…]`, where `\b` is backspace and `\-` is valid.
    fn class_or_char_escape(&mut self, in_class: bool) -> R<ClassAtom> {
        let Some(c) = self.peek() else {
            return Err(self.error("\\ at end of pattern"));
        };
        self.pos += 1;
        let unicode = self.unicode();
        let icu = self.flags.ignore_case && unicode;
        let set = |s: CharSet, negated: bool| {
            ClassAtom::Set(if negated { s.complement_ranges() } else { s })
        };
        Ok(match c {
            'd' | 'D' => set(class::digits(), c == 'D'),
            's' | 'S' => set(class::spaces(), c == 'S'),
            'w' | 'W' => set(class::word(icu), c == 'W'),
            'p' | 'P' if unicode => ClassAtom::Set(self.property(c == 'P')?),
            'f' => ClassAtom::Char(0x0C),
            'n' => ClassAtom::Char(0x0A),
            'r' => ClassAtom::Char(0x0D),
            't' => ClassAtom::Char(0x09),
            'v' => ClassAtom::Char(0x0B),
            'b' if in_class => ClassAtom::Char(0x08),
            '-' if in_class && unicode => ClassAtom::Char(u32::from('-')),
            // With named groups `\k` is never an identity escape, not even in a class.
            'k' if self.named_groups => return Err(self.error("invalid escape")),
            'c' => {
                let letter = self.peek().filter(|c| {
                    c.is_ascii_alphabetic()
                        || (in_class && !unicode && (c.is_ascii_digit() || *c == '_'))
                });
                match letter {
                    Some(l) => {
                        self.pos += 1;
                        ClassAtom::Char(u32::from(l) % 32)
                    }
                    None if unicode => return Err(self.error("invalid unicode escape")),
                    None => {
                        // Annex B: the backslash is itself and `c` is read again.
                        self.pos -= 1;
                        ClassAtom::Char(u32::from('\\'))
                    }
                }
            }
            '0' if !self.peek().is_some_and(|c| c.is_ascii_digit()) => ClassAtom::Char(0),
            '0'..='9' if unicode => return Err(self.error("invalid class escape")),
            '0'..='9' => {
                self.pos -= 1;
                ClassAtom::Char(self.legacy_octal_or_identity())
            }
            'x' => {
                let hex = self.hex_digits(2);
                match hex {
                    Some(v) => ClassAtom::Char(v),
                    None if unicode => return Err(self.error("invalid escape")),
                    None => ClassAtom::Char(u32::from('x')),
                }
            }
            'u' => match self.unicode_escape(unicode)? {
                Some(v) => ClassAtom::Char(v),
                None if unicode => return Err(self.error("invalid Unicode escape")),
                None => ClassAtom::Char(u32::from('u')),
            },
            _ if unicode => {
                if "^$\\.*+?()[]{}|/".contains(c) {
                    ClassAtom::Char(u32::from(c))
                } else {
                    return Err(self.error("invalid escape"));
                }
            }
            // Annex B identity escape: any other character is itself (`\k` without named
            // groups too).
            _ => ClassAtom::Char(self.src[self.pos - 1]),
        })
    }

    /// `count` hex digits, consumed only if all are there.
    fn hex_digits(&mut self, count: usize) -> Option<u32> {
        let mut v = 0;
        for k in 0..count {
            v = v * 16 + self.peek_at(k)?.to_digit(16)?;
        }
        self.pos += count;
        Some(v)
    }

    /// After `\u`: `XXXX` (a surrogate pair `\uXXXX\uXXXX` is one character), or `{X…}` when
    /// `braces` (u mode, group names). `None` (nothing consumed) if it is not one.
    fn unicode_escape(&mut self, braces: bool) -> R<Option<u32>> {
        if braces && self.peek() == Some('{') {
            let save = self.pos;
            self.pos += 1;
            let mut v: u32 = 0;
            let mut digits = 0;
            while let Some(d) = self.peek().and_then(|c| c.to_digit(16)) {
                v = v.saturating_mul(16).saturating_add(d);
                digits += 1;
                self.pos += 1;
            }
            if digits == 0 || !self.eat('}') {
                self.pos = save;
                return Ok(None);
            }
            if v > class::MAX_CHAR {
                return Err(self.error("Unicode escape out of range"));
            }
            return Ok(Some(v));
        }
        let Some(hi) = self.hex_digits(4) else {
            return Ok(None);
        };
        if (0xD800..0xDC00).contains(&hi)
            && self.peek() == Some('\\')
            && self.peek_at(1) == Some('u')
        {
            let save = self.pos;
            self.pos += 2;
            match self.hex_digits(4) {
                Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                    return Ok(Some(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)));
                }
                _ => self.pos = save,
            }
        }
        Ok(Some(hi))
    }

    /// After `\p` or `\P`: `{Name}` or `{Name=Value}`.
    fn property(&mut self, negated: bool) -> R<CharSet> {
        if !self.eat('{') {
            return Err(self.error("invalid property name"));
        }
        let mut text = String::new();
        loop {
            match self.peek() {
                Some('}') => {
                    self.pos += 1;
                    break;
                }
                Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '=' => {
                    text.push(c);
                    self.pos += 1;
                }
                _ => return Err(self.error("invalid property name")),
            }
        }
        let (name, value) = match text.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (text.as_str(), None),
        };
        match Property::from_name(name, value) {
            Some(p) => Ok(CharSet::property(p, negated)),
            None => Err(self.error(
                "unsupported Unicode property (Ferrite knows Any, ASCII, ASCII_Hex_Digit, Alphabetic, Lowercase, Uppercase, White_Space, N and Cc)",
            )),
        }
    }

    fn class(&mut self) -> R<Node> {
        self.pos += 1;
        let negated = self.eat('^');
        let mut set = CharSet::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated character class")),
                Some(']') => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            let first = self.class_atom()?;
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|c| c != ']') {
                self.pos += 1;
                let second = self.class_atom()?;
                match (first, second) {
                    (ClassAtom::Char(a), ClassAtom::Char(b)) => {
                        if a > b {
                            return Err(self.error("range out of order in character class"));
                        }
                        set.add_range(a, b);
                    }
                    _ if self.unicode() => {
                        return Err(self.error("invalid character class range"));
                    }
                    (a, b) => {
                        // Annex B: `[\d-x]` is \d, `-` and x.
                        for atom in [a, ClassAtom::Char(u32::from('-')), b] {
                            match atom {
                                ClassAtom::Char(c) => set.add(c),
                                ClassAtom::Set(s) => set.union(&s),
                            }
                        }
                    }
                }
            } else {
                match first {
                    ClassAtom::Char(c) => set.add(c),
                    ClassAtom::Set(s) => set.union(&s),
                }
            }
        }
        Ok(Node::Set { set, negated })
    }

    fn class_atom(&mut self) -> R<ClassAtom> {
        let Some(c) = self.peek() else {
            return Err(self.error("unterminated character class"));
        };
        if c == '\\' {
            self.pos += 1;
            return self.class_or_char_escape(true);
        }
        self.pos += 1;
        Ok(ClassAtom::Char(self.src[self.pos - 1]))
    }
}

fn is_id_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '$' || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

fn is_id_continue(c: char) -> bool {
    is_id_start(c)
        || c.is_ascii_digit()
        || c == '\u{200C}'
        || c == '\u{200D}'
        || (!c.is_ascii() && (c.is_alphanumeric() || ('\u{300}'..='\u{36F}').contains(&c)))
}
