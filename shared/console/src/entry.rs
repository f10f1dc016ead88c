//! When a console entry is complete: a person types a function over several lines, and the
//! console runs it only once its brackets, template literals and comments are closed (the
//! REPL of `ferrite repl` and the serial console of every device use this).
//!
//! A scan of bytes, never an evaluation; it never fails (whatever is not clearly unfinished is
//! complete, and the engine reports its errors).

use alloc::vec::Vec;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Frame {
    Paren,
    Bracket,
    Brace,
    /// Inside the text of a template literal.
    Template,
    /// Inside `${ … }` of a template literal.
    TemplateExpr,
}

/// Whether `src` ends inside an unclosed bracket, template literal, block comment or a string whose
/// line ends with a `\` continuation: then the REPL reads more lines. Anything else (including
/// mismatched closers and unterminated one-line strings) is complete: the engine reports the error.
pub fn is_incomplete(src: &[u8]) -> bool {
    let n = src.len();
    let mut stack: Vec<Frame> = Vec::new();
    // The last significant byte of code, to tell a regular expression from a division.
    let mut prev: Option<u8> = None;
    let mut i = 0;
    while i < n {
        let c = src[i];
        if stack.last() == Some(&Frame::Template) {
            match c {
                b'\\' => i += 2,
                b'`' => {
                    stack.pop();
                    prev = Some(b'`');
                    i += 1;
                }
                b'$' if src.get(i + 1) == Some(&b'{') => {
                    stack.push(Frame::TemplateExpr);
                    prev = Some(b'{');
                    i += 2;
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'/' if src.get(i + 1) == Some(&b'/') => {
                while i < n && src[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if src.get(i + 1) == Some(&b'*') => {
                match find(&src[i + 2..], b"*/") {
                    Some(k) => i += 2 + k + 2,
                    None => return true,
                }
                continue;
            }
            b'\'' | b'"' => {
                i += 1;
                loop {
                    match src.get(i) {
                        None => {
                            // A `\` right before the end continues the string on the next line.
                            return src[..n].ends_with(b"\\\n") || src.ends_with(b"\\");
                        }
                        Some(b'\\') => i += 2,
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(b'\n') => break, // unterminated: the engine reports it
                        Some(_) => i += 1,
                    }
                }
                prev = Some(c);
                continue;
            }
            b'/' if regex_allowed(prev) => {
                // A regular expression literal: skip to its closing `/` (not inside a class).
                i += 1;
                let mut in_class = false;
                while i < n && src[i] != b'\n' {
                    match src[i] {
                        b'\\' => i += 1,
                        b'[' => in_class = true,
                        b']' => in_class = false,
                        b'/' if !in_class => break,
                        _ => {}
                    }
                    i += 1;
                }
                prev = Some(b'/');
                i += 1;
                continue;
            }
            b'`' => stack.push(Frame::Template),
            b'(' => stack.push(Frame::Paren),
            b'[' => stack.push(Frame::Bracket),
            b'{' => stack.push(Frame::Brace),
            b')' | b']' | b'}' => {
                let expected = match c {
                    b')' => Frame::Paren,
                    b']' => Frame::Bracket,
                    _ => Frame::Brace,
                };
                match stack.last() {
                    Some(&top) if top == expected => {
                        stack.pop();
                    }
                    Some(Frame::TemplateExpr) if c == b'}' => {
                        stack.pop();
                        // Back in the template's text.
                        i += 1;
                        continue;
                    }
                    _ => return false, // a stray closer: complete, and an error
                }
            }
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            prev = Some(c);
        }
        i += 1;
    }
    !stack.is_empty()
}

fn regex_allowed(prev: Option<u8>) -> bool {
    match prev {
        None => true,
        Some(c) => b"(,=:[!&|?{};+-*%<>~^".contains(&c),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::is_incomplete;

    fn inc(s: &str) -> bool {
        is_incomplete(s.as_bytes())
    }

    #[test]
    fn complete_entries() {
        assert!(!inc("1 + 2\n"));
        assert!(!inc("function f(x) { return x * 2; }\n"));
        assert!(!inc("let s = '({[';\n"));
        assert!(!inc("let s = \"}}\" + '\\'(';\n"));
        assert!(!inc("f(1) // ( unclosed in a comment\n"));
        assert!(!inc("/* { */ 1\n"));
        assert!(!inc("let r = /[(/]+/g;\n"));
        assert!(!inc("let q = a / (b) / c;\n"));
        assert!(!inc("`a ${ {x: 1}.x } b`\n"));
        assert!(!inc("let s = 'unterminated\n"));
        assert!(!inc("})\n"));
    }

    #[test]
    fn incomplete_entries() {
        assert!(inc("function f(x) {\n"));
        assert!(inc("function f(x) {\n  return [1,\n"));
        assert!(inc("f(\n"));
        assert!(inc("let a = [\n"));
        assert!(inc("`multi\n"));
        assert!(inc("`a ${ (1 +\n"));
        assert!(inc("/* comment\n"));
        assert!(inc("let s = 'continued \\\n"));
        assert!(inc("if (x) { let s = \"}\";\n"));
    }
}
