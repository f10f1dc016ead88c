//! Expressions, binding patterns, and the cover grammar.
//!
//! Object and array literals are parsed as expressions and converted to [`Pattern`]s when an
//! `=` (or a for-in/of head) follows; errors that are only errors for *expressions* (`{a = 1}`,
//! duplicate `__proto__`) are deferred in `Parser::cover_err` until it is known which one the
//! literal is. Parenthesized expressions are converted to arrow parameter lists when `=>`
//! follows.
//!
//! Depth accounting: recursive functions call `enter`/`leave`. Loops that build left-nested
//! trees (binary operators, member/call chains) raise the depth to the *peak* reached by their
//! first operand and then count one level per [`CHAIN_OPS_PER_LEVEL`] operators, so the height
//! of every expression tree is bounded by a small multiple of `max_nesting`.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::{pos_key, Parser, SyntaxError};
use crate::ast::{
    Arg, ArrayElem, AssignOp, BinaryOp, Expr, ExprKind, FunctionKind, LogicalOp, ObjectProp,
    PatProp, Pattern, Pos, PropKey, PropKind, UnaryOp,
};
use crate::lexer::{number_to_string, Punct, TokKind, Token};

/// Operators of a left-associative chain counted as one nesting level.
const CHAIN_OPS_PER_LEVEL: u32 = 4;

/// Precedence of `**`.
const PREC_EXP: u8 = 12;

/// `async(…)`: an async arrow function's head when `=>` follows.
fn is_async_call(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { callee, optional: false, .. }
        if matches!(&callee.kind, ExprKind::Ident(n) if n == "async"))
}

#[derive(Clone, Copy)]
enum BinOp {
    Binary(BinaryOp),
    Logical(LogicalOp),
}

impl<'a> Parser<'a> {
    /// The most recently parsed token ended an arrow function: no operator may follow.
    fn arrow_ended(&self) -> bool {
        self.arrow_end == self.prev_end
    }

    pub(super) fn is_paren(&self, e: &Expr) -> bool {
        self.parens.contains(&pos_key(e.pos))
    }

    fn check_octal(&self, tok: &Token) -> Result<(), SyntaxError> {
        if self.strict && tok.legacy_octal {
            let message = match tok.kind {
                TokKind::Num(_) => "octal literals are not allowed in strict mode",
                _ => "octal escape sequences are not allowed in strict mode",
            };
            return Err(self.error_at(tok.pos, message));
        }
        Ok(())
    }

    /// Records a deferred "only valid as a pattern" error (the first one wins).
    fn defer_cover_error(&mut self, pos: Pos, message: &str) {
        if self.cover_err.is_none() {
            self.cover_err = Some(self.error_at(pos, message));
        }
    }

    // ----- comma, assignment, conditional -----

    /// `Expression`: assignments separated by commas.
    pub(super) fn parse_expression(&mut self, no_in: bool) -> Result<Expr, SyntaxError> {
        let pos = self.tok.pos;
        let first = self.parse_assign(no_in)?;
        if !self.is_punct(Punct::Comma) {
            return Ok(first);
        }
        let mut items = Vec::from([first]);
        while self.eat_punct(Punct::Comma)? {
            items.push(self.parse_assign(no_in)?);
        }
        Ok(Expr {
            kind: ExprKind::Seq(items),
            pos,
        })
    }

    /// `AssignmentExpression` used as a value.
    pub(super) fn parse_assign(&mut self, no_in: bool) -> Result<Expr, SyntaxError> {
        self.parse_assign_impl(no_in, true)
    }

    /// `AssignmentExpression` that may still become a pattern (an element of a literal, an
    /// arrow parameter, a for-in/of head): pattern-only errors are left in `cover_err`.
    pub(super) fn parse_assign_cover(&mut self, no_in: bool) -> Result<Expr, SyntaxError> {
        self.parse_assign_impl(no_in, false)
    }

    fn parse_assign_impl(&mut self, no_in: bool, owned: bool) -> Result<Expr, SyntaxError> {
        // On errors the parse is abandoned, so state is only restored on success.
        self.enter()?;
        let saved_start = core::mem::replace(&mut self.assign_start, self.tok.start);
        let saved_cover = self.cover_err.take();
        let pos = self.tok.pos;
        let mut lhs = self.parse_binary(0, no_in)?;
        let result = 'done: {
            if self.arrow_ended() {
                self.cover_err = saved_cover;
                break 'done lhs;
            }
            if self.is_punct(Punct::Question) {
                lhs = self.parse_conditional_rest(lhs, pos, no_in)?;
            }
            let is_literal = matches!(lhs.kind, ExprKind::Array(_) | ExprKind::Object(_));
            if self.is_punct(Punct::Arrow) && is_async_call(&lhs) {
                return Err(self.error_at(pos, "async functions are not supported"));
            }
            let Some(op) = self.assign_op() else {
                match self.cover_err.take() {
                    Some(err) if owned || !is_literal || self.is_paren(&lhs) => return Err(err),
                    Some(err) => self.cover_err = saved_cover.or(Some(err)),
                    None => self.cover_err = saved_cover,
                }
                break 'done lhs;
            };
            let target = self.assignment_target(lhs, op, is_literal)?;
            self.advance()?;
            let rhs = self.parse_assign(no_in)?;
            self.cover_err = saved_cover;
            Expr {
                kind: ExprKind::Assign(op, Box::new(target), Box::new(rhs)),
                pos,
            }
        };
        self.assign_start = saved_start;
        self.leave();
        Ok(result)
    }

    /// The target of `lhs op= …`: a pattern for `[…] =` / `{…} =`, else a simple target.
    #[inline(never)]
    fn assignment_target(
        &mut self,
        lhs: Expr,
        op: AssignOp,
        is_literal: bool,
    ) -> Result<Pattern, SyntaxError> {
        if op == AssignOp::Assign && is_literal && !self.is_paren(&lhs) {
            let target = self.expr_to_target(lhs, true)?;
            self.cover_err = None;
            return Ok(target);
        }
        if let Some(err) = self.cover_err.take() {
            return Err(err);
        }
        self.expr_to_target(lhs, false)
    }

    /// `test ? cons : alt` after `test`.
    #[inline(never)]
    fn parse_conditional_rest(
        &mut self,
        test: Expr,
        pos: Pos,
        no_in: bool,
    ) -> Result<Expr, SyntaxError> {
        self.advance()?;
        let cons = self.parse_assign(false)?;
        self.expect_punct(Punct::Colon)?;
        let alt = self.parse_assign(no_in)?;
        Ok(Expr {
            kind: ExprKind::Cond(Box::new(test), Box::new(cons), Box::new(alt)),
            pos,
        })
    }

    fn assign_op(&self) -> Option<AssignOp> {
        use Punct::*;
        let TokKind::Punct(p) = self.tok.kind else {
            return None;
        };
        Some(match p {
            Assign => AssignOp::Assign,
            AddAssign => AssignOp::Op(BinaryOp::Add),
            SubAssign => AssignOp::Op(BinaryOp::Sub),
            MulAssign => AssignOp::Op(BinaryOp::Mul),
            DivAssign => AssignOp::Op(BinaryOp::Div),
            ModAssign => AssignOp::Op(BinaryOp::Mod),
            ExpAssign => AssignOp::Op(BinaryOp::Exp),
            ShlAssign => AssignOp::Op(BinaryOp::Shl),
            ShrAssign => AssignOp::Op(BinaryOp::Shr),
            UShrAssign => AssignOp::Op(BinaryOp::UShr),
            BitAndAssign => AssignOp::Op(BinaryOp::BitAnd),
            BitOrAssign => AssignOp::Op(BinaryOp::BitOr),
            BitXorAssign => AssignOp::Op(BinaryOp::BitXor),
            AndAssign => AssignOp::Logical(LogicalOp::And),
            OrAssign => AssignOp::Logical(LogicalOp::Or),
            NullishAssign => AssignOp::Logical(LogicalOp::Nullish),
            _ => return None,
        })
    }

    // ----- binary operators -----

    fn binary_op(&self, no_in: bool) -> Option<(BinOp, u8)> {
        use BinaryOp as B;
        use Punct::*;
        let (op, prec) = match &self.tok.kind {
            TokKind::Punct(p) => match p {
                Nullish => (BinOp::Logical(LogicalOp::Nullish), 1),
                Or => (BinOp::Logical(LogicalOp::Or), 2),
                And => (BinOp::Logical(LogicalOp::And), 3),
                BitOr => (BinOp::Binary(B::BitOr), 4),
                BitXor => (BinOp::Binary(B::BitXor), 5),
                BitAnd => (BinOp::Binary(B::BitAnd), 6),
                Eq => (BinOp::Binary(B::Eq), 7),
                Ne => (BinOp::Binary(B::Ne), 7),
                StrictEq => (BinOp::Binary(B::StrictEq), 7),
                StrictNe => (BinOp::Binary(B::StrictNe), 7),
                Lt => (BinOp::Binary(B::Lt), 8),
                Gt => (BinOp::Binary(B::Gt), 8),
                Le => (BinOp::Binary(B::Le), 8),
                Ge => (BinOp::Binary(B::Ge), 8),
                Shl => (BinOp::Binary(B::Shl), 9),
                Shr => (BinOp::Binary(B::Shr), 9),
                UShr => (BinOp::Binary(B::UShr), 9),
                Plus => (BinOp::Binary(B::Add), 10),
                Minus => (BinOp::Binary(B::Sub), 10),
                Star => (BinOp::Binary(B::Mul), 11),
                Slash => (BinOp::Binary(B::Div), 11),
                Percent => (BinOp::Binary(B::Mod), 11),
                StarStar => (BinOp::Binary(B::Exp), PREC_EXP),
                _ => return None,
            },
            TokKind::Name(n) if !self.tok.escaped => match n.as_str() {
                "instanceof" => (BinOp::Binary(B::InstanceOf), 8),
                "in" if !no_in => (BinOp::Binary(B::In), 8),
                _ => return None,
            },
            _ => return None,
        };
        Some((op, prec))
    }

    /// Operators with precedence `>= min_prec` (precedence climbing).
    fn parse_binary(&mut self, min_prec: u8, no_in: bool) -> Result<Expr, SyntaxError> {
        let depth0 = self.depth;
        let peak0 = self.peak;
        self.peak = self.depth;
        let pos = self.tok.pos;
        let mut left = self.parse_unary()?;
        if !self.arrow_ended() {
            self.depth = self.peak;
            let mut ops = 0u32;
            while let Some((op, prec)) = self.binary_op(no_in) {
                if prec < min_prec {
                    break;
                }
                if prec == PREC_EXP
                    && matches!(left.kind, ExprKind::Unary(..))
                    && !self.is_paren(&left)
                {
                    return Err(self.error(
                        "unparenthesized unary expression can't appear on the left-hand side of '**'",
                    ));
                }
                ops += 1;
                if prec == PREC_EXP || ops.is_multiple_of(CHAIN_OPS_PER_LEVEL) {
                    self.enter()?;
                }
                self.advance()?;
                let right_prec = if prec == PREC_EXP { prec } else { prec + 1 };
                let right = self.parse_binary(right_prec, no_in)?;
                left = self.make_binary(op, left, right, pos)?;
            }
        }
        self.depth = depth0;
        self.peak = self.peak.max(peak0);
        Ok(left)
    }

    fn is_unparen_logical(&self, e: &Expr, nullish: bool) -> bool {
        match e.kind {
            ExprKind::Logical(op, ..) if !self.is_paren(e) => (op == LogicalOp::Nullish) == nullish,
            _ => false,
        }
    }

    fn make_binary(
        &self,
        op: BinOp,
        left: Expr,
        right: Expr,
        pos: Pos,
    ) -> Result<Expr, SyntaxError> {
        let kind = match op {
            BinOp::Binary(op) => ExprKind::Binary(op, Box::new(left), Box::new(right)),
            BinOp::Logical(op) => {
                let nullish = op == LogicalOp::Nullish;
                if self.is_unparen_logical(&left, !nullish)
                    || self.is_unparen_logical(&right, !nullish)
                {
                    return Err(self.error_at(
                        pos,
                        "'??' can't be mixed with '&&' or '||' without parentheses",
                    ));
                }
                ExprKind::Logical(op, Box::new(left), Box::new(right))
            }
        };
        Ok(Expr { kind, pos })
    }

    // ----- unary and postfix -----

    fn parse_unary(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.tok.pos;
        let op = match &self.tok.kind {
            TokKind::Punct(Punct::Not) => Some(UnaryOp::Not),
            TokKind::Punct(Punct::BitNot) => Some(UnaryOp::BitNot),
            TokKind::Punct(Punct::Plus) => Some(UnaryOp::Plus),
            TokKind::Punct(Punct::Minus) => Some(UnaryOp::Neg),
            TokKind::Name(n) if !self.tok.escaped => match n.as_str() {
                "typeof" => Some(UnaryOp::Typeof),
                "void" => Some(UnaryOp::Void),
                "delete" => Some(UnaryOp::Delete),
                _ => None,
            },
            TokKind::Punct(Punct::Inc | Punct::Dec) => return self.parse_prefix_update(),
            _ => None,
        };
        let Some(op) = op else {
            return self.parse_call_chain();
        };
        self.enter()?;
        self.advance()?;
        let arg = self.parse_unary();
        self.leave();
        let arg = arg?;
        if op == UnaryOp::Delete && self.strict && matches!(arg.kind, ExprKind::Ident(_)) {
            return Err(self.error_at(pos, "delete of an unqualified identifier in strict mode"));
        }
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(arg)),
            pos,
        })
    }

    /// `++x` / `--x`.
    #[inline(never)]
    fn parse_prefix_update(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.tok.pos;
        let delta = if self.is_punct(Punct::Inc) { 1 } else { -1 };
        self.enter()?;
        self.advance()?;
        let arg = self.parse_unary()?;
        self.leave();
        let target = self.expr_to_target(arg, false)?;
        Ok(Expr {
            kind: ExprKind::Update {
                prefix: true,
                delta,
                target: Box::new(target),
            },
            pos,
        })
    }

    /// `x++` / `x--` after `expr`.
    #[inline(never)]
    fn parse_postfix_update(&mut self, expr: Expr, pos: Pos) -> Result<Expr, SyntaxError> {
        let delta = if self.is_punct(Punct::Inc) { 1 } else { -1 };
        let target = self.expr_to_target(expr, false)?;
        self.advance()?;
        Ok(Expr {
            kind: ExprKind::Update {
                prefix: false,
                delta,
                target: Box::new(target),
            },
            pos,
        })
    }

    /// `LeftHandSideExpression`: `new`, calls, member accesses, optional chains.
    pub(super) fn parse_lhs_expression(&mut self) -> Result<Expr, SyntaxError> {
        self.parse_call_chain_impl(false)
    }

    /// A `LeftHandSideExpression` with an optional postfix `++`/`--`.
    fn parse_call_chain(&mut self) -> Result<Expr, SyntaxError> {
        self.parse_call_chain_impl(true)
    }

    fn parse_call_chain_impl(&mut self, allow_update: bool) -> Result<Expr, SyntaxError> {
        let depth0 = self.depth;
        let peak0 = self.peak;
        self.peak = self.depth;
        let pos = self.tok.pos;
        let base = match &self.tok.kind {
            TokKind::Name(n) if n == "new" && !self.tok.escaped => self.parse_new()?,
            TokKind::Name(n) if n == "super" && !self.tok.escaped => self.parse_super(false)?,
            _ => self.parse_primary()?,
        };
        let mut expr = base;
        if !self.arrow_ended() {
            self.depth = self.peak;
            if matches!(
                self.tok.kind,
                TokKind::Punct(Punct::Dot | Punct::QuestionDot | Punct::LBracket | Punct::LParen)
                    | TokKind::Template { .. }
            ) {
                expr = self.parse_chain_rest(expr, pos, true)?;
            }
            if allow_update
                && !self.tok.nl_before
                && matches!(self.tok.kind, TokKind::Punct(Punct::Inc | Punct::Dec))
            {
                expr = self.parse_postfix_update(expr, pos)?;
            }
        }
        self.depth = depth0;
        self.peak = self.peak.max(peak0);
        Ok(expr)
    }

    /// Member accesses, calls (if `allow_call`) and tagged templates after `expr`.
    #[inline(never)]
    fn parse_chain_rest(
        &mut self,
        mut expr: Expr,
        pos: Pos,
        allow_call: bool,
    ) -> Result<Expr, SyntaxError> {
        let mut in_chain = false;
        let mut ops = 0u32;
        loop {
            let kind = match &self.tok.kind {
                TokKind::Punct(Punct::Dot) => {
                    self.advance()?;
                    let prop = self.parse_member_name()?;
                    ExprKind::Member {
                        obj: Box::new(expr),
                        prop,
                        optional: false,
                    }
                }
                TokKind::Punct(Punct::QuestionDot) => {
                    if !allow_call {
                        return Err(self.error("optional chain can't be used in a new expression"));
                    }
                    self.advance()?;
                    in_chain = true;
                    match &self.tok.kind {
                        TokKind::Punct(Punct::LParen) => ExprKind::Call {
                            callee: Box::new(expr),
                            args: self.parse_arguments()?,
                            optional: true,
                        },
                        TokKind::Punct(Punct::LBracket) => {
                            self.advance()?;
                            let index = self.parse_expression(false)?;
                            self.expect_punct(Punct::RBracket)?;
                            ExprKind::Member {
                                obj: Box::new(expr),
                                prop: PropKey::Computed(Box::new(index)),
                                optional: true,
                            }
                        }
                        TokKind::Template { .. } => {
                            return Err(
                                self.error("tagged template can't be used in optional chain")
                            )
                        }
                        _ => ExprKind::Member {
                            obj: Box::new(expr),
                            prop: self.parse_member_name()?,
                            optional: true,
                        },
                    }
                }
                TokKind::Punct(Punct::LBracket) => {
                    self.advance()?;
                    let index = self.parse_expression(false)?;
                    self.expect_punct(Punct::RBracket)?;
                    ExprKind::Member {
                        obj: Box::new(expr),
                        prop: PropKey::Computed(Box::new(index)),
                        optional: false,
                    }
                }
                TokKind::Punct(Punct::LParen) if allow_call => ExprKind::Call {
                    callee: Box::new(expr),
                    args: self.parse_arguments()?,
                    optional: false,
                },
                TokKind::Template { .. } => {
                    if in_chain {
                        return Err(self.error("tagged template can't be used in optional chain"));
                    }
                    let (cooked, raw, exprs) = self.parse_template_parts(true)?;
                    ExprKind::TaggedTemplate {
                        tag: Box::new(expr),
                        cooked,
                        raw,
                        exprs,
                    }
                }
                _ => break,
            };
            expr = Expr { kind, pos };
            ops += 1;
            if ops.is_multiple_of(CHAIN_OPS_PER_LEVEL) {
                self.enter()?;
            }
        }
        if in_chain {
            expr = Expr {
                kind: ExprKind::OptionalChain(Box::new(expr)),
                pos,
            };
        }
        Ok(expr)
    }

    /// The name after `.` / `?.` (any IdentifierName, reserved words included).
    fn parse_member_name(&mut self) -> Result<PropKey, SyntaxError> {
        match self.tok.kind {
            TokKind::Name(_) => {
                let (name, _) = self.take_name()?;
                Ok(PropKey::Static(name.into_bytes()))
            }
            TokKind::PrivateName(_) => Err(self.error("private class members are not supported")),
            _ => Err(self.unexpected()),
        }
    }

    #[inline(never)]
    fn parse_arguments(&mut self) -> Result<Vec<Arg>, SyntaxError> {
        self.expect_punct(Punct::LParen)?;
        let mut args = Vec::new();
        loop {
            if self.eat_punct(Punct::RParen)? {
                break;
            }
            if self.eat_punct(Punct::Ellipsis)? {
                args.push(Arg::Spread(self.parse_assign(false)?));
            } else {
                args.push(Arg::Expr(self.parse_assign(false)?));
            }
            if !self.eat_punct(Punct::Comma)? {
                self.expect_punct(Punct::RParen)?;
                break;
            }
        }
        Ok(args)
    }

    #[inline(never)]
    fn parse_new(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        let result = self.parse_new_inner();
        self.leave();
        result
    }

    fn parse_new_inner(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.tok.pos;
        self.advance()?;
        if self.eat_punct(Punct::Dot)? {
            if !self.is_kw("target") {
                return Err(self.unexpected());
            }
            if !self.fctx.new_target {
                return Err(self.error_at(pos, "new.target expression is not allowed here"));
            }
            self.advance()?;
            return Ok(Expr {
                kind: ExprKind::NewTarget,
                pos,
            });
        }
        let callee_pos = self.tok.pos;
        let callee = if self.is_kw("new") {
            self.parse_new()?
        } else if self.is_kw("super") {
            self.parse_super(true)?
        } else if self.is_kw("import") {
            return Err(self.error("dynamic import is not supported"));
        } else {
            self.parse_primary()?
        };
        let callee = self.parse_chain_rest(callee, callee_pos, false)?;
        let args = if self.is_punct(Punct::LParen) {
            self.parse_arguments()?
        } else {
            Vec::new()
        };
        Ok(Expr {
            kind: ExprKind::New {
                callee: Box::new(callee),
                args,
            },
            pos,
        })
    }

    /// `super(…)`, `super.x`, `super[x]` (at `super`).
    #[inline(never)]
    fn parse_super(&mut self, in_new: bool) -> Result<Expr, SyntaxError> {
        let pos = self.tok.pos;
        self.advance()?;
        let kind = match self.tok.kind {
            TokKind::Punct(Punct::LParen) if !in_new && self.fctx.super_call => {
                ExprKind::SuperCall(self.parse_arguments()?)
            }
            TokKind::Punct(Punct::Dot) if self.fctx.super_prop => {
                self.advance()?;
                ExprKind::SuperMember(self.parse_member_name()?)
            }
            TokKind::Punct(Punct::LBracket) if self.fctx.super_prop => {
                self.advance()?;
                let index = self.parse_expression(false)?;
                self.expect_punct(Punct::RBracket)?;
                ExprKind::SuperMember(PropKey::Computed(Box::new(index)))
            }
            _ => return Err(self.error_at(pos, "'super' keyword unexpected here")),
        };
        Ok(Expr { kind, pos })
    }

    // ----- primary expressions -----

    fn parse_primary(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.tok.pos;
        let expr = |kind| Expr { kind, pos };
        match &self.tok.kind {
            TokKind::Num(_) | TokKind::Str(_) => {
                self.check_octal(&self.tok)?;
                match self.take_token()?.kind {
                    TokKind::Num(n) => Ok(expr(ExprKind::Number(n))),
                    TokKind::Str(s) => Ok(expr(ExprKind::Str(s))),
                    _ => Err(self.error_at(pos, "unexpected token")),
                }
            }
            TokKind::Template { .. } => {
                let (cooked, _, exprs) = self.parse_template_parts(false)?;
                let quasis = cooked.into_iter().map(Option::unwrap_or_default).collect();
                Ok(expr(ExprKind::Template { quasis, exprs }))
            }
            TokKind::Punct(Punct::Slash | Punct::DivAssign) => {
                let slash = self.tok.clone();
                self.tok = self.lex.rescan_regex(&slash)?;
                match self.take_token()?.kind {
                    TokKind::Regex { pattern, flags } => {
                        self.validate_regex(&pattern, &flags, pos)?;
                        Ok(expr(ExprKind::Regex { pattern, flags }))
                    }
                    _ => Err(self.error_at(pos, "invalid regular expression")),
                }
            }
            TokKind::Punct(Punct::LParen) => self.parse_paren_or_arrow(),
            TokKind::Punct(Punct::LBracket) => self.parse_array_literal(),
            TokKind::Punct(Punct::LBrace) => self.parse_object_literal(),
            TokKind::PrivateName(_) => Err(self.error("private class members are not supported")),
            TokKind::Name(name) => {
                if !self.tok.escaped {
                    match name.as_str() {
                        "this" => {
                            self.advance()?;
                            return Ok(expr(ExprKind::This));
                        }
                        "null" => {
                            self.advance()?;
                            return Ok(expr(ExprKind::Null));
                        }
                        "true" | "false" => {
                            let value = name == "true";
                            self.advance()?;
                            return Ok(expr(ExprKind::Bool(value)));
                        }
                        "function" => return self.parse_function_expression(),
                        "class" => {
                            let class = self.parse_class(false)?;
                            return Ok(expr(ExprKind::Class(class)));
                        }
                        "async" => {
                            // `async function`, `async x => …` (`async (x) => …` is caught
                            // when `=>` follows the call).
                            let next = self.peek()?;
                            let is_operator = matches!(&next.kind,
                                TokKind::Name(n) if n == "in" || n == "instanceof");
                            if !next.nl_before
                                && matches!(next.kind, TokKind::Name(_))
                                && !is_operator
                            {
                                return Err(self.error("async functions are not supported"));
                            }
                        }
                        "import" => return Err(self.error("modules are not supported")),
                        _ => {}
                    }
                }
                let start = self.tok.start;
                let (name, name_pos) = self.take_name()?;
                self.check_ident_ref(&name, name_pos)?;
                if self.is_punct(Punct::Arrow) && !self.tok.nl_before && start == self.assign_start
                {
                    let param = Pattern::Ident(name);
                    return self.parse_arrow_body(Vec::from([param]), None, pos, start);
                }
                Ok(expr(ExprKind::Ident(name)))
            }
            _ => Err(self.unexpected()),
        }
    }

    /// Early errors of a regular expression literal's pattern (checked with `ferrite-regex`).
    #[inline(never)]
    fn validate_regex(&self, pattern: &[u8], flags: &[u8], pos: Pos) -> Result<(), SyntaxError> {
        let flags = ferrite_regex::Flags {
            ignore_case: flags.contains(&b'i'),
            multiline: flags.contains(&b'm'),
            dot_all: flags.contains(&b's'),
            unicode: flags.contains(&b'u'),
        };
        let nesting = crate::stack::pattern_nesting(self.max_depth, self.stack_floor);
        match ferrite_regex::Regex::check(pattern, flags, nesting) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.error_at(pos, &alloc::format!("invalid regular expression: {e}"))),
        }
    }

    #[inline(never)]
    fn parse_function_expression(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.tok.pos;
        let start = self.tok.start;
        self.advance()?;
        if self.is_punct(Punct::Star) {
            return Err(self.error("generators are not supported"));
        }
        let mut name_pos = pos;
        let name = if matches!(self.tok.kind, TokKind::Name(_)) {
            let (name, p) = self.take_name()?;
            self.check_binding_name(&name, p)?;
            name_pos = p;
            Some(name)
        } else {
            None
        };
        let func = self.parse_function_rest(name, name_pos, FunctionKind::Normal, pos, start)?;
        Ok(Expr {
            kind: ExprKind::Function(func),
            pos,
        })
    }

    /// Template chunks and substitutions (at the first chunk token). Untagged templates
    /// reject invalid escapes.
    #[allow(clippy::type_complexity)]
    #[inline(never)]
    fn parse_template_parts(
        &mut self,
        tagged: bool,
    ) -> Result<(Vec<Option<Vec<u8>>>, Vec<Vec<u8>>, Vec<Expr>), SyntaxError> {
        let mut cooked_parts = Vec::new();
        let mut raw_parts = Vec::new();
        let mut exprs = Vec::new();
        loop {
            let tok = self.take_token()?;
            let TokKind::Template { cooked, raw, tail } = tok.kind else {
                return Err(self.error_at(tok.pos, "unexpected token in template literal"));
            };
            if !tagged && cooked.is_none() {
                return Err(self.error_at(tok.pos, "invalid escape sequence in template literal"));
            }
            cooked_parts.push(cooked);
            raw_parts.push(raw);
            if tail {
                break;
            }
            exprs.push(self.parse_expression(false)?);
            if !self.is_punct(Punct::RBrace) {
                return Err(self.unexpected());
            }
            let brace = self.tok.clone();
            self.tok = self.lex.rescan_template(&brace)?;
        }
        Ok((cooked_parts, raw_parts, exprs))
    }

    /// `( … )`: a parenthesized expression, or an arrow function's parameter list.
    #[inline(never)]
    fn parse_paren_or_arrow(&mut self) -> Result<Expr, SyntaxError> {
        let open = self.take_token()?;
        let pos = open.pos;
        let can_be_arrow = open.start == self.assign_start;
        let saved_cover = self.cover_err.take();
        let mut items = Vec::new();
        let mut rest = None;
        // Position of syntax only valid in an arrow parameter list.
        let mut arrow_only: Option<Pos> = None;
        while !self.is_punct(Punct::RParen) {
            if self.is_punct(Punct::Ellipsis) {
                arrow_only.get_or_insert(self.tok.pos);
                self.advance()?;
                rest = Some(self.parse_binding_target()?);
                if !self.is_punct(Punct::RParen) {
                    return Err(self.error("rest parameter must be last formal parameter"));
                }
                break;
            }
            items.push(self.parse_assign_cover(false)?);
            if !self.is_punct(Punct::Comma) {
                break;
            }
            let comma_pos = self.tok.pos;
            self.advance()?;
            if self.is_punct(Punct::RParen) {
                arrow_only.get_or_insert(comma_pos);
            }
        }
        if items.is_empty() && rest.is_none() {
            arrow_only = Some(pos);
        }
        self.expect_punct(Punct::RParen)?;
        if can_be_arrow && self.is_punct(Punct::Arrow) && !self.tok.nl_before {
            self.cover_err = saved_cover;
            let mut params = Vec::with_capacity(items.len());
            for item in items {
                params.push(self.expr_to_param(item)?);
            }
            return self.parse_arrow_body(params, rest, pos, open.start);
        }
        if arrow_only.is_some() {
            return Err(self.unexpected());
        }
        if let Some(err) = self.cover_err.take() {
            return Err(err);
        }
        self.cover_err = saved_cover;
        let expr = if items.len() == 1 {
            match items.pop() {
                Some(e) => e,
                None => return Err(self.unexpected()),
            }
        } else {
            let first_pos = items.first().map_or(pos, |e| e.pos);
            Expr {
                kind: ExprKind::Seq(items),
                pos: first_pos,
            }
        };
        self.parens.insert(pos_key(expr.pos));
        Ok(expr)
    }

    #[inline(never)]
    fn parse_array_literal(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.tok.pos;
        self.advance()?;
        let mut elems = Vec::new();
        loop {
            if self.eat_punct(Punct::RBracket)? {
                break;
            }
            if self.eat_punct(Punct::Comma)? {
                elems.push(ArrayElem::Hole);
                continue;
            }
            if self.eat_punct(Punct::Ellipsis)? {
                elems.push(ArrayElem::Spread(self.parse_assign_cover(false)?));
                if self.is_punct(Punct::Comma) {
                    self.spread_comma.insert(pos_key(pos));
                }
            } else {
                elems.push(ArrayElem::Expr(self.parse_assign_cover(false)?));
            }
            if !self.eat_punct(Punct::Comma)? {
                self.expect_punct(Punct::RBracket)?;
                break;
            }
        }
        Ok(Expr {
            kind: ExprKind::Array(elems),
            pos,
        })
    }

    #[inline(never)]
    fn parse_object_literal(&mut self) -> Result<Expr, SyntaxError> {
        let pos = self.tok.pos;
        self.advance()?;
        let mut props = Vec::new();
        let mut has_proto = false;
        loop {
            if self.eat_punct(Punct::RBrace)? {
                break;
            }
            if self.eat_punct(Punct::Ellipsis)? {
                props.push(ObjectProp::Spread(self.parse_assign_cover(false)?));
                if self.is_punct(Punct::Comma) {
                    self.spread_comma.insert(pos_key(pos));
                }
            } else {
                props.push(self.parse_object_member(&mut has_proto)?);
            }
            if !self.eat_punct(Punct::Comma)? {
                self.expect_punct(Punct::RBrace)?;
                break;
            }
        }
        Ok(Expr {
            kind: ExprKind::Object(props),
            pos,
        })
    }

    #[inline(never)]
    fn parse_object_member(&mut self, has_proto: &mut bool) -> Result<ObjectProp, SyntaxError> {
        let start = self.tok.start;
        let pos = self.tok.pos;
        if (self.is_kw("get") || self.is_kw("set")) && self.next_starts_key()? {
            let kind = if self.is_kw("get") {
                PropKind::Get
            } else {
                PropKind::Set
            };
            self.advance()?;
            let key_pos = self.tok.pos;
            let key = self.parse_prop_key()?;
            let func = self.parse_function_rest(None, key_pos, FunctionKind::Method, pos, start)?;
            self.check_accessor_params(&func, kind, key_pos)?;
            return Ok(ObjectProp::Prop {
                key,
                value: Expr {
                    kind: ExprKind::Function(func),
                    pos,
                },
                kind,
            });
        }
        if self.is_kw("async") && self.next_starts_method()? {
            return Err(self.error("async methods are not supported"));
        }
        if self.is_punct(Punct::Star) {
            return Err(self.error("generators are not supported"));
        }
        let key_name = match &self.tok.kind {
            TokKind::Name(n) => Some((n.clone(), self.tok.pos)),
            _ => None,
        };
        let key = self.parse_prop_key()?;
        if self.is_punct(Punct::LParen) {
            let func = self.parse_function_rest(None, pos, FunctionKind::Method, pos, start)?;
            return Ok(ObjectProp::Prop {
                key,
                value: Expr {
                    kind: ExprKind::Function(func),
                    pos,
                },
                kind: PropKind::Init,
            });
        }
        if self.eat_punct(Punct::Colon)? {
            if matches!(&key, PropKey::Static(k) if k == b"__proto__") {
                if *has_proto {
                    self.defer_cover_error(
                        pos,
                        "duplicate __proto__ fields are not allowed in object literals",
                    );
                }
                *has_proto = true;
            }
            let value = self.parse_assign_cover(false)?;
            return Ok(ObjectProp::Prop {
                key,
                value,
                kind: PropKind::Init,
            });
        }
        let Some((name, name_pos)) = key_name else {
            return Err(self.unexpected());
        };
        self.check_ident_ref(&name, name_pos)?;
        let value = if self.is_punct(Punct::Assign) {
            if self.strict && (name == "eval" || name == "arguments") {
                return Err(self.error_at(name_pos, "invalid assignment target"));
            }
            self.defer_cover_error(self.tok.pos, "invalid shorthand property initializer");
            self.advance()?;
            let default = self.parse_assign(false)?;
            Expr {
                kind: ExprKind::Assign(
                    AssignOp::Assign,
                    Box::new(Pattern::Ident(name)),
                    Box::new(default),
                ),
                pos: name_pos,
            }
        } else {
            Expr {
                kind: ExprKind::Ident(name),
                pos: name_pos,
            }
        };
        Ok(ObjectProp::Prop {
            key,
            value,
            kind: PropKind::Init,
        })
    }

    /// A property name: identifier name, string, number (canonicalised) or `[expr]`.
    #[inline(never)]
    pub(super) fn parse_prop_key(&mut self) -> Result<PropKey, SyntaxError> {
        match &self.tok.kind {
            TokKind::Name(_) => {
                let (name, _) = self.take_name()?;
                Ok(PropKey::Static(name.into_bytes()))
            }
            TokKind::Str(_) | TokKind::Num(_) => {
                self.check_octal(&self.tok)?;
                match self.take_token()?.kind {
                    TokKind::Str(s) => Ok(PropKey::Static(s)),
                    TokKind::Num(n) => Ok(PropKey::Static(number_to_string(n).into_bytes())),
                    _ => Err(self.unexpected()),
                }
            }
            TokKind::Punct(Punct::LBracket) => {
                self.advance()?;
                let key = self.parse_assign(false)?;
                self.expect_punct(Punct::RBracket)?;
                Ok(PropKey::Computed(Box::new(key)))
            }
            TokKind::PrivateName(_) => Err(self.error("private class members are not supported")),
            _ => Err(self.unexpected()),
        }
    }

    // ----- binding patterns -----

    /// A binding identifier or pattern (declarations, parameters, catch).
    pub(super) fn parse_binding_target(&mut self) -> Result<Pattern, SyntaxError> {
        self.enter()?;
        let result = match self.tok.kind {
            TokKind::Punct(Punct::LBracket) => self.parse_array_binding(),
            TokKind::Punct(Punct::LBrace) => self.parse_object_binding(),
            TokKind::Name(_) => self.parse_binding_ident(),
            _ => Err(self.unexpected()),
        };
        self.leave();
        result
    }

    fn parse_binding_ident(&mut self) -> Result<Pattern, SyntaxError> {
        let (name, pos) = self.take_name()?;
        self.check_binding_name(&name, pos)?;
        Ok(Pattern::Ident(name))
    }

    /// A binding target with an optional `= default`.
    pub(super) fn parse_binding_element(&mut self) -> Result<Pattern, SyntaxError> {
        let target = self.parse_binding_target()?;
        if self.eat_punct(Punct::Assign)? {
            let default = self.parse_assign(false)?;
            return Ok(Pattern::Default(Box::new(target), Box::new(default)));
        }
        Ok(target)
    }

    fn parse_array_binding(&mut self) -> Result<Pattern, SyntaxError> {
        self.advance()?;
        let mut elems = Vec::new();
        let mut rest = None;
        loop {
            if self.eat_punct(Punct::RBracket)? {
                break;
            }
            if self.eat_punct(Punct::Comma)? {
                elems.push(None);
                continue;
            }
            if self.eat_punct(Punct::Ellipsis)? {
                rest = Some(Box::new(self.parse_binding_target()?));
                if !self.is_punct(Punct::RBracket) {
                    return Err(self.error("rest element must be last element"));
                }
                self.advance()?;
                break;
            }
            elems.push(Some(self.parse_binding_element()?));
            if !self.eat_punct(Punct::Comma)? {
                self.expect_punct(Punct::RBracket)?;
                break;
            }
        }
        Ok(Pattern::Array { elems, rest })
    }

    fn parse_object_binding(&mut self) -> Result<Pattern, SyntaxError> {
        self.advance()?;
        let mut props = Vec::new();
        let mut rest = None;
        loop {
            if self.eat_punct(Punct::RBrace)? {
                break;
            }
            if self.eat_punct(Punct::Ellipsis)? {
                if !matches!(self.tok.kind, TokKind::Name(_)) {
                    return Err(self.unexpected());
                }
                rest = Some(Box::new(self.parse_binding_ident()?));
                if !self.is_punct(Punct::RBrace) {
                    return Err(self.error("rest element must be last element"));
                }
                self.advance()?;
                break;
            }
            let key_name = match &self.tok.kind {
                TokKind::Name(n) => Some((n.clone(), self.tok.pos)),
                _ => None,
            };
            let key = self.parse_prop_key()?;
            let value = if self.eat_punct(Punct::Colon)? {
                self.parse_binding_element()?
            } else if let Some((name, name_pos)) = key_name {
                self.check_binding_name(&name, name_pos)?;
                let target = Pattern::Ident(name);
                if self.eat_punct(Punct::Assign)? {
                    let default = self.parse_assign(false)?;
                    Pattern::Default(Box::new(target), Box::new(default))
                } else {
                    target
                }
            } else {
                return Err(self.unexpected());
            };
            props.push(PatProp { key, value });
            if !self.eat_punct(Punct::Comma)? {
                self.expect_punct(Punct::RBrace)?;
                break;
            }
        }
        Ok(Pattern::Object { props, rest })
    }

    // ----- cover grammar conversions -----

    /// Converts an expression to an assignment target; object/array literals become patterns
    /// if `allow_pattern`.
    #[inline(never)]
    pub(super) fn expr_to_target(
        &mut self,
        e: Expr,
        allow_pattern: bool,
    ) -> Result<Pattern, SyntaxError> {
        let paren = self.is_paren(&e);
        let Expr { kind, pos } = e;
        match kind {
            ExprKind::Ident(name) => {
                if self.strict && (name == "eval" || name == "arguments") {
                    return Err(self.error_at(
                        pos,
                        &alloc::format!("can't assign to '{name}' in strict mode"),
                    ));
                }
                Ok(Pattern::Ident(name))
            }
            kind @ (ExprKind::Member { .. } | ExprKind::SuperMember(_)) => {
                Ok(Pattern::Member(Box::new(Expr { kind, pos })))
            }
            ExprKind::Array(elems) if allow_pattern && !paren => self.array_to_pattern(elems, pos),
            ExprKind::Object(props) if allow_pattern && !paren => {
                self.object_to_pattern(props, pos)
            }
            _ => Err(self.error_at(pos, "invalid assignment target")),
        }
    }

    /// An element of an array/object pattern: `target` or `target = default`.
    fn elem_to_target(&mut self, e: Expr) -> Result<Pattern, SyntaxError> {
        let paren = self.is_paren(&e);
        match e.kind {
            ExprKind::Assign(AssignOp::Assign, target, default) if !paren => {
                Ok(Pattern::Default(target, default))
            }
            kind => self.expr_to_target(Expr { kind, pos: e.pos }, true),
        }
    }

    fn array_to_pattern(
        &mut self,
        elems: Vec<ArrayElem>,
        pos: Pos,
    ) -> Result<Pattern, SyntaxError> {
        let trailing_comma = self.spread_comma.contains(&pos_key(pos));
        let count = elems.len();
        let mut out = Vec::with_capacity(count);
        let mut rest = None;
        for (i, elem) in elems.into_iter().enumerate() {
            match elem {
                ArrayElem::Hole => out.push(None),
                ArrayElem::Expr(e) => out.push(Some(self.elem_to_target(e)?)),
                ArrayElem::Spread(e) => {
                    if i + 1 != count || trailing_comma {
                        return Err(self.error_at(e.pos, "rest element must be last element"));
                    }
                    rest = Some(Box::new(self.expr_to_target(e, true)?));
                }
            }
        }
        Ok(Pattern::Array { elems: out, rest })
    }

    fn object_to_pattern(
        &mut self,
        props: Vec<ObjectProp>,
        pos: Pos,
    ) -> Result<Pattern, SyntaxError> {
        let trailing_comma = self.spread_comma.contains(&pos_key(pos));
        let count = props.len();
        let mut out = Vec::with_capacity(count);
        let mut rest = None;
        for (i, prop) in props.into_iter().enumerate() {
            match prop {
                ObjectProp::Prop {
                    key,
                    value,
                    kind: PropKind::Init,
                } => {
                    let value = self.elem_to_target(value)?;
                    out.push(PatProp { key, value });
                }
                ObjectProp::Prop { value, .. } => {
                    return Err(self.error_at(value.pos, "invalid destructuring target"))
                }
                ObjectProp::Spread(e) => {
                    if i + 1 != count || trailing_comma {
                        return Err(self.error_at(e.pos, "rest element must be last element"));
                    }
                    rest = Some(Box::new(self.expr_to_target(e, false)?));
                }
            }
        }
        Ok(Pattern::Object { props: out, rest })
    }

    /// Converts a parenthesized item to an arrow parameter.
    fn expr_to_param(&mut self, e: Expr) -> Result<Pattern, SyntaxError> {
        let pos = e.pos;
        if self.is_paren(&e) {
            return Err(self.error_at(pos, "invalid arrow function parameter"));
        }
        let pattern = match e.kind {
            ExprKind::Assign(AssignOp::Assign, target, default) => {
                Pattern::Default(target, default)
            }
            kind => self.expr_to_target(Expr { kind, pos }, true)?,
        };
        self.check_binding_pattern(&pattern, pos)?;
        Ok(pattern)
    }

    /// Checks that an assignment pattern is also a valid binding pattern.
    fn check_binding_pattern(&self, p: &Pattern, pos: Pos) -> Result<(), SyntaxError> {
        match p {
            Pattern::Ident(name) => self.check_binding_name(name, pos),
            Pattern::Member(_) => Err(self.error_at(pos, "invalid destructuring target")),
            Pattern::Object { props, rest } => {
                for prop in props {
                    self.check_binding_pattern(&prop.value, pos)?;
                }
                match rest {
                    Some(r) => self.check_binding_pattern(r, pos),
                    None => Ok(()),
                }
            }
            Pattern::Array { elems, rest } => {
                for elem in elems.iter().flatten() {
                    self.check_binding_pattern(elem, pos)?;
                }
                match rest {
                    Some(r) => self.check_binding_pattern(r, pos),
                    None => Ok(()),
                }
            }
            Pattern::Default(target, _) => self.check_binding_pattern(target, pos),
        }
    }
}
