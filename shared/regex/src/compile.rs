//! From a parsed pattern to a [`Program`].

use alloc::vec::Vec;

use crate::ast::{Node, Pattern};
use crate::fold;
use crate::program::{Inst, Matcher, Program};
use crate::Flags;

pub fn compile(pattern: &Pattern, flags: Flags) -> Program {
    let mut c = Compiler {
        insts: Vec::new(),
        sets: Vec::new(),
        registers: 0,
        flags,
    };
    c.emit(&pattern.node, false);
    c.insts.push(Inst::Match);
    let first_byte = match c.insts.first() {
        Some(Inst::Consume {
            m: Matcher::Char(ch),
            back: false,
        })
        | Some(Inst::Star {
            m: Matcher::Char(ch),
            back: false,
            min: 1..,
            ..
        }) if *ch != crate::utf8::INVALID => char::from_u32(*ch).map(|ch| {
            let mut buf = [0u8; 4];
            ch.encode_utf8(&mut buf);
            buf[0]
        }),
        _ => None,
    };
    Program {
        insts: c.insts,
        sets: c.sets,
        group_count: pattern.group_count,
        names: pattern.names.clone(),
        registers: c.registers,
        flags,
        first_byte,
    }
}

struct Compiler {
    insts: Vec<Inst>,
    sets: Vec<crate::class::CharSet>,
    registers: usize,
    flags: Flags,
}

impl Compiler {
    /// The matcher of a node that is exactly one character, if it is one.
    fn matcher(&mut self, node: &Node) -> Option<Matcher> {
        let icase = self.flags.ignore_case;
        let unicode = self.flags.unicode;
        Some(match node {
            Node::Char(c) if icase && fold::case_class(*c, unicode).as_slice().len() > 1 => {
                Matcher::CharFold(fold::canonical(*c, unicode))
            }
            Node::Char(c) => Matcher::Char(*c),
            Node::Dot if self.flags.dot_all => Matcher::Any,
            Node::Dot => Matcher::Dot,
            Node::Set { set, negated } => {
                if *negated && set == &crate::class::CharSet::new() {
                    // `[^]`: anything.
                    return Some(Matcher::Any);
                }
                self.sets.push(set.clone());
                Matcher::Set {
                    index: self.sets.len() - 1,
                    negated: *negated,
                    fold: icase,
                }
            }
            _ => return None,
        })
    }

    fn here(&self) -> usize {
        self.insts.len()
    }

    fn emit(&mut self, node: &Node, back: bool) {
        if let Some(m) = self.matcher(node) {
            self.insts.push(Inst::Consume { m, back });
            return;
        }
        match node {
            Node::Empty => {}
            Node::LineStart => self.insts.push(Inst::LineStart),
            Node::LineEnd => self.insts.push(Inst::LineEnd),
            Node::WordBoundary { negated } => {
                self.insts.push(Inst::WordBoundary { negated: *negated })
            }
            Node::Concat(nodes) => {
                if back {
                    for n in nodes.iter().rev() {
                        self.emit(n, back);
                    }
                } else {
                    for n in nodes {
                        self.emit(n, back);
                    }
                }
            }
            Node::Alternation(nodes) => {
                let mut jumps = Vec::new();
                for (i, n) in nodes.iter().enumerate() {
                    if i + 1 < nodes.len() {
                        let split = self.here();
                        self.insts.push(Inst::Split {
                            prefer: split + 1,
                            other: 0,
                        });
                        self.emit(n, back);
                        jumps.push(self.here());
                        self.insts.push(Inst::Jump(0));
                        let other = self.here();
                        if let Inst::Split { other: o, .. } = &mut self.insts[split] {
                            *o = other;
                        }
                    } else {
                        self.emit(n, back);
                    }
                }
                let end = self.here();
                for j in jumps {
                    self.insts[j] = Inst::Jump(end);
                }
            }
            Node::Capture { index, node } => {
                let (first, second) = if back {
                    (2 * index + 1, 2 * index)
                } else {
                    (2 * index, 2 * index + 1)
                };
                self.insts.push(Inst::Save(first));
                self.emit(node, back);
                self.insts.push(Inst::Save(second));
            }
            Node::Repeat {
                node,
                min,
                max,
                greedy,
                groups,
            } => self.repeat(node, *min, *max, *greedy, *groups, back),
            Node::BackReference(group) => self.insts.push(Inst::BackRef {
                group: *group,
                back,
            }),
            Node::Look {
                node,
                behind,
                negated,
                groups,
            } => {
                let at = self.here();
                self.insts.push(Inst::Look {
                    negated: *negated,
                    end: 0,
                    groups: *groups,
                });
                self.emit(node, *behind);
                self.insts.push(Inst::LookEnd);
                let end = self.here();
                if let Inst::Look { end: e, .. } = &mut self.insts[at] {
                    *e = end;
                }
            }
            Node::Char(_) | Node::Dot | Node::Set { .. } => {}
        }
    }

    fn repeat(
        &mut self,
        node: &Node,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        groups: (usize, usize),
        back: bool,
    ) {
        let max_n = max.unwrap_or(u32::MAX);
        if max_n == 0 {
            return;
        }
        if let Some(m) = self.matcher(node) {
            self.insts.push(Inst::Star {
                m,
                back,
                min,
                max: max_n,
                greedy,
            });
            return;
        }
        if min == 1 && max_n == 1 {
            self.emit(node, back);
            return;
        }
        let reg = self.registers;
        self.registers += 2;
        self.insts.push(Inst::RepeatInit { reg });
        let head = self.here();
        self.insts.push(Inst::RepeatLoop {
            reg,
            min,
            max: max_n,
            greedy,
            exit: 0,
        });
        self.insts.push(Inst::RepeatIterStart { reg });
        if groups.0 < groups.1 {
            self.insts.push(Inst::ClearGroups {
                from: groups.0,
                to: groups.1,
            });
        }
        self.emit(node, back);
        self.insts.push(Inst::RepeatIterEnd { reg, min, head });
        let exit = self.here();
        if let Inst::RepeatLoop { exit: e, .. } = &mut self.insts[head] {
            *e = exit;
        }
    }
}
