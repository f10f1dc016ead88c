//! The lexer: turns JavaScript source text (UTF-8 bytes) into [`Token`]s, one at a time.
//!
//! The lexer is driven by the [`crate::parser`]: it produces one token per call to
//! [`Lexer::next_token`], and the parser asks for a re-scan where the meaning of a character
//! depends on the grammar: a `/` where an expression may start is a regular expression
//! ([`Lexer::rescan_regex`]), and a `}` that closes a template substitution continues the
//! template ([`Lexer::rescan_template`]).
//!
//! Strings are byte strings: string literal values are `Vec<u8>`, source UTF-8 is copied as is,
//! `\xHH` is the raw byte `HH`, and `\u` escapes are encoded as UTF-8 (lone surrogates as
//! 3-byte WTF-8 sequences, consecutive surrogate pairs combined into one code point).
//!
//! The lexer does not know about strict mode: it flags legacy octal literals and escapes on the
//! token ([`Token::legacy_octal`]) and the parser rejects them in strict code.
//!
//! [`number_to_string`] (ECMAScript `Number::toString`) lives here too, for the parser's
//! canonical numeric property keys and for the VM.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::ast::Pos;
use crate::parser::SyntaxError;

/// Punctuators (operators and delimiters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punct {
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    Ellipsis,
    Semi,
    Comma,
    Question,
    QuestionDot,
    Colon,
    Arrow,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    StrictEq,
    StrictNe,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    StarStar,
    Inc,
    Dec,
    Shl,
    Shr,
    UShr,
    BitAnd,
    BitOr,
    BitXor,
    Not,
    BitNot,
    And,
    Or,
    Nullish,
    Assign,
    AddAssign,
    SubAssign,
    MulAssign,
    DivAssign,
    ModAssign,
    ExpAssign,
    ShlAssign,
    ShrAssign,
    UShrAssign,
    BitAndAssign,
    BitOrAssign,
    BitXorAssign,
    AndAssign,
    OrAssign,
    NullishAssign,
}

impl Punct {
    /// The punctuator's source text.
    pub fn as_str(self) -> &'static str {
        use Punct::*;
        match self {
            LBrace => "{",
            RBrace => "}",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            Dot => ".",
            Ellipsis => "...",
            Semi => ";",
            Comma => ",",
            Question => "?",
            QuestionDot => "?.",
            Colon => ":",
            Arrow => "=>",
            Lt => "<",
            Gt => ">",
            Le => "<=",
            Ge => ">=",
            Eq => "==",
            Ne => "!=",
            StrictEq => "===",
            StrictNe => "!==",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            StarStar => "**",
            Inc => "++",
            Dec => "--",
            Shl => "<<",
            Shr => ">>",
            UShr => ">>>",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Not => "!",
            BitNot => "~",
            And => "&&",
            Or => "||",
            Nullish => "??",
            Assign => "=",
            AddAssign => "+=",
            SubAssign => "-=",
            MulAssign => "*=",
            DivAssign => "/=",
            ModAssign => "%=",
            ExpAssign => "**=",
            ShlAssign => "<<=",
            ShrAssign => ">>=",
            UShrAssign => ">>>=",
            BitAndAssign => "&=",
            BitOrAssign => "|=",
            BitXorAssign => "^=",
            AndAssign => "&&=",
            OrAssign => "||=",
            NullishAssign => "??=",
        }
    }
}

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum TokKind {
    Eof,
    /// An identifier or keyword (escapes decoded; see [`Token::escaped`]).
    Name(String),
    /// `#name` (class private names; the parser rejects them).
    PrivateName(String),
    Punct(Punct),
    Num(f64),
    Str(Vec<u8>),
    /// A template chunk: `` `…` `` / `` `…${ `` (start) or `` }…` `` / `` }…${ `` (after a
    /// re-scan). `cooked` is `None` if the chunk contains an invalid escape; `tail` is true if the
    /// chunk ends the template (with a backtick).
    Template {
        cooked: Option<Vec<u8>>,
        raw: Vec<u8>,
        tail: bool,
    },
    Regex {
        pattern: Vec<u8>,
        flags: Vec<u8>,
    },
}

/// One token with its source range and position.
#[derive(Clone, Debug)]
pub struct Token {
    pub kind: TokKind,
    /// Byte offsets of the token in the source.
    pub start: u32,
    pub end: u32,
    pub pos: Pos,
    /// A line terminator precedes the token (for ASI and restricted productions).
    pub nl_before: bool,
    /// A name token containing `\u` escapes (so it can't be used as a keyword).
    pub escaped: bool,
    /// A legacy octal literal (`017`, `08`) or a string with an octal escape (`"\07"`, `"\8"`):
    /// a SyntaxError in strict code.
    pub legacy_octal: bool,
}

/// The tokenizer state. Cheap to clone (for look-ahead).
#[derive(Clone)]
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
}

/// Decodes the UTF-8 character at `src[at..]`: `Some((char, byte length))`, `None` if invalid.
fn decode_char(src: &[u8], at: usize) -> Option<(char, usize)> {
    let lead = *src.get(at)?;
    let len = match lead {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let bytes = src.get(at..at.checked_add(len)?)?;
    let c = core::str::from_utf8(bytes).ok()?.chars().next()?;
    Some((c, len))
}

/// JavaScript whitespace other than line terminators (incl. the Unicode `Zs` category).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{0B}' | '\u{0C}' | ' ' | '\u{A0}' | '\u{FEFF}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// `ID_Start` (approximated with `char::is_alphabetic`), plus `$` and `_`.
pub fn is_id_start(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic() || c == '$' || c == '_';
    }
    (c.is_alphabetic() && c != '\u{2E2F}')
        || matches!(
            c,
            '\u{2118}' | '\u{212E}' | '\u{309B}' | '\u{309C}' | '\u{1885}' | '\u{1886}'
        )
}

/// `ID_Continue` (approximated), plus `$`, ZWNJ and ZWJ.
pub fn is_id_continue(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '$' || c == '_';
    }
    is_id_start(c)
        || (c.is_alphanumeric() && c != '\u{2E2F}')
        || matches!(
            c,
            '\u{200C}'
                | '\u{200D}'
                | '\u{B7}'
                | '\u{387}'
                | '\u{1369}'..='\u{1371}'
                | '\u{19DA}'
                | '\u{300}'..='\u{36F}'
                | '\u{483}'..='\u{487}'
                | '\u{591}'..='\u{5BD}'
                | '\u{610}'..='\u{61A}'
                | '\u{64B}'..='\u{65F}'
                | '\u{900}'..='\u{903}'
                | '\u{93A}'..='\u{94F}'
                | '\u{1AB0}'..='\u{1AFF}'
                | '\u{1DC0}'..='\u{1DFF}'
                | '\u{20D0}'..='\u{20DC}'
                | '\u{20E1}'
                | '\u{20E5}'..='\u{20F0}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FE20}'..='\u{FE2F}'
                | '\u{203F}'
                | '\u{2040}'
                | '\u{2054}'
                | '\u{FE33}'
                | '\u{FE34}'
                | '\u{FE4D}'..='\u{FE4F}'
                | '\u{FF3F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// Appends the code point `cp` (`<= 0x10FFFF`, surrogates allowed) as UTF-8 / WTF-8.
pub fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    if cp < 0x80 {
        out.push(cp as u8);
    } else if cp < 0x800 {
        out.push(0xc0 | (cp >> 6) as u8);
        out.push(0x80 | (cp & 0x3f) as u8);
    } else if cp < 0x10000 {
        out.push(0xe0 | (cp >> 12) as u8);
        out.push(0x80 | ((cp >> 6) & 0x3f) as u8);
        out.push(0x80 | (cp & 0x3f) as u8);
    } else {
        out.push(0xf0 | ((cp >> 18) & 0x07) as u8);
        out.push(0x80 | ((cp >> 12) & 0x3f) as u8);
        out.push(0x80 | ((cp >> 6) & 0x3f) as u8);
        out.push(0x80 | (cp & 0x3f) as u8);
    }
}

fn hex_val(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'f' => Some(u32::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(b - b'A' + 10)),
        _ => None,
    }
}

/// Where an escape sequence appears: strings report bad escapes as errors, templates mark the
/// cooked value as invalid (a SyntaxError only for untagged templates).
#[derive(Clone, Copy, PartialEq, Eq)]
enum EscapeCtx {
    String,
    Template,
}

impl<'a> Lexer<'a> {
    /// A lexer over `src`, skipping a leading hashbang comment (`#!…`).
    pub fn new(src: &'a [u8]) -> Lexer<'a> {
        let mut lexer = Lexer {
            src,
            pos: 0,
            line: 1,
            line_start: 0,
        };
        if src.starts_with(b"#!") {
            lexer.pos = 2;
            while lexer.pos < src.len() && !lexer.at_line_terminator() {
                lexer.pos += 1;
            }
        }
        lexer
    }

    /// The current position (1-based line, 1-based byte column).
    pub fn cur_pos(&self) -> Pos {
        let col = self.pos.saturating_sub(self.line_start).saturating_add(1);
        Pos {
            line: self.line,
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }

    fn error_at(pos: Pos, message: &str) -> SyntaxError {
        SyntaxError {
            message: String::from(message),
            line: pos.line,
            col: pos.col,
        }
    }

    fn error(&self, message: &str) -> SyntaxError {
        Self::error_at(self.cur_pos(), message)
    }

    fn byte(&self, offset: usize) -> Option<u8> {
        self.src.get(self.pos.checked_add(offset)?).copied()
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.src
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(s))
    }

    /// At `\n`, `\r`, U+2028 or U+2029.
    fn at_line_terminator(&self) -> bool {
        match self.byte(0) {
            Some(b'\n' | b'\r') => true,
            Some(0xe2) => {
                self.starts_with("\u{2028}".as_bytes()) || self.starts_with("\u{2029}".as_bytes())
            }
            _ => false,
        }
    }

    /// Consumes one line terminator (CR LF counts as one) and starts a new line.
    fn consume_line_terminator(&mut self) {
        match self.byte(0) {
            Some(b'\r') => {
                self.pos += 1;
                if self.byte(0) == Some(b'\n') {
                    self.pos += 1;
                }
            }
            Some(b'\n') => self.pos += 1,
            _ => self.pos += 3,
        }
        self.line = self.line.saturating_add(1);
        self.line_start = self.pos;
    }

    /// Skips whitespace and comments; returns whether a line terminator was crossed.
    fn skip_trivia(&mut self) -> Result<bool, SyntaxError> {
        let mut newline = false;
        while let Some(b) = self.byte(0) {
            match b {
                b' ' | b'\t' | 0x0b | 0x0c => self.pos += 1,
                b'\n' | b'\r' => {
                    self.consume_line_terminator();
                    newline = true;
                }
                b'/' if self.byte(1) == Some(b'/') => {
                    self.pos += 2;
                    while self.pos < self.src.len() && !self.at_line_terminator() {
                        self.skip_comment_char()?;
                    }
                }
                b'/' if self.byte(1) == Some(b'*') => {
                    let start = self.cur_pos();
                    self.pos += 2;
                    loop {
                        if self.pos >= self.src.len() {
                            return Err(Self::error_at(start, "unterminated comment"));
                        }
                        if self.starts_with(b"*/") {
                            self.pos += 2;
                            break;
                        }
                        if self.at_line_terminator() {
                            self.consume_line_terminator();
                            newline = true;
                        } else {
                            self.skip_comment_char()?;
                        }
                    }
                }
                0x80.. => match decode_char(self.src, self.pos) {
                    Some(('\u{2028}' | '\u{2029}', _)) => {
                        self.consume_line_terminator();
                        newline = true;
                    }
                    Some((c, len)) if is_js_space(c) => self.pos += len,
                    _ => break,
                },
                _ => break,
            }
        }
        Ok(newline)
    }

    /// Skips one (valid UTF-8) character inside a comment.
    fn skip_comment_char(&mut self) -> Result<(), SyntaxError> {
        match self.byte(0) {
            Some(0x80..) => match decode_char(self.src, self.pos) {
                Some((_, len)) => self.pos += len,
                None => return Err(self.error("invalid UTF-8 in source")),
            },
            _ => self.pos += 1,
        }
        Ok(())
    }

    fn make_token(&self, kind: TokKind, start: usize, pos: Pos, nl_before: bool) -> Token {
        Token {
            kind,
            start: start as u32,
            end: self.pos as u32,
            pos,
            nl_before,
            escaped: false,
            legacy_octal: false,
        }
    }

    /// Scans the next token (a `/` is always a division punctuator here).
    pub fn next_token(&mut self) -> Result<Token, SyntaxError> {
        let nl_before = self.skip_trivia()?;
        let start = self.pos;
        let pos = self.cur_pos();
        let Some(b) = self.byte(0) else {
            return Ok(self.make_token(TokKind::Eof, start, pos, nl_before));
        };
        let mut escaped = false;
        let mut legacy_octal = false;
        let kind = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'$' | b'_' | b'\\' | 0x80.. => {
                if b >= 0x80 {
                    match decode_char(self.src, self.pos) {
                        Some((c, _)) if is_id_start(c) => {}
                        Some(_) => return Err(self.error("unexpected character")),
                        None => return Err(self.error("invalid UTF-8 in source")),
                    }
                }
                let (name, esc) = self.scan_ident_name()?;
                escaped = esc;
                TokKind::Name(name)
            }
            b'0'..=b'9' => {
                let (n, octal) = self.scan_number()?;
                legacy_octal = octal;
                TokKind::Num(n)
            }
            b'.' if self.byte(1).is_some_and(|d| d.is_ascii_digit()) => {
                let (n, _) = self.scan_number()?;
                TokKind::Num(n)
            }
            b'"' | b'\'' => {
                let (s, octal) = self.scan_string(b)?;
                legacy_octal = octal;
                TokKind::Str(s)
            }
            b'`' => {
                self.pos += 1;
                return self.scan_template_chunk(start, pos, nl_before);
            }
            b'#' => {
                self.pos += 1;
                match self.byte(0) {
                    Some(b'a'..=b'z' | b'A'..=b'Z' | b'$' | b'_' | b'\\' | 0x80..) => {
                        let (name, _) = self.scan_ident_name()?;
                        TokKind::PrivateName(name)
                    }
                    _ => return Err(Self::error_at(pos, "unexpected character '#'")),
                }
            }
            _ => TokKind::Punct(self.scan_punct()?),
        };
        let mut token = self.make_token(kind, start, pos, nl_before);
        token.escaped = escaped;
        token.legacy_octal = legacy_octal;
        Ok(token)
    }

    fn scan_punct(&mut self) -> Result<Punct, SyntaxError> {
        use Punct::*;
        let b0 = self.byte(0).unwrap_or(0);
        let b1 = self.byte(1).unwrap_or(0);
        let b2 = self.byte(2).unwrap_or(0);
        let b3 = self.byte(3).unwrap_or(0);
        let (p, len) = match b0 {
            b'{' => (LBrace, 1),
            b'}' => (RBrace, 1),
            b'(' => (LParen, 1),
            b')' => (RParen, 1),
            b'[' => (LBracket, 1),
            b']' => (RBracket, 1),
            b';' => (Semi, 1),
            b',' => (Comma, 1),
            b':' => (Colon, 1),
            b'~' => (BitNot, 1),
            b'.' if b1 == b'.' && b2 == b'.' => (Ellipsis, 3),
            b'.' => (Dot, 1),
            b'?' => match (b1, b2) {
                (b'?', b'=') => (NullishAssign, 3),
                (b'?', _) => (Nullish, 2),
                (b'.', d) if !d.is_ascii_digit() => (QuestionDot, 2),
                _ => (Question, 1),
            },
            b'<' => match (b1, b2) {
                (b'<', b'=') => (ShlAssign, 3),
                (b'<', _) => (Shl, 2),
                (b'=', _) => (Le, 2),
                _ => (Lt, 1),
            },
            b'>' => match (b1, b2, b3) {
                (b'>', b'>', b'=') => (UShrAssign, 4),
                (b'>', b'>', _) => (UShr, 3),
                (b'>', b'=', _) => (ShrAssign, 3),
                (b'>', _, _) => (Shr, 2),
                (b'=', _, _) => (Ge, 2),
                _ => (Gt, 1),
            },
            b'=' => match (b1, b2) {
                (b'=', b'=') => (StrictEq, 3),
                (b'=', _) => (Eq, 2),
                (b'>', _) => (Arrow, 2),
                _ => (Assign, 1),
            },
            b'!' => match (b1, b2) {
                (b'=', b'=') => (StrictNe, 3),
                (b'=', _) => (Ne, 2),
                _ => (Not, 1),
            },
            b'+' => match b1 {
                b'+' => (Inc, 2),
                b'=' => (AddAssign, 2),
                _ => (Plus, 1),
            },
            b'-' => match b1 {
                b'-' => (Dec, 2),
                b'=' => (SubAssign, 2),
                _ => (Minus, 1),
            },
            b'*' => match (b1, b2) {
                (b'*', b'=') => (ExpAssign, 3),
                (b'*', _) => (StarStar, 2),
                (b'=', _) => (MulAssign, 2),
                _ => (Star, 1),
            },
            b'/' => match b1 {
                b'=' => (DivAssign, 2),
                _ => (Slash, 1),
            },
            b'%' => match b1 {
                b'=' => (ModAssign, 2),
                _ => (Percent, 1),
            },
            b'&' => match (b1, b2) {
                (b'&', b'=') => (AndAssign, 3),
                (b'&', _) => (And, 2),
                (b'=', _) => (BitAndAssign, 2),
                _ => (BitAnd, 1),
            },
            b'|' => match (b1, b2) {
                (b'|', b'=') => (OrAssign, 3),
                (b'|', _) => (Or, 2),
                (b'=', _) => (BitOrAssign, 2),
                _ => (BitOr, 1),
            },
            b'^' => match b1 {
                b'=' => (BitXorAssign, 2),
                _ => (BitXor, 1),
            },
            _ => return Err(self.error("unexpected character")),
        };
        self.pos += len;
        Ok(p)
    }

    /// Scans an IdentifierName (with `\u` escapes) at the current position.
    fn scan_ident_name(&mut self) -> Result<(String, bool), SyntaxError> {
        let mut name = String::new();
        let mut escaped = false;
        loop {
            let first = name.is_empty();
            let Some(b) = self.byte(0) else { break };
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'$' | b'_' => {
                    name.push(b as char);
                    self.pos += 1;
                }
                b'0'..=b'9' if !first => {
                    name.push(b as char);
                    self.pos += 1;
                }
                b'\\' => {
                    let esc_pos = self.cur_pos();
                    if self.byte(1) != Some(b'u') {
                        return Err(Self::error_at(esc_pos, "invalid escape in identifier"));
                    }
                    self.pos += 2;
                    let c = self
                        .scan_unicode_escape_body()
                        .and_then(char::from_u32)
                        .ok_or_else(|| Self::error_at(esc_pos, "invalid Unicode escape"))?;
                    let ok = if first {
                        is_id_start(c)
                    } else {
                        is_id_continue(c)
                    };
                    if !ok {
                        return Err(Self::error_at(esc_pos, "invalid identifier escape"));
                    }
                    name.push(c);
                    escaped = true;
                }
                0x80.. => match decode_char(self.src, self.pos) {
                    Some((c, len)) => {
                        let ok = if first {
                            is_id_start(c)
                        } else {
                            is_id_continue(c)
                        };
                        if !ok {
                            break;
                        }
                        name.push(c);
                        self.pos += len;
                    }
                    None => return Err(self.error("invalid UTF-8 in source")),
                },
                _ => break,
            }
        }
        Ok((name, escaped))
    }

    /// After `\u`: `XXXX` or `{X…}`. Returns the code point (`<= 0x10FFFF`), consuming it.
    fn scan_unicode_escape_body(&mut self) -> Option<u32> {
        if self.byte(0) == Some(b'{') {
            let mut p = self.pos + 1;
            let mut value: u32 = 0;
            let mut digits = 0;
            loop {
                let b = *self.src.get(p)?;
                if b == b'}' {
                    break;
                }
                value = value.checked_mul(16)?.checked_add(hex_val(b)?)?;
                if value > 0x10ffff {
                    return None;
                }
                digits += 1;
                p += 1;
            }
            if digits == 0 {
                return None;
            }
            self.pos = p + 1;
            Some(value)
        } else {
            let mut value = 0;
            for i in 0..4 {
                value = value * 16 + hex_val(self.byte(i)?)?;
            }
            self.pos += 4;
            Some(value)
        }
    }

    /// Scans a run of digits of `radix` with numeric separators into `out`; returns the count.
    fn scan_digits(&mut self, radix: u32, out: &mut Vec<u8>) -> Result<usize, SyntaxError> {
        let mut count = 0;
        while let Some(b) = self.byte(0) {
            if (b as char).is_digit(radix) {
                out.push(b);
                count += 1;
                self.pos += 1;
            } else if b == b'_' {
                let next_ok = self.byte(1).is_some_and(|n| (n as char).is_digit(radix));
                if count == 0 || !next_ok {
                    return Err(self.error("invalid numeric separator"));
                }
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(count)
    }

    /// Scans a numeric literal; returns its value and whether it is a legacy octal / non-octal
    /// decimal with a leading zero.
    fn scan_number(&mut self) -> Result<(f64, bool), SyntaxError> {
        let start_pos = self.cur_pos();
        let b0 = self.byte(0).unwrap_or(0);
        let b1 = self.byte(1).unwrap_or(0);
        let mut legacy = false;
        let value;
        if b0 == b'0' && matches!(b1, b'x' | b'X' | b'o' | b'O' | b'b' | b'B') {
            let radix = match b1 {
                b'x' | b'X' => 16,
                b'o' | b'O' => 8,
                _ => 2,
            };
            self.pos += 2;
            let mut digits = Vec::new();
            if self.scan_digits(radix, &mut digits)? == 0 {
                // `0x_1` and `0x` alike.
                return Err(Self::error_at(
                    start_pos,
                    "missing digits in numeric literal",
                ));
            }
            value = radix_value(&digits, radix);
        } else if b0 == b'0' && b1.is_ascii_digit() {
            // Legacy octal (`017`) or non-octal decimal (`089`): no separators allowed.
            legacy = true;
            let start = self.pos;
            while self.byte(0).is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            let digits = &self.src[start..self.pos];
            if digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                value = radix_value(digits, 8);
            } else {
                let mut text = digits.to_vec();
                self.scan_fraction_and_exponent(&mut text)?;
                value = parse_decimal(&text).ok_or_else(|| self.error("invalid number"))?;
            }
        } else {
            let mut text = Vec::new();
            if b0 == b'0' && b1 == b'_' {
                return Err(self.error("invalid numeric separator"));
            }
            if b0 != b'.' {
                self.scan_digits(10, &mut text)?;
            }
            self.scan_fraction_and_exponent(&mut text)?;
            value = parse_decimal(&text).ok_or_else(|| self.error("invalid number"))?;
        }
        match self.byte(0) {
            Some(b'n') => return Err(Self::error_at(start_pos, "BigInt is not supported")),
            Some(b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'$' | b'_' | b'\\') => {
                return Err(self.error("identifier starts immediately after numeric literal"))
            }
            Some(0x80..) => {
                if let Some((c, _)) = decode_char(self.src, self.pos) {
                    if is_id_start(c) {
                        return Err(
                            self.error("identifier starts immediately after numeric literal")
                        );
                    }
                }
            }
            _ => {}
        }
        Ok((value, legacy))
    }

    /// `.digits` and `e±digits` of a decimal literal, appended to `text`.
    fn scan_fraction_and_exponent(&mut self, text: &mut Vec<u8>) -> Result<(), SyntaxError> {
        if self.byte(0) == Some(b'.') {
            self.pos += 1;
            text.push(b'.');
            if self.byte(0) == Some(b'_') {
                return Err(self.error("invalid numeric separator"));
            }
            self.scan_digits(10, text)?;
        }
        if matches!(self.byte(0), Some(b'e' | b'E')) {
            self.pos += 1;
            text.push(b'e');
            if let Some(sign @ (b'+' | b'-')) = self.byte(0) {
                text.push(sign);
                self.pos += 1;
            }
            if self.scan_digits(10, text)? == 0 {
                return Err(self.error("missing exponent digits"));
            }
        }
        Ok(())
    }

    /// Scans a string literal (at the opening quote); returns its bytes and whether it contains
    /// a legacy octal escape (or `\8`, `\9`).
    fn scan_string(&mut self, quote: u8) -> Result<(Vec<u8>, bool), SyntaxError> {
        let start_pos = self.cur_pos();
        self.pos += 1;
        let mut out = Vec::new();
        let mut octal = false;
        loop {
            let Some(b) = self.byte(0) else {
                return Err(Self::error_at(start_pos, "unterminated string literal"));
            };
            match b {
                b'\\' => {
                    self.scan_escape(&mut out, EscapeCtx::String, &mut octal)?;
                }
                b'\n' | b'\r' => {
                    return Err(Self::error_at(start_pos, "unterminated string literal"))
                }
                _ if b == quote => {
                    self.pos += 1;
                    return Ok((out, octal));
                }
                0xe2 if self.at_line_terminator() => {
                    // U+2028 / U+2029 are allowed in string literals; count the line.
                    out.extend_from_slice(&self.src[self.pos..self.pos + 3]);
                    self.consume_line_terminator();
                }
                _ => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// Scans an escape sequence at a backslash, appending its value to `out`. Returns false
    /// (in templates only) for an invalid escape; sets `octal` for legacy octal escapes.
    fn scan_escape(
        &mut self,
        out: &mut Vec<u8>,
        ctx: EscapeCtx,
        octal: &mut bool,
    ) -> Result<bool, SyntaxError> {
        let esc_pos = self.cur_pos();
        let esc_start = self.pos;
        self.pos += 1;
        let Some(c) = self.byte(0) else {
            return Err(self.error("unterminated literal"));
        };
        // An invalid escape: an error in strings, an uncookable template chunk in templates.
        let invalid = |lexer: &mut Lexer, message: &str| {
            if ctx == EscapeCtx::Template {
                lexer.pos = esc_start + 2;
                Ok(false)
            } else {
                Err(Self::error_at(esc_pos, message))
            }
        };
        match c {
            b'\n' | b'\r' => self.consume_line_terminator(),
            b'n' | b't' | b'r' | b'b' | b'f' | b'v' => {
                out.push(match c {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    _ => 0x0b,
                });
                self.pos += 1;
            }
            b'0' if !self.byte(1).is_some_and(|d| d.is_ascii_digit()) => {
                out.push(0);
                self.pos += 1;
            }
            b'0'..=b'7' => {
                if ctx == EscapeCtx::Template {
                    return invalid(self, "");
                }
                *octal = true;
                let max_len = if c <= b'3' { 3 } else { 2 };
                let mut value: u32 = 0;
                let mut len = 0;
                while len < max_len {
                    match self.byte(0) {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            self.pos += 1;
                            len += 1;
                        }
                        _ => break,
                    }
                }
                out.push(value as u8);
            }
            b'8' | b'9' => {
                if ctx == EscapeCtx::Template {
                    return invalid(self, "");
                }
                *octal = true;
                out.push(c);
                self.pos += 1;
            }
            b'x' => {
                let hi = self.byte(1).and_then(hex_val);
                let lo = self.byte(2).and_then(hex_val);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => {
                        out.push((hi * 16 + lo) as u8);
                        self.pos += 3;
                    }
                    _ => return invalid(self, "invalid hexadecimal escape sequence"),
                }
            }
            b'u' => {
                self.pos += 1;
                let Some(mut cp) = self.scan_unicode_escape_body() else {
                    return invalid(self, "invalid Unicode escape sequence");
                };
                if (0xd800..0xdc00).contains(&cp) && self.starts_with(b"\\u") {
                    // A high surrogate followed by an escaped low surrogate: combine them.
                    let mut ahead = self.clone();
                    ahead.pos += 2;
                    if let Some(low) = ahead.scan_unicode_escape_body() {
                        if (0xdc00..0xe000).contains(&low) {
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                            self.pos = ahead.pos;
                        }
                    }
                }
                push_code_point(out, cp);
            }
            0x80.. => {
                if self.at_line_terminator() {
                    self.consume_line_terminator();
                } else {
                    let len = decode_char(self.src, self.pos).map_or(1, |(_, len)| len);
                    out.extend_from_slice(&self.src[self.pos..self.pos + len]);
                    self.pos += len;
                }
            }
            _ => {
                out.push(c);
                self.pos += 1;
            }
        }
        Ok(true)
    }

    /// Scans template characters from the current position (just after `` ` `` or `}`) through
    /// the closing `` ` `` or `${`.
    fn scan_template_chunk(
        &mut self,
        start: usize,
        pos: Pos,
        nl_before: bool,
    ) -> Result<Token, SyntaxError> {
        let mut cooked = Vec::new();
        let mut raw = Vec::new();
        let mut valid = true;
        let mut ignored_octal = false;
        let tail;
        loop {
            let Some(b) = self.byte(0) else {
                return Err(Self::error_at(pos, "unterminated template literal"));
            };
            match b {
                b'`' => {
                    self.pos += 1;
                    tail = true;
                    break;
                }
                b'$' if self.byte(1) == Some(b'{') => {
                    self.pos += 2;
                    tail = false;
                    break;
                }
                b'\\' => {
                    let esc_start = self.pos;
                    valid &=
                        self.scan_escape(&mut cooked, EscapeCtx::Template, &mut ignored_octal)?;
                    push_normalized(&mut raw, &self.src[esc_start..self.pos]);
                }
                b'\r' | b'\n' => {
                    self.consume_line_terminator();
                    cooked.push(b'\n');
                    raw.push(b'\n');
                }
                0xe2 if self.at_line_terminator() => {
                    cooked.extend_from_slice(&self.src[self.pos..self.pos + 3]);
                    raw.extend_from_slice(&self.src[self.pos..self.pos + 3]);
                    self.consume_line_terminator();
                }
                _ => {
                    cooked.push(b);
                    raw.push(b);
                    self.pos += 1;
                }
            }
        }
        let kind = TokKind::Template {
            cooked: if valid { Some(cooked) } else { None },
            raw,
            tail,
        };
        Ok(self.make_token(kind, start, pos, nl_before))
    }

    /// Re-scans the `}` token `brace` as the continuation of a template literal.
    pub fn rescan_template(&mut self, brace: &Token) -> Result<Token, SyntaxError> {
        self.pos = brace.end as usize;
        self.scan_template_chunk(brace.start as usize, brace.pos, brace.nl_before)
    }

    /// Re-scans the `/` or `/=` token `slash` as a regular expression literal.
    pub fn rescan_regex(&mut self, slash: &Token) -> Result<Token, SyntaxError> {
        let start = slash.start as usize;
        self.pos = start + 1;
        let mut in_class = false;
        loop {
            let Some(b) = self.byte(0) else {
                return Err(Self::error_at(slash.pos, "unterminated regular expression"));
            };
            if self.at_line_terminator() {
                return Err(Self::error_at(slash.pos, "unterminated regular expression"));
            }
            match b {
                b'\\' => {
                    self.pos += 1;
                    if self.pos >= self.src.len() || self.at_line_terminator() {
                        return Err(Self::error_at(slash.pos, "unterminated regular expression"));
                    }
                    self.pos += 1;
                }
                b'[' => {
                    in_class = true;
                    self.pos += 1;
                }
                b']' => {
                    in_class = false;
                    self.pos += 1;
                }
                b'/' if !in_class => break,
                0x80.. => match decode_char(self.src, self.pos) {
                    Some((_, len)) => self.pos += len,
                    None => return Err(self.error("invalid UTF-8 in source")),
                },
                _ => self.pos += 1,
            }
        }
        let pattern = self.src[start + 1..self.pos].to_vec();
        self.pos += 1;
        let mut flags = Vec::new();
        while let Some(b) = self.byte(0) {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'$' | b'_' => {
                    flags.push(b);
                    self.pos += 1;
                }
                b'\\' => return Err(self.error("invalid regular expression flags")),
                0x80.. => match decode_char(self.src, self.pos) {
                    Some((c, _)) if is_id_continue(c) => {
                        return Err(self.error("invalid regular expression flags"))
                    }
                    _ => break,
                },
                _ => break,
            }
        }
        for (i, f) in flags.iter().enumerate() {
            if !b"dgimsuvy".contains(f) || flags[..i].contains(f) {
                return Err(Self::error_at(
                    slash.pos,
                    "invalid regular expression flags",
                ));
            }
        }
        if flags.contains(&b'u') && flags.contains(&b'v') {
            return Err(Self::error_at(
                slash.pos,
                "invalid regular expression flags",
            ));
        }
        Ok(self.make_token(
            TokKind::Regex { pattern, flags },
            start,
            slash.pos,
            slash.nl_before,
        ))
    }
}

/// Appends template raw text, normalizing CR LF and CR to LF.
fn push_normalized(out: &mut Vec<u8>, text: &[u8]) {
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\r' {
            out.push(b'\n');
            if text.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(text[i]);
        }
        i += 1;
    }
}

/// The value of ASCII digits in `radix` (correctly rounded when it exceeds 2^53).
fn radix_value(digits: &[u8], radix: u32) -> f64 {
    let mut exact: Option<u128> = Some(0);
    let mut approx = 0.0f64;
    for &d in digits {
        let v = (d as char).to_digit(radix).unwrap_or(0);
        exact = exact
            .and_then(|e| e.checked_mul(u128::from(radix)))
            .and_then(|e| e.checked_add(u128::from(v)));
        approx = approx * f64::from(radix) + f64::from(v);
    }
    match exact {
        Some(e) => e as f64,
        None => approx,
    }
}

/// Parses decimal digits with an optional fraction and exponent (no separators).
fn parse_decimal(text: &[u8]) -> Option<f64> {
    let mut buf = Vec::with_capacity(text.len() + 2);
    if text.first() == Some(&b'.') {
        buf.push(b'0');
    }
    buf.extend_from_slice(text);
    core::str::from_utf8(&buf).ok()?.parse::<f64>().ok()
}

/// ECMAScript `Number::toString(10)`: the shortest round-trip digits laid out as JavaScript
/// does (`1e+21`, `0.000001`, `1e-7`, `-0` is `"0"`).
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        return String::from("NaN");
    }
    if n == 0.0 {
        return String::from("0");
    }
    if n.is_infinite() {
        return String::from(if n > 0.0 { "Infinity" } else { "-Infinity" });
    }
    if n < 0.0 {
        let mut s = String::from("-");
        s.push_str(&number_to_string(-n));
        return s;
    }
    // `{:e}` yields the shortest round-trip digits: "d.ddde-x".
    let sci = format!("{n:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let point = exp + 1; // the decimal point position `n` of the spec
    let mut out = String::new();
    if k <= point && point <= 21 {
        out.push_str(&digits);
        for _ in 0..(point - k) {
            out.push('0');
        }
    } else if 0 < point && point <= 21 {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        for _ in 0..(-point) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if point > 0 { '+' } else { '-' });
        out.push_str(&format!("{}", (point - 1).abs()));
    }
    out
}
