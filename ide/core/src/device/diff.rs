//! A line diff of the device's copy of a script (`old`) against the editor's (`new`), for the
//! "Compare with device" dialog: Myers' shortest edit script after trimming the common start
//! and end.
//!
//! It never works without a bound: beyond [`MAX_EDIT_DISTANCE`] edits or [`MAX_WORK`] steps it
//! gives a coarse (still correct) result — the differing middle as all removed, then all added
//! — with `truncated` set.

use alloc::string::String;
use alloc::vec::Vec;
use std::collections::HashMap;

/// Most edits (added + removed lines) searched for exactly.
pub const MAX_EDIT_DISTANCE: usize = 1000;
/// Most steps of the search (diagonals visited and lines compared).
pub const MAX_WORK: u64 = 4_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffKind {
    Same,
    Added,
    Removed,
}

/// One line of the diff. Line numbers count from 1; `old_no` is `None` for added lines,
/// `new_no` for removed ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: DiffKind,
    pub text: String,
    pub old_no: Option<u32>,
    pub new_no: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    pub lines: Vec<DiffLine>,
    /// The search gave up: the result is correct but not minimal.
    pub truncated: bool,
}

impl Diff {
    pub fn is_identical(&self) -> bool {
        self.lines.iter().all(|l| l.kind == DiffKind::Same)
    }

    /// (added, removed) line counts.
    pub fn summary(&self) -> (usize, usize) {
        let added = self
            .lines
            .iter()
            .filter(|l| l.kind == DiffKind::Added)
            .count();
        let removed = self
            .lines
            .iter()
            .filter(|l| l.kind == DiffKind::Removed)
            .count();
        (added, removed)
    }
}

/// The lines of a text, split at `\n` (a `\r` before it stays in the line). An empty text has
/// no lines; a text ending in `\n` has an empty last line. Joining the lines with `\n` gives
/// the text back.
pub fn split_lines(text: &str) -> Vec<&str> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').collect()
    }
}

/// The diff from `old` to `new`.
pub fn line_diff<'t>(old: &'t str, new: &'t str) -> Diff {
    let a = split_lines(old);
    let b = split_lines(new);
    // Lines as numbers: equal lines, equal numbers.
    let mut ids: HashMap<&'t str, u32> = HashMap::new();
    let mut intern = |lines: &[&'t str]| -> Vec<u32> {
        lines
            .iter()
            .map(|s| {
                let n = ids.len() as u32;
                *ids.entry(*s).or_insert(n)
            })
            .collect()
    };
    let ai = intern(&a);
    let bi = intern(&b);

    let prefix = ai.iter().zip(&bi).take_while(|(x, y)| x == y).count();
    let suffix = ai[prefix..]
        .iter()
        .rev()
        .zip(bi[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (
        &ai[prefix..ai.len() - suffix],
        &bi[prefix..bi.len() - suffix],
    );

    let (ops, truncated) = match myers(am, bm) {
        Some(ops) => (ops, false),
        None => {
            let mut ops = alloc::vec![Op::Removed; am.len()];
            ops.extend(core::iter::repeat_n(Op::Added, bm.len()));
            (ops, true)
        }
    };

    let mut lines = Vec::with_capacity(prefix + ops.len() + suffix);
    let (mut i, mut j) = (0usize, 0usize);
    let mut push = |kind: DiffKind, i: &mut usize, j: &mut usize| {
        let (text, old_no, new_no) = match kind {
            DiffKind::Same => (a[*i], Some(*i), Some(*j)),
            DiffKind::Removed => (a[*i], Some(*i), None),
            DiffKind::Added => (b[*j], None, Some(*j)),
        };
        lines.push(DiffLine {
            kind,
            text: text.into(),
            old_no: old_no.map(line_no),
            new_no: new_no.map(line_no),
        });
        if old_no.is_some() {
            *i += 1;
        }
        if new_no.is_some() {
            *j += 1;
        }
    };
    for _ in 0..prefix {
        push(DiffKind::Same, &mut i, &mut j);
    }
    for op in ops {
        let kind = match op {
            Op::Same => DiffKind::Same,
            Op::Added => DiffKind::Added,
            Op::Removed => DiffKind::Removed,
        };
        push(kind, &mut i, &mut j);
    }
    for _ in 0..suffix {
        push(DiffKind::Same, &mut i, &mut j);
    }
    Diff { lines, truncated }
}

fn line_no(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Same,
    Added,
    Removed,
}

/// Myers' greedy shortest edit script from `a` to `b`; `None` beyond the bounds.
fn myers(a: &[u32], b: &[u32]) -> Option<Vec<Op>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    if n == 0 || m == 0 {
        let mut ops = alloc::vec![Op::Removed; a.len()];
        ops.extend(core::iter::repeat_n(Op::Added, b.len()));
        return Some(ops);
    }
    let max = (n + m) as usize;
    let d_cap = max.min(MAX_EDIT_DISTANCE) as isize;
    let off = d_cap + 1;
    let mut v = alloc::vec![0isize; 2 * off as usize + 1];
    // `trace[d]`: `v[-d..=d]` after step `d`.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut work: u64 = 0;
    let mut found = None;
    'search: for d in 0..=d_cap {
        let mut k = -d;
        while k <= d {
            let down = k == -d || (k != d && v[(off + k - 1) as usize] < v[(off + k + 1) as usize]);
            let mut x = if down {
                v[(off + k + 1) as usize]
            } else {
                v[(off + k - 1) as usize] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
                work += 1;
            }
            v[(off + k) as usize] = x;
            work += 1;
            if x >= n && y >= m {
                trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
                found = Some(d);
                break 'search;
            }
            k += 2;
        }
        trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
        if work > MAX_WORK {
            return None;
        }
    }
    let d_found = found?;

    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..=d_found).rev() {
        let prev = &trace[(d - 1) as usize];
        let at = |k: isize| prev[(k + d - 1) as usize];
        let k = x - y;
        let down = k == -d || (k != d && at(k - 1) < at(k + 1));
        let prev_k = if down { k + 1 } else { k - 1 };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        // The edit ends at (mid_x, mid_y); the snake after it runs to (x, y).
        let (mid_x, mid_y) = if down {
            (prev_x, prev_y + 1)
        } else {
            (prev_x + 1, prev_y)
        };
        while x > mid_x && y > mid_y {
            ops.push(Op::Same);
            x -= 1;
            y -= 1;
        }
        ops.push(if down { Op::Added } else { Op::Removed });
        x = prev_x;
        y = prev_y;
    }
    while x > 0 && y > 0 {
        ops.push(Op::Same);
        x -= 1;
        y -= 1;
    }
    ops.reverse();
    Some(ops)
}
