//! The backtracker: runs a [`Program`] on a subject with an explicit stack, under a step budget
//! and a stack cap.
//!
//! The stack holds choice points (where to resume after a failure) and undo records (the old
//! value of a capture slot or a loop register), so failing pops back to the state of the last
//! choice. A lookaround runs its body as a nested search (bounded by the pattern's nesting) and
//! keeps none of its choice points: lookarounds are atomic, as the specification says.

use alloc::vec;
use alloc::vec::Vec;

use crate::class::{is_line_terminator, is_word};
use crate::error::MatchError;
use crate::fold;
use crate::program::{Inst, Matcher, Program};
use crate::{utf8, Limits, Match};

/// A capture slot or register that holds no position.
const UNSET: usize = usize::MAX;

enum Frame {
    /// Resume at `pc` with the position `pos`.
    Choice { pc: usize, pos: usize },
    /// Restore capture slot `slot` to `old`.
    Capture { slot: usize, old: usize },
    /// Restore register `reg` to `old`.
    Register { reg: usize, old: usize },
    /// A greedy [`Inst::Star`] at `star` that matched `count` characters ending at `pos`: give
    /// one back and go on.
    GreedyStar { star: usize, pos: usize, count: u32 },
    /// A lazy [`Inst::Star`] at `star` that matched `count` characters ending at `pos`: take one
    /// more and go on.
    LazyStar { star: usize, pos: usize, count: u32 },
}

/// The bytes one entry of the backtracking stack takes.
pub const STACK_ENTRY_BYTES: usize = core::mem::size_of::<Frame>();

/// The first match at or after `start` (only at `start` when `sticky`).
pub fn find(
    prog: &Program,
    text: &[u8],
    start: usize,
    sticky: bool,
    limits: Limits,
    steps_used: &mut u64,
) -> Result<Option<Match>, MatchError> {
    let mut run = Runner {
        prog,
        text,
        caps: vec![UNSET; 2 * (prog.group_count + 1)],
        regs: vec![UNSET; prog.registers],
        stack: Vec::new(),
        steps: 0,
        limits,
    };
    let result = run.search(start, sticky);
    *steps_used = run.steps;
    result
}

struct Runner<'a> {
    prog: &'a Program,
    text: &'a [u8],
    caps: Vec<usize>,
    regs: Vec<usize>,
    stack: Vec<Frame>,
    steps: u64,
    limits: Limits,
}

impl Runner<'_> {
    fn search(&mut self, start: usize, sticky: bool) -> Result<Option<Match>, MatchError> {
        let len = self.text.len();
        if start > len {
            return Ok(None);
        }
        let mut at = utf8::boundary_at_or_after(self.text, start);
        if sticky && at != start {
            return Ok(None);
        }
        loop {
            if let (Some(b), false) = (self.prog.first_byte, sticky) {
                // Skipping costs a step per byte, like trying each position would at least.
                match self.text[at..].iter().position(|&x| x == b) {
                    Some(k) => {
                        self.tick(k as u64)?;
                        at += k;
                    }
                    None => {
                        self.tick((self.text.len() - at) as u64)?;
                        return Ok(None);
                    }
                }
            }
            self.tick(1)?;
            self.caps.fill(UNSET);
            self.stack.clear();
            if let Some(end) = self.run(0, at)? {
                let mut captures = Vec::with_capacity(self.prog.group_count + 1);
                captures.push(Some((at, end)));
                for g in 1..=self.prog.group_count {
                    let (s, e) = (self.caps[2 * g], self.caps[2 * g + 1]);
                    captures.push((s != UNSET && e != UNSET).then_some((s, e)));
                }
                return Ok(Some(Match { captures }));
            }
            if sticky {
                return Ok(None);
            }
            match utf8::next(self.text, at) {
                Some((_, next)) => at = next,
                None => return Ok(None),
            }
        }
    }

    #[inline]
    fn tick(&mut self, n: u64) -> Result<(), MatchError> {
        self.steps += n;
        if self.steps > self.limits.steps {
            return Err(MatchError::StepLimit);
        }
        Ok(())
    }

    #[inline]
    fn push(&mut self, f: Frame) -> Result<(), MatchError> {
        let max = self.limits.stack_bytes / STACK_ENTRY_BYTES;
        let len = self.stack.len();
        if len >= max {
            return Err(MatchError::StackLimit);
        }
        if len == self.stack.capacity() {
            // Grow by doubling, but never past the cap, and fail softly if memory is short.
            let extra = len.max(8).min(max - len);
            if self.stack.try_reserve_exact(extra).is_err() {
                return Err(MatchError::StackLimit);
            }
        }
        self.stack.push(f);
        Ok(())
    }

    #[inline]
    fn set_capture(&mut self, slot: usize, value: usize) -> Result<(), MatchError> {
        let old = self.caps[slot];
        if old != value {
            self.push(Frame::Capture { slot, old })?;
            self.caps[slot] = value;
        }
        Ok(())
    }

    #[inline]
    fn set_register(&mut self, reg: usize, value: usize) -> Result<(), MatchError> {
        let old = self.regs[reg];
        if old != value {
            self.push(Frame::Register { reg, old })?;
            self.regs[reg] = value;
        }
        Ok(())
    }

    /// Read one character in the direction of `back` and check it against `m`: the new position.
    #[inline]
    fn step(&self, m: Matcher, back: bool, pos: usize) -> Option<usize> {
        let (c, next) = if back {
            utf8::prev(self.text, pos)?
        } else {
            utf8::next(self.text, pos)?
        };
        let unicode = self.prog.flags.unicode;
        let ok = match m {
            Matcher::Char(x) => c == x,
            Matcher::CharFold(x) => fold::canonical(c, unicode) == x,
            Matcher::Dot => !is_line_terminator(c),
            Matcher::Any => true,
            Matcher::Set {
                index,
                negated,
                fold,
            } => {
                let set = &self.prog.sets[index];
                let inside = if fold {
                    set.contains_ignoring_case(c, unicode)
                } else {
                    set.contains(c)
                };
                inside != negated
            }
        };
        ok.then_some(next)
    }

    fn is_word_at(&self, pos: usize, before: bool) -> bool {
        let icu = self.prog.flags.ignore_case && self.prog.flags.unicode;
        let c = if before {
            utf8::prev(self.text, pos)
        } else {
            utf8::next(self.text, pos)
        };
        c.is_some_and(|(c, _)| is_word(c, icu))
    }

    /// The text of `group` matched again at `pos` (to the left of it when `back`): the new
    /// position, or `None`. Comparing costs a step per byte of the group's text, so a pattern
    /// like `(.*)\1x` cannot run far past its step budget.
    fn back_reference(
        &mut self,
        group: usize,
        back: bool,
        pos: usize,
    ) -> Result<Option<usize>, MatchError> {
        let (s, e) = (self.caps[2 * group], self.caps[2 * group + 1]);
        if s == UNSET || e == UNSET || s > e {
            return Ok(Some(pos));
        }
        self.tick((e - s) as u64)?;
        Ok(self.compare_back_reference(s, e, back, pos))
    }

    fn compare_back_reference(&self, s: usize, e: usize, back: bool, pos: usize) -> Option<usize> {
        let want = &self.text[s..e];
        let icase = self.prog.flags.ignore_case;
        if !icase {
            // The same bytes are the same characters; different bytes may still be (two
            // different invalid bytes are both U+FFFD), so those are compared as characters.
            let same = if back {
                pos.checked_sub(want.len())
                    .filter(|&from| &self.text[from..pos] == want)
            } else {
                pos.checked_add(want.len())
                    .filter(|&to| self.text.get(pos..to) == Some(want))
            };
            if same.is_some() {
                return same;
            }
        }
        let unicode = self.prog.flags.unicode;
        let canon = |c: u32| {
            if icase {
                fold::canonical(c, unicode)
            } else {
                c
            }
        };
        let mut p = pos;
        if back {
            let mut q = e;
            while q > s {
                let (a, nq) = utf8::prev(self.text, q)?;
                let (b, np) = utf8::prev(self.text, p)?;
                if canon(a) != canon(b) {
                    return None;
                }
                q = nq;
                p = np;
            }
        } else {
            let mut q = s;
            while q < e {
                let (a, nq) = utf8::next(self.text, q)?;
                let (b, np) = utf8::next(self.text, p)?;
                if canon(a) != canon(b) {
                    return None;
                }
                q = nq;
                p = np;
            }
        }
        Some(p)
    }

    /// Run from `pc` at `pos` until `Match` or `LookEnd` (the end position), or until every
    /// choice made since this call has failed (`None`).
    fn run(&mut self, mut pc: usize, mut pos: usize) -> Result<Option<usize>, MatchError> {
        let base = self.stack.len();
        let len = self.text.len();
        let multiline = self.prog.flags.multiline;
        loop {
            self.tick(1)?;
            let mut ok = true;
            match self.prog.insts[pc] {
                Inst::Match | Inst::LookEnd => return Ok(Some(pos)),
                Inst::Consume { m, back } => match self.step(m, back, pos) {
                    Some(p) => {
                        pos = p;
                        pc += 1;
                    }
                    None => ok = false,
                },
                Inst::Star {
                    m,
                    back,
                    min,
                    max,
                    greedy,
                } => {
                    let mut count = 0u32;
                    let limit = if greedy { max } else { min };
                    while count < limit {
                        match self.step(m, back, pos) {
                            Some(p) => {
                                pos = p;
                                count += 1;
                            }
                            None => break,
                        }
                    }
                    self.tick(u64::from(count))?;
                    if count < min {
                        ok = false;
                    } else {
                        if greedy && count > min {
                            self.push(Frame::GreedyStar {
                                star: pc,
                                pos,
                                count,
                            })?;
                        } else if !greedy && count < max {
                            self.push(Frame::LazyStar {
                                star: pc,
                                pos,
                                count,
                            })?;
                        }
                        pc += 1;
                    }
                }
                Inst::LineStart => {
                    ok = pos == 0
                        || (multiline
                            && utf8::prev(self.text, pos)
                                .is_some_and(|(c, _)| is_line_terminator(c)));
                    pc += 1;
                }
                Inst::LineEnd => {
                    ok = pos == len
                        || (multiline
                            && utf8::next(self.text, pos)
                                .is_some_and(|(c, _)| is_line_terminator(c)));
                    pc += 1;
                }
                Inst::WordBoundary { negated } => {
                    let boundary = self.is_word_at(pos, true) != self.is_word_at(pos, false);
                    ok = boundary != negated;
                    pc += 1;
                }
                Inst::Save(slot) => {
                    self.set_capture(slot, pos)?;
                    pc += 1;
                }
                Inst::Split { prefer, other } => {
                    self.push(Frame::Choice { pc: other, pos })?;
                    pc = prefer;
                }
                Inst::Jump(to) => pc = to,
                Inst::ClearGroups { from, to } => {
                    self.tick((to - from) as u64)?;
                    for slot in 2 * from..2 * to {
                        self.set_capture(slot, UNSET)?;
                    }
                    pc += 1;
                }
                Inst::RepeatInit { reg } => {
                    self.set_register(reg, 0)?;
                    pc += 1;
                }
                Inst::RepeatLoop {
                    reg,
                    min,
                    max,
                    greedy,
                    exit,
                } => {
                    let count = self.regs[reg];
                    if count < min as usize {
                        pc += 1;
                    } else if count >= max as usize {
                        pc = exit;
                    } else if greedy {
                        self.push(Frame::Choice { pc: exit, pos })?;
                        pc += 1;
                    } else {
                        self.push(Frame::Choice { pc: pc + 1, pos })?;
                        pc = exit;
                    }
                }
                Inst::RepeatIterStart { reg } => {
                    self.set_register(reg + 1, pos)?;
                    pc += 1;
                }
                Inst::RepeatIterEnd { reg, min, head } => {
                    let count = self.regs[reg];
                    if count >= min as usize && self.regs[reg + 1] == pos {
                        ok = false;
                    } else {
                        self.set_register(reg, count + 1)?;
                        pc = head;
                    }
                }
                Inst::BackRef { group, back } => match self.back_reference(group, back, pos)? {
                    Some(p) => {
                        pos = p;
                        pc += 1;
                    }
                    None => ok = false,
                },
                Inst::Look {
                    negated,
                    end,
                    groups,
                } => {
                    self.tick((groups.1 - groups.0) as u64)?;
                    let slots = 2 * groups.0..2 * groups.1;
                    let before: Vec<usize> = self.caps[slots.clone()].to_vec();
                    let look_base = self.stack.len();
                    let found = self.run(pc + 1, pos)?.is_some();
                    if found {
                        // Atomic: drop the body's choice points (and its undo records, replaced
                        // by one record per capture it changed).
                        self.stack.truncate(look_base);
                        if negated {
                            self.caps[slots].copy_from_slice(&before);
                        } else {
                            for (k, slot) in slots.enumerate() {
                                if self.caps[slot] != before[k] {
                                    self.push(Frame::Capture {
                                        slot,
                                        old: before[k],
                                    })?;
                                }
                            }
                        }
                    }
                    if found == negated {
                        ok = false;
                    } else {
                        pc = end;
                    }
                }
            }
            if ok {
                continue;
            }
            // Failure: undo back to the last choice point made since `base`.
            loop {
                if self.stack.len() <= base {
                    return Ok(None);
                }
                let Some(frame) = self.stack.pop() else {
                    return Ok(None);
                };
                match frame {
                    Frame::Choice { pc: p, pos: q } => {
                        pc = p;
                        pos = q;
                        break;
                    }
                    Frame::Capture { slot, old } => self.caps[slot] = old,
                    Frame::Register { reg, old } => self.regs[reg] = old,
                    Frame::GreedyStar {
                        star,
                        pos: end,
                        count,
                    } => {
                        let Inst::Star { back, min, .. } = self.prog.insts[star] else {
                            continue;
                        };
                        // Give back one character: step against the star's direction.
                        let stepped = if back {
                            utf8::next(self.text, end)
                        } else {
                            utf8::prev(self.text, end)
                        };
                        let Some((_, q)) = stepped else {
                            continue;
                        };
                        if count - 1 > min {
                            self.push(Frame::GreedyStar {
                                star,
                                pos: q,
                                count: count - 1,
                            })?;
                        }
                        pc = star + 1;
                        pos = q;
                        break;
                    }
                    Frame::LazyStar {
                        star,
                        pos: end,
                        count,
                    } => {
                        let Inst::Star { m, back, max, .. } = self.prog.insts[star] else {
                            continue;
                        };
                        self.tick(1)?;
                        let Some(q) = self.step(m, back, end) else {
                            continue;
                        };
                        if count + 1 < max {
                            self.push(Frame::LazyStar {
                                star,
                                pos: q,
                                count: count + 1,
                            })?;
                        }
                        pc = star + 1;
                        pos = q;
                        break;
                    }
                }
            }
        }
    }
}
