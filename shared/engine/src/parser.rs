//! The parser: JavaScript (ES5.1 + ES2015+ script syntax) source → [`ast::Program`].
//!
//! A hand-written recursive-descent parser over the on-demand [`Lexer`]. It reports the first
//! syntax error, including the ECMAScript *early errors* (invalid assignment targets, strict
//! mode restrictions, redeclarations, bad `break`/`continue`/`return`/`super`/`new.target`, …).
//!
//! Design notes:
//! - Arrow functions and destructuring assignments use the *cover grammar*: parenthesized
//!   expressions and object/array literals are parsed as expressions and reinterpreted as
//!   parameter lists or patterns when `=>` or `=` follows (see `expr.rs`).
//! - Recursion is bounded by [`ParseOptions::max_nesting`]: every recursive parse function
//!   counts depth, and loops that build left-nested trees (`a+b+c`, `a.b.c()`) count too, so
//!   the AST height (and hence the compiler's recursion and the AST's drop) stays bounded.
//!   Exceeding the limit is the SyntaxError `"nesting too deep"`, never a stack overflow.
//! - Generators, async functions, modules, BigInt and class private members are rejected with
//!   a clear SyntaxError.

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedSet;

use crate::ast::{
    Class, ClassField, ClassMember, ExprKind, ForHead, ForInit, Function, FunctionKind, Pattern,
    Pos, Program, PropKey, PropKind, Stmt, StmtKind, SwitchCase, VarDecl, VarKind,
};
use crate::lexer::{Lexer, Punct, TokKind, Token};

mod expr;
mod scope;
#[cfg(test)]
mod tests;

use scope::{Scope, ScopeKind};

/// A syntax error (or a parser limit) with its 1-based position (column in bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub line: u32,
    pub col: u32,
}

impl core::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}:{}: SyntaxError: {}",
            self.line, self.col, self.message
        )
    }
}

/// Parser settings.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// Maximum nesting of brackets, blocks and expressions (and of operator chains, which count
    /// one level per few operators).
    pub max_nesting: u32,
    /// Parse as strict mode code from the start (as if `"use strict"` were present).
    pub strict: bool,
    /// Eval code inside a function: `new.target` is allowed.
    pub new_target: bool,
    /// Eval code inside a method: `super.x` is allowed.
    pub super_property: bool,
    /// The native stack's floor (`crate::stack`; 0: none).
    pub stack_floor: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_nesting: 256,
            strict: false,
            new_target: false,
            super_property: false,
            stack_floor: 0,
        }
    }
}

/// Parses a script.
pub fn parse_program(source: &[u8], opts: &ParseOptions) -> Result<Program, SyntaxError> {
    if source.len() > (u32::MAX / 2) as usize {
        return Err(SyntaxError {
            message: String::from("script too large"),
            line: 1,
            col: 1,
        });
    }
    let mut parser = Parser::new(source, opts)?;
    parser.parse_script()
}

/// Where a statement appears: this decides which declarations are allowed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StmtCtx {
    /// A statement list (script, function body, block, case clause): anything goes.
    List,
    /// The body of a label that is itself in a statement list: sloppy functions allowed.
    LabelInList,
    /// The body of `if`/`else`: sloppy functions allowed (Annex B).
    If,
    /// Loop/`with`/other bodies: no declarations at all.
    Body,
}

/// A label in scope for `break`/`continue`.
struct Label {
    name: String,
    is_loop: bool,
}

/// Per-function parsing context.
#[derive(Default)]
struct FnCtx {
    /// `return` is allowed.
    in_function: bool,
    new_target: bool,
    super_prop: bool,
    super_call: bool,
    /// In a class field initializer: `arguments` is an error.
    in_field_init: bool,
    labels: Vec<Label>,
    /// Number of labels directly applying to the statement being parsed.
    pending_labels: usize,
    /// Enclosing loops and switches (for unlabelled `break`).
    breakable: u32,
    /// Enclosing loops (for unlabelled `continue`).
    loops: u32,
}

/// Words that can never be identifiers.
const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
];

/// Words that start statements (or are rejected there).
const STATEMENT_KEYWORDS: &[&str] = &[
    "var", "let", "const", "function", "class", "if", "for", "while", "do", "continue", "break",
    "return", "throw", "try", "switch", "with", "debugger", "import", "export", "async",
];

/// Words that can't be identifiers in strict mode code.
const STRICT_RESERVED: &[&str] = &[
    "implements",
    "interface",
    "let",
    "package",
    "private",
    "protected",
    "public",
    "static",
    "yield",
];

/// Parameters of a function being parsed.
struct Params {
    params: Vec<Pattern>,
    rest: Option<Pattern>,
    simple: bool,
    names: Vec<(String, Pos)>,
}

struct Parser<'a> {
    src: &'a [u8],
    lex: Lexer<'a>,
    /// The current (look-ahead) token.
    tok: Token,
    /// End offset of the previously consumed token.
    prev_end: u32,
    max_depth: u32,
    stack_floor: usize,
    depth: u32,
    /// The highest depth reached (see `expr.rs` for how chains use it).
    peak: u32,
    strict: bool,
    fctx: FnCtx,
    scopes: Vec<Scope>,
    /// A deferred error in an object/array literal that is only valid if the literal turns
    /// out to be a pattern (`{a = 1}`, duplicate `__proto__`).
    cover_err: Option<SyntaxError>,
    /// Positions of parenthesized expressions (`(a)`, `({})`).
    parens: SortedSet<(u32, u32)>,
    /// Positions of array/object literals with a spread followed by a comma (`[...a,]`).
    spread_comma: SortedSet<(u32, u32)>,
    /// Start offset of the innermost AssignmentExpression being parsed (arrows start there).
    assign_start: u32,
    /// End offset of the most recently parsed arrow function (nothing may follow it).
    arrow_end: u32,
}

fn pos_key(pos: Pos) -> (u32, u32) {
    (pos.line, pos.col)
}

impl<'a> Parser<'a> {
    fn new(src: &'a [u8], opts: &ParseOptions) -> Result<Parser<'a>, SyntaxError> {
        let mut lex = Lexer::new(src);
        let tok = lex.next_token()?;
        Ok(Parser {
            src,
            lex,
            tok,
            prev_end: 0,
            max_depth: opts.max_nesting,
            stack_floor: opts.stack_floor,
            depth: 0,
            peak: 0,
            strict: opts.strict,
            fctx: FnCtx {
                new_target: opts.new_target,
                super_prop: opts.super_property,
                ..FnCtx::default()
            },
            scopes: Vec::new(),
            cover_err: None,
            parens: SortedSet::new(),
            spread_comma: SortedSet::new(),
            assign_start: u32::MAX,
            arrow_end: u32::MAX,
        })
    }

    // ----- errors -----

    fn error_at(&self, pos: Pos, message: &str) -> SyntaxError {
        SyntaxError {
            message: String::from(message),
            line: pos.line,
            col: pos.col,
        }
    }

    fn error(&self, message: &str) -> SyntaxError {
        self.error_at(self.tok.pos, message)
    }

    /// "unexpected token" for the current token.
    fn unexpected(&self) -> SyntaxError {
        let what = match &self.tok.kind {
            TokKind::Eof => return self.error("unexpected end of input"),
            TokKind::Name(n) => format!("unexpected token '{n}'"),
            TokKind::PrivateName(n) => format!("unexpected token '#{n}'"),
            TokKind::Punct(p) => format!("unexpected token '{}'", p.as_str()),
            TokKind::Num(_) => String::from("unexpected number"),
            TokKind::Str(_) => String::from("unexpected string"),
            TokKind::Template { .. } => String::from("unexpected template string"),
            TokKind::Regex { .. } => String::from("unexpected regular expression"),
        };
        self.error(&what)
    }

    // ----- depth -----

    /// Enters one nesting level (paired with [`Parser::leave`]).
    fn enter(&mut self) -> Result<(), SyntaxError> {
        #[cfg(test)]
        tests::record_stack(); // Stack-usage measurement (see `tests::stack_usage_report`).
        self.depth += 1;
        if self.depth > self.peak {
            self.peak = self.depth;
        }
        if self.depth > self.max_depth || !crate::stack::has_room(self.stack_floor) {
            return Err(self.error("nesting too deep"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ----- tokens -----

    /// Consumes the current token.
    #[inline(never)]
    fn advance(&mut self) -> Result<(), SyntaxError> {
        let next = self.lex.next_token()?;
        self.prev_end = self.tok.end;
        self.tok = next;
        Ok(())
    }

    /// Consumes the current token and returns it.
    #[inline(never)]
    fn take_token(&mut self) -> Result<Token, SyntaxError> {
        let next = self.lex.next_token()?;
        let old = core::mem::replace(&mut self.tok, next);
        self.prev_end = old.end;
        Ok(old)
    }

    /// The token after the current one.
    fn peek(&self) -> Result<Token, SyntaxError> {
        self.lex.clone().next_token()
    }

    fn is_punct(&self, p: Punct) -> bool {
        self.tok.kind == TokKind::Punct(p)
    }

    fn eat_punct(&mut self, p: Punct) -> Result<bool, SyntaxError> {
        if self.is_punct(p) {
            self.advance()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn expect_punct(&mut self, p: Punct) -> Result<(), SyntaxError> {
        if self.is_punct(p) {
            self.advance()?;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// The current token is the (unescaped) keyword or contextual keyword `kw`.
    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok.kind, TokKind::Name(n) if n == kw && !self.tok.escaped)
    }

    fn eat_kw(&mut self, kw: &str) -> Result<bool, SyntaxError> {
        if self.is_kw(kw) {
            self.advance()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), SyntaxError> {
        if self.eat_kw(kw)? {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// A `;` or an automatically inserted one.
    fn consume_semicolon(&mut self) -> Result<(), SyntaxError> {
        if self.eat_punct(Punct::Semi)? {
            return Ok(());
        }
        if self.is_punct(Punct::RBrace) || self.tok.kind == TokKind::Eof || self.tok.nl_before {
            return Ok(());
        }
        Err(self.unexpected())
    }

    fn at_eof(&self) -> bool {
        self.tok.kind == TokKind::Eof
    }

    /// Takes the current name token (an identifier) and returns the name.
    fn take_name(&mut self) -> Result<(String, Pos), SyntaxError> {
        let pos = self.tok.pos;
        match self.take_token()?.kind {
            TokKind::Name(n) => Ok((n, pos)),
            _ => Err(self.error_at(pos, "expected an identifier")),
        }
    }

    // ----- identifiers -----

    /// Checks a name used as an identifier reference or label.
    fn check_ident_ref(&self, name: &str, pos: Pos) -> Result<(), SyntaxError> {
        if RESERVED.contains(&name) {
            return Err(self.error_at(pos, &format!("unexpected reserved word '{name}'")));
        }
        if self.strict && STRICT_RESERVED.contains(&name) {
            return Err(self.error_at(
                pos,
                &format!("unexpected strict mode reserved word '{name}'"),
            ));
        }
        if self.fctx.in_field_init && name == "arguments" {
            return Err(self.error_at(pos, "'arguments' is not allowed in class field initializer"));
        }
        Ok(())
    }

    /// Checks a name being bound (declarations, parameters).
    fn check_binding_name(&self, name: &str, pos: Pos) -> Result<(), SyntaxError> {
        self.check_ident_ref(name, pos)?;
        if self.strict && (name == "eval" || name == "arguments") {
            return Err(self.error_at(pos, &format!("unexpected '{name}' in strict mode")));
        }
        Ok(())
    }

    // ----- program and statements -----

    fn parse_script(&mut self) -> Result<Program, SyntaxError> {
        self.scopes.push(Scope::new(ScopeKind::Function));
        let (body, _) = self.parse_body(false)?;
        self.scopes.pop();
        Ok(Program {
            body,
            strict: self.strict,
        })
    }

    /// A script or function body with its directive prologue; stops at EOF (script) or `}`
    /// (function, not consumed). Returns the statements and whether `"use strict"` was seen.
    fn parse_body(&mut self, function: bool) -> Result<(Vec<Stmt>, bool), SyntaxError> {
        let mut body = Vec::new();
        let mut in_prologue = true;
        let mut octal_pos: Option<Pos> = None;
        let mut use_strict = false;
        loop {
            if self.at_eof() || (function && self.is_punct(Punct::RBrace)) {
                break;
            }
            if in_prologue {
                if let TokKind::Str(_) = self.tok.kind {
                    let tok = self.tok.clone();
                    let stmt = self.parse_statement(StmtCtx::List)?;
                    let is_directive = matches!(&stmt.kind,
                        StmtKind::Expr(e) if matches!(e.kind, ExprKind::Str(_)) && e.pos == tok.pos);
                    if is_directive {
                        if tok.legacy_octal && octal_pos.is_none() {
                            octal_pos = Some(tok.pos);
                        }
                        let raw = self
                            .src
                            .get(tok.start as usize + 1..(tok.end as usize).saturating_sub(1));
                        if raw == Some(b"use strict".as_slice()) {
                            use_strict = true;
                            self.strict = true;
                            if let Some(p) = octal_pos {
                                return Err(self.error_at(
                                    p,
                                    "octal escape sequences are not allowed in strict mode",
                                ));
                            }
                        }
                    } else {
                        in_prologue = false;
                    }
                    body.push(stmt);
                    continue;
                }
                in_prologue = false;
            }
            body.push(self.parse_statement(StmtCtx::List)?);
        }
        Ok((body, use_strict))
    }

    fn parse_statement(&mut self, ctx: StmtCtx) -> Result<Stmt, SyntaxError> {
        // On errors the parse is abandoned, so the depth is only restored on success.
        self.enter()?;
        let pos = self.tok.pos;
        let pending_labels = core::mem::take(&mut self.fctx.pending_labels);
        let keyword = match &self.tok.kind {
            TokKind::Name(n) if !self.tok.escaped => STATEMENT_KEYWORDS
                .iter()
                .find(|k| **k == n.as_str())
                .copied()
                .unwrap_or(""),
            TokKind::Punct(Punct::LBrace) => "{",
            TokKind::Punct(Punct::Semi) => ";",
            _ => "",
        };
        let kind = match keyword {
            "{" => StmtKind::Block(self.parse_block()?),
            ";" => {
                self.advance()?;
                StmtKind::Empty
            }
            "var" => self.parse_var_statement()?,
            "let" | "const" => self.parse_lexical_statement(keyword, ctx, pending_labels)?,
            "function" => self.parse_function_statement(ctx)?,
            "class" => {
                if ctx != StmtCtx::List {
                    return Err(
                        self.error("class declarations can't appear in a single-statement context")
                    );
                }
                StmtKind::Class(self.parse_class(true)?)
            }
            "if" => self.parse_if()?,
            "for" => self.parse_for(pending_labels)?,
            "while" => self.parse_while(pending_labels)?,
            "do" => self.parse_do_while(pending_labels)?,
            "continue" | "break" => self.parse_break_continue(keyword == "continue")?,
            "return" => self.parse_return()?,
            "throw" => self.parse_throw()?,
            "try" => self.parse_try()?,
            "switch" => self.parse_switch()?,
            "with" => self.parse_with()?,
            "debugger" => {
                self.advance()?;
                self.consume_semicolon()?;
                StmtKind::Debugger
            }
            "import" | "export" => return Err(self.module_error(keyword)),
            "async" => self.parse_async_statement(ctx, pending_labels)?,
            _ => self.parse_expression_statement_or_label(ctx, pending_labels)?,
        };
        self.leave();
        Ok(Stmt { kind, pos })
    }

    #[inline(never)]
    fn parse_var_statement(&mut self) -> Result<StmtKind, SyntaxError> {
        self.advance()?;
        let decls = self.parse_var_decls(VarKind::Var, false, false)?;
        self.consume_semicolon()?;
        Ok(StmtKind::Var(VarKind::Var, decls))
    }

    #[inline(never)]
    fn parse_lexical_statement(
        &mut self,
        keyword: &str,
        ctx: StmtCtx,
        pending_labels: usize,
    ) -> Result<StmtKind, SyntaxError> {
        let is_decl = keyword == "const" || self.let_is_declaration(ctx)?;
        if !is_decl {
            return self.parse_expression_statement_or_label(ctx, pending_labels);
        }
        if ctx != StmtCtx::List {
            return Err(
                self.error("lexical declaration cannot appear in a single-statement context")
            );
        }
        let kind = if keyword == "let" {
            VarKind::Let
        } else {
            VarKind::Const
        };
        self.advance()?;
        let decls = self.parse_var_decls(kind, false, false)?;
        self.consume_semicolon()?;
        Ok(StmtKind::Var(kind, decls))
    }

    #[inline(never)]
    fn parse_function_statement(&mut self, ctx: StmtCtx) -> Result<StmtKind, SyntaxError> {
        match ctx {
            StmtCtx::List => {}
            StmtCtx::If | StmtCtx::LabelInList if !self.strict => {}
            _ => {
                return Err(
                    self.error("function declarations can't appear in a single-statement context")
                )
            }
        }
        // An `if (x) function f() {}` body is scoped as if it were in a block.
        let wrap = ctx == StmtCtx::If;
        if wrap {
            self.scopes.push(Scope::new(ScopeKind::Block));
        }
        let func = self.parse_function_declaration()?;
        if wrap {
            self.scopes.pop();
        }
        Ok(StmtKind::Function(func))
    }

    #[inline(never)]
    fn parse_while(&mut self, pending_labels: usize) -> Result<StmtKind, SyntaxError> {
        self.advance()?;
        self.expect_punct(Punct::LParen)?;
        let test = self.parse_expression(false)?;
        self.expect_punct(Punct::RParen)?;
        let body = self.parse_loop_body(pending_labels)?;
        Ok(StmtKind::While(test, Box::new(body)))
    }

    #[inline(never)]
    fn parse_do_while(&mut self, pending_labels: usize) -> Result<StmtKind, SyntaxError> {
        self.advance()?;
        let body = self.parse_loop_body(pending_labels)?;
        self.expect_kw("while")?;
        self.expect_punct(Punct::LParen)?;
        let test = self.parse_expression(false)?;
        self.expect_punct(Punct::RParen)?;
        self.eat_punct(Punct::Semi)?;
        Ok(StmtKind::DoWhile(Box::new(body), test))
    }

    #[inline(never)]
    fn parse_return(&mut self) -> Result<StmtKind, SyntaxError> {
        if !self.fctx.in_function {
            return Err(self.error("return outside of a function"));
        }
        self.advance()?;
        let arg = if self.is_punct(Punct::Semi)
            || self.is_punct(Punct::RBrace)
            || self.at_eof()
            || self.tok.nl_before
        {
            None
        } else {
            Some(self.parse_expression(false)?)
        };
        self.consume_semicolon()?;
        Ok(StmtKind::Return(arg))
    }

    #[inline(never)]
    fn parse_throw(&mut self) -> Result<StmtKind, SyntaxError> {
        self.advance()?;
        if self.tok.nl_before {
            return Err(self.error("illegal newline after throw"));
        }
        let arg = self.parse_expression(false)?;
        self.consume_semicolon()?;
        Ok(StmtKind::Throw(arg))
    }

    #[inline(never)]
    fn parse_with(&mut self) -> Result<StmtKind, SyntaxError> {
        if self.strict {
            return Err(self.error("with statements are not allowed in strict mode"));
        }
        self.advance()?;
        self.expect_punct(Punct::LParen)?;
        let obj = self.parse_expression(false)?;
        self.expect_punct(Punct::RParen)?;
        let body = self.parse_statement(StmtCtx::Body)?;
        Ok(StmtKind::With(obj, Box::new(body)))
    }

    #[inline(never)]
    fn module_error(&self, keyword: &str) -> SyntaxError {
        if keyword == "import"
            && self
                .peek()
                .is_ok_and(|t| matches!(t.kind, TokKind::Punct(Punct::LParen | Punct::Dot)))
        {
            return self.error("dynamic import is not supported");
        }
        self.error("modules are not supported")
    }

    #[inline(never)]
    fn parse_async_statement(
        &mut self,
        ctx: StmtCtx,
        pending_labels: usize,
    ) -> Result<StmtKind, SyntaxError> {
        let next = self.peek()?;
        if !next.nl_before && matches!(&next.kind, TokKind::Name(n) if n == "function") {
            return Err(self.error("async functions are not supported"));
        }
        self.parse_expression_statement_or_label(ctx, pending_labels)
    }

    /// Sloppy-mode `let`: is it the start of a lexical declaration?
    fn let_is_declaration(&self, ctx: StmtCtx) -> Result<bool, SyntaxError> {
        if self.strict {
            return Ok(true);
        }
        let next = self.peek()?;
        if ctx != StmtCtx::List {
            // `let [` can't start an expression statement; anything else is an expression.
            return Ok(next.kind == TokKind::Punct(Punct::LBracket));
        }
        Ok(match &next.kind {
            TokKind::Punct(Punct::LBracket | Punct::LBrace) => true,
            TokKind::Name(n) => next.escaped || (n != "in" && n != "instanceof"),
            _ => false,
        })
    }

    #[inline(never)]
    fn parse_expression_statement_or_label(
        &mut self,
        ctx: StmtCtx,
        pending_labels: usize,
    ) -> Result<StmtKind, SyntaxError> {
        if matches!(self.tok.kind, TokKind::Name(_))
            && self.peek()?.kind == TokKind::Punct(Punct::Colon)
        {
            return self.parse_labelled(ctx, pending_labels);
        }
        let expr = self.parse_expression(false)?;
        self.consume_semicolon()?;
        Ok(StmtKind::Expr(expr))
    }

    #[inline(never)]
    fn parse_labelled(
        &mut self,
        ctx: StmtCtx,
        pending_labels: usize,
    ) -> Result<StmtKind, SyntaxError> {
        let (name, name_pos) = self.take_name()?;
        self.check_ident_ref(&name, name_pos)?;
        if self.fctx.labels.iter().any(|l| l.name == name) {
            return Err(self.error_at(name_pos, &format!("duplicate label '{name}'")));
        }
        self.expect_punct(Punct::Colon)?;
        self.fctx.labels.push(Label {
            name: name.clone(),
            is_loop: false,
        });
        self.fctx.pending_labels = pending_labels + 1;
        let body_ctx = match ctx {
            StmtCtx::List | StmtCtx::LabelInList => StmtCtx::LabelInList,
            _ => StmtCtx::Body,
        };
        let body = self.parse_statement(body_ctx)?;
        self.fctx.labels.pop();
        Ok(StmtKind::Labeled(name, Box::new(body)))
    }

    /// `{ … }` with its own block scope.
    fn parse_block(&mut self) -> Result<Vec<Stmt>, SyntaxError> {
        self.expect_punct(Punct::LBrace)?;
        self.scopes.push(Scope::new(ScopeKind::Block));
        let mut body = Vec::new();
        while !self.is_punct(Punct::RBrace) {
            if self.at_eof() {
                return Err(self.unexpected());
            }
            body.push(self.parse_statement(StmtCtx::List)?);
        }
        self.advance()?;
        self.scopes.pop();
        Ok(body)
    }

    /// The body of a loop: labels directly on the loop become loop labels.
    fn parse_loop_body(&mut self, pending_labels: usize) -> Result<Stmt, SyntaxError> {
        let n = self.fctx.labels.len();
        for label in &mut self.fctx.labels[n.saturating_sub(pending_labels)..] {
            label.is_loop = true;
        }
        self.fctx.loops += 1;
        self.fctx.breakable += 1;
        let body = self.parse_statement(StmtCtx::Body)?;
        self.fctx.loops -= 1;
        self.fctx.breakable -= 1;
        Ok(body)
    }

    #[inline(never)]
    fn parse_if(&mut self) -> Result<StmtKind, SyntaxError> {
        self.advance()?;
        self.expect_punct(Punct::LParen)?;
        let test = self.parse_expression(false)?;
        self.expect_punct(Punct::RParen)?;
        let cons = self.parse_statement(StmtCtx::If)?;
        let alt = if self.eat_kw("else")? {
            Some(Box::new(self.parse_statement(StmtCtx::If)?))
        } else {
            None
        };
        Ok(StmtKind::If(test, Box::new(cons), alt))
    }

    #[inline(never)]
    fn parse_break_continue(&mut self, is_continue: bool) -> Result<StmtKind, SyntaxError> {
        let pos = self.tok.pos;
        self.advance()?;
        let label = if matches!(self.tok.kind, TokKind::Name(_)) && !self.tok.nl_before {
            let (name, name_pos) = self.take_name()?;
            self.check_ident_ref(&name, name_pos)?;
            match self.fctx.labels.iter().rev().find(|l| l.name == name) {
                None => return Err(self.error_at(name_pos, &format!("undefined label '{name}'"))),
                Some(l) if is_continue && !l.is_loop => {
                    return Err(
                        self.error_at(name_pos, &format!("continue target '{name}' is not a loop"))
                    )
                }
                Some(_) => {}
            }
            Some(name)
        } else {
            if is_continue && self.fctx.loops == 0 {
                return Err(self.error_at(pos, "continue outside of a loop"));
            }
            if !is_continue && self.fctx.breakable == 0 {
                return Err(self.error_at(pos, "break outside of a loop or switch"));
            }
            None
        };
        self.consume_semicolon()?;
        Ok(if is_continue {
            StmtKind::Continue(label)
        } else {
            StmtKind::Break(label)
        })
    }

    #[inline(never)]
    fn parse_try(&mut self) -> Result<StmtKind, SyntaxError> {
        let pos = self.tok.pos;
        self.advance()?;
        let block = self.parse_block()?;
        let mut param = None;
        let mut handler = None;
        let mut finalizer = None;
        if self.eat_kw("catch")? {
            let mut names = Vec::new();
            let mut simple = true;
            if self.eat_punct(Punct::LParen)? {
                let p = self.parse_binding_target()?;
                simple = matches!(p, Pattern::Ident(_));
                scope::bound_names(&p, &mut names);
                self.expect_punct(Punct::RParen)?;
                param = Some(p);
            }
            let mut catch_scope = Scope::new(ScopeKind::Catch { simple });
            for name in names {
                if !catch_scope.params.insert(name.clone()) {
                    return Err(self.error_at(pos, &format!("duplicate binding '{name}'")));
                }
            }
            self.expect_punct(Punct::LBrace)?;
            self.scopes.push(catch_scope);
            let mut body = Vec::new();
            while !self.is_punct(Punct::RBrace) {
                if self.at_eof() {
                    return Err(self.unexpected());
                }
                body.push(self.parse_statement(StmtCtx::List)?);
            }
            self.advance()?;
            self.scopes.pop();
            handler = Some(body);
        }
        if self.eat_kw("finally")? {
            finalizer = Some(self.parse_block()?);
        }
        if handler.is_none() && finalizer.is_none() {
            return Err(self.error("missing catch or finally after try"));
        }
        Ok(StmtKind::Try {
            block,
            param,
            handler,
            finalizer,
        })
    }

    #[inline(never)]
    fn parse_switch(&mut self) -> Result<StmtKind, SyntaxError> {
        self.advance()?;
        self.expect_punct(Punct::LParen)?;
        let disc = self.parse_expression(false)?;
        self.expect_punct(Punct::RParen)?;
        self.expect_punct(Punct::LBrace)?;
        self.scopes.push(Scope::new(ScopeKind::Block));
        self.fctx.breakable += 1;
        let mut cases = Vec::new();
        let mut has_default = false;
        while !self.eat_punct(Punct::RBrace)? {
            let test = if self.eat_kw("case")? {
                Some(self.parse_expression(false)?)
            } else if self.is_kw("default") {
                if has_default {
                    return Err(self.error("more than one default clause in switch"));
                }
                has_default = true;
                self.advance()?;
                None
            } else {
                return Err(self.unexpected());
            };
            self.expect_punct(Punct::Colon)?;
            let mut body = Vec::new();
            while !(self.is_punct(Punct::RBrace) || self.is_kw("case") || self.is_kw("default")) {
                if self.at_eof() {
                    return Err(self.unexpected());
                }
                body.push(self.parse_statement(StmtCtx::List)?);
            }
            cases.push(SwitchCase { test, body });
        }
        self.fctx.breakable -= 1;
        self.scopes.pop();
        Ok(StmtKind::Switch(disc, cases))
    }

    /// `var`/`let`/`const` declarators (after the keyword). In a `for` head, initializers are
    /// validated by the caller (for-in/of heads have none).
    fn parse_var_decls(
        &mut self,
        kind: VarKind,
        no_in: bool,
        in_for: bool,
    ) -> Result<Vec<VarDecl>, SyntaxError> {
        let mut decls = Vec::new();
        loop {
            let pos = self.tok.pos;
            let target = self.parse_binding_target()?;
            self.declare_pattern(&target, kind, pos)?;
            let init = if self.eat_punct(Punct::Assign)? {
                Some(self.parse_assign(no_in)?)
            } else {
                None
            };
            if !in_for && init.is_none() {
                self.check_missing_init(kind, &target, pos)?;
            }
            decls.push(VarDecl { target, init });
            if !self.eat_punct(Punct::Comma)? {
                break;
            }
        }
        Ok(decls)
    }

    fn check_missing_init(
        &self,
        kind: VarKind,
        target: &Pattern,
        pos: Pos,
    ) -> Result<(), SyntaxError> {
        if kind == VarKind::Const {
            return Err(self.error_at(pos, "missing initializer in const declaration"));
        }
        if !matches!(target, Pattern::Ident(_)) {
            return Err(self.error_at(pos, "missing initializer in destructuring declaration"));
        }
        Ok(())
    }

    /// Declares the names bound by a declaration pattern in the current scope.
    fn declare_pattern(
        &mut self,
        target: &Pattern,
        kind: VarKind,
        pos: Pos,
    ) -> Result<(), SyntaxError> {
        let mut names = Vec::new();
        scope::bound_names(target, &mut names);
        for name in names {
            if kind == VarKind::Var {
                self.declare_var(&name, pos)?;
            } else {
                if name == "let" {
                    return Err(self.error_at(pos, "'let' is disallowed as a lexically bound name"));
                }
                self.declare_lexical(&name, pos)?;
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn parse_for(&mut self, pending_labels: usize) -> Result<StmtKind, SyntaxError> {
        self.advance()?;
        if self.is_kw("await") {
            return Err(self.error("for await is not supported"));
        }
        self.expect_punct(Punct::LParen)?;
        let mut pushed_scope = false;
        let result = self.parse_for_rest(pending_labels, &mut pushed_scope);
        if pushed_scope {
            self.scopes.pop();
        }
        result
    }

    fn parse_for_rest(
        &mut self,
        pending_labels: usize,
        pushed_scope: &mut bool,
    ) -> Result<StmtKind, SyntaxError> {
        let decl_kind = if self.is_kw("var") {
            Some(VarKind::Var)
        } else if self.is_kw("const") {
            Some(VarKind::Const)
        } else if self.is_kw("let") && (self.strict || self.for_let_is_declaration()?) {
            Some(VarKind::Let)
        } else {
            None
        };
        let mut init = None;
        if let Some(kind) = decl_kind {
            if kind != VarKind::Var {
                self.scopes.push(Scope::new(ScopeKind::Block));
                *pushed_scope = true;
            }
            self.advance()?;
            let decl_pos = self.tok.pos;
            let mut decls = self.parse_var_decls(kind, true, true)?;
            let is_of = self.is_kw("of");
            if is_of || self.is_kw("in") {
                if decls.len() != 1 || decls[0].init.is_some() {
                    return Err(self.error_at(
                        decl_pos,
                        "for-in/of loop variable declaration may not have an initializer",
                    ));
                }
                let target = decls
                    .pop()
                    .map(|d| d.target)
                    .unwrap_or(Pattern::Ident(String::new()));
                return self.parse_for_in_of(ForHead::Decl(kind, target), is_of, pending_labels);
            }
            for d in &decls {
                if d.init.is_none() {
                    self.check_missing_init(kind, &d.target, decl_pos)?;
                }
            }
            init = Some(ForInit::Decl(kind, decls));
        } else if !self.is_punct(Punct::Semi) {
            let starts_with_let = self.is_kw("let");
            let starts_with_async = self.is_kw("async");
            let expr_pos = self.tok.pos;
            let saved_cover = self.cover_err.take();
            let first = self.parse_assign_cover(true)?;
            let is_of = self.is_kw("of");
            if is_of || self.is_kw("in") {
                if is_of && starts_with_let {
                    return Err(
                        self.error_at(expr_pos, "for-of loop variable can't start with 'let'")
                    );
                }
                if is_of
                    && starts_with_async
                    && matches!(&first.kind, ExprKind::Ident(n) if n == "async")
                    && !self.is_paren(&first)
                {
                    return Err(self.error_at(expr_pos, "for-of loop variable can't be 'async'"));
                }
                let target = self.expr_to_target(first, true)?;
                self.cover_err = saved_cover;
                return self.parse_for_in_of(ForHead::Target(target), is_of, pending_labels);
            }
            if let Some(e) = self.cover_err.take() {
                return Err(e);
            }
            self.cover_err = saved_cover;
            let expr = if self.is_punct(Punct::Comma) {
                let mut items = Vec::from([first]);
                while self.eat_punct(Punct::Comma)? {
                    items.push(self.parse_assign(true)?);
                }
                crate::ast::Expr {
                    kind: ExprKind::Seq(items),
                    pos: expr_pos,
                }
            } else {
                first
            };
            init = Some(ForInit::Expr(expr));
        }
        self.expect_punct(Punct::Semi)?;
        let test = if self.is_punct(Punct::Semi) {
            None
        } else {
            Some(self.parse_expression(false)?)
        };
        self.expect_punct(Punct::Semi)?;
        let update = if self.is_punct(Punct::RParen) {
            None
        } else {
            Some(self.parse_expression(false)?)
        };
        self.expect_punct(Punct::RParen)?;
        let body = self.parse_loop_body(pending_labels)?;
        Ok(StmtKind::For {
            init,
            test,
            update,
            body: Box::new(body),
        })
    }

    /// Sloppy `for (let …`: a declaration if `let` is followed by an identifier or pattern.
    fn for_let_is_declaration(&self) -> Result<bool, SyntaxError> {
        let next = self.peek()?;
        Ok(match &next.kind {
            TokKind::Punct(Punct::LBracket | Punct::LBrace) => true,
            TokKind::Name(n) => next.escaped || (n != "in" && n != "instanceof"),
            _ => false,
        })
    }

    fn parse_for_in_of(
        &mut self,
        head: ForHead,
        is_of: bool,
        pending_labels: usize,
    ) -> Result<StmtKind, SyntaxError> {
        self.advance()?;
        let rhs = if is_of {
            self.parse_assign(false)?
        } else {
            self.parse_expression(false)?
        };
        self.expect_punct(Punct::RParen)?;
        let body = Box::new(self.parse_loop_body(pending_labels)?);
        Ok(if is_of {
            StmtKind::ForOf(head, rhs, body)
        } else {
            StmtKind::ForIn(head, rhs, body)
        })
    }

    // ----- functions -----

    /// `function name(…) {…}` as a statement.
    fn parse_function_declaration(&mut self) -> Result<Rc<Function>, SyntaxError> {
        let start = self.tok.start;
        let pos = self.tok.pos;
        self.advance()?;
        if self.is_punct(Punct::Star) {
            return Err(self.error("generators are not supported"));
        }
        if !matches!(self.tok.kind, TokKind::Name(_)) {
            return Err(self.unexpected());
        }
        let (name, name_pos) = self.take_name()?;
        self.check_binding_name(&name, name_pos)?;
        self.declare_function(&name, name_pos)?;
        self.parse_function_rest(Some(name), name_pos, FunctionKind::Normal, pos, start)
    }

    /// Parameters and body of a function or method (at its `(`).
    fn parse_function_rest(
        &mut self,
        name: Option<String>,
        name_pos: Pos,
        kind: FunctionKind,
        pos: Pos,
        source_start: u32,
    ) -> Result<Rc<Function>, SyntaxError> {
        self.enter()?;
        let method_like = !matches!(kind, FunctionKind::Normal | FunctionKind::Arrow);
        let ctx = FnCtx {
            in_function: true,
            new_target: true,
            super_prop: method_like,
            super_call: kind == FunctionKind::DerivedConstructor,
            ..FnCtx::default()
        };
        let saved_ctx = core::mem::replace(&mut self.fctx, ctx);
        let saved_strict = self.strict;
        self.scopes.push(Scope::new(ScopeKind::Function));
        let result =
            self.parse_function_parts(name, name_pos, kind, pos, source_start, method_like);
        self.scopes.pop();
        self.strict = saved_strict;
        self.fctx = saved_ctx;
        self.leave();
        result
    }

    fn parse_function_parts(
        &mut self,
        name: Option<String>,
        name_pos: Pos,
        kind: FunctionKind,
        pos: Pos,
        source_start: u32,
        unique_params: bool,
    ) -> Result<Rc<Function>, SyntaxError> {
        let params = self.parse_formal_params()?;
        let was_strict = self.strict;
        self.expect_punct(Punct::LBrace)?;
        let (body, use_strict) = self.parse_body(true)?;
        if !self.is_punct(Punct::RBrace) {
            return Err(self.unexpected());
        }
        let source_end = self.tok.end;
        self.advance()?;
        self.finish_function_checks(&params, use_strict, was_strict, unique_params, pos)?;
        if let Some(name) = &name {
            if self.strict && !was_strict {
                self.check_binding_name(name, name_pos)?;
            }
        }
        Ok(Rc::new(Function {
            name,
            kind,
            params: params.params,
            rest: params.rest,
            body,
            strict: self.strict,
            simple_params: params.simple,
            pos,
            source_start,
            source_end,
        }))
    }

    /// Parameter checks once the body (and so the function's strictness) is known.
    fn finish_function_checks(
        &self,
        params: &Params,
        use_strict: bool,
        was_strict: bool,
        unique: bool,
        pos: Pos,
    ) -> Result<(), SyntaxError> {
        if use_strict && !params.simple {
            return Err(self.error_at(
                pos,
                "\"use strict\" not allowed in function with non-simple parameters",
            ));
        }
        let unique = unique || self.strict || !params.simple;
        let mut seen = SortedSet::new();
        for (name, name_pos) in &params.names {
            if self.strict && !was_strict {
                self.check_binding_name(name, *name_pos)?;
            }
            if unique && !seen.insert(name.as_str()) {
                return Err(self.error_at(*name_pos, &format!("duplicate parameter name '{name}'")));
            }
        }
        Ok(())
    }

    /// `(a, b = 1, ...rest)`; declares the names in the current (function) scope.
    fn parse_formal_params(&mut self) -> Result<Params, SyntaxError> {
        self.expect_punct(Punct::LParen)?;
        let mut params = Params {
            params: Vec::new(),
            rest: None,
            simple: true,
            names: Vec::new(),
        };
        let mut names = Vec::new();
        loop {
            if self.eat_punct(Punct::RParen)? {
                break;
            }
            let pos = self.tok.pos;
            if self.eat_punct(Punct::Ellipsis)? {
                let rest = self.parse_binding_target()?;
                if self.is_punct(Punct::Assign) {
                    return Err(self.error("rest parameter may not have a default initializer"));
                }
                if !self.is_punct(Punct::RParen) {
                    return Err(self.error("rest parameter must be last formal parameter"));
                }
                self.advance()?;
                scope::bound_names(&rest, &mut names);
                params.names.extend(names.drain(..).map(|n| (n, pos)));
                params.rest = Some(rest);
                params.simple = false;
                break;
            }
            let p = self.parse_binding_element()?;
            if !matches!(p, Pattern::Ident(_)) {
                params.simple = false;
            }
            scope::bound_names(&p, &mut names);
            params.names.extend(names.drain(..).map(|n| (n, pos)));
            params.params.push(p);
            if !self.eat_punct(Punct::Comma)? {
                self.expect_punct(Punct::RParen)?;
                break;
            }
        }
        self.declare_params(&params.names);
        Ok(params)
    }

    fn declare_params(&mut self, names: &[(String, Pos)]) {
        if let Some(scope) = self.scopes.last_mut() {
            for (name, _) in names {
                scope.params.insert(name.clone());
            }
        }
    }

    /// Parses an arrow function's body, given its converted parameters.
    fn parse_arrow_body(
        &mut self,
        params: Vec<Pattern>,
        rest: Option<Pattern>,
        pos: Pos,
        source_start: u32,
    ) -> Result<crate::ast::Expr, SyntaxError> {
        self.enter()?;
        let ctx = FnCtx {
            in_function: true,
            new_target: self.fctx.new_target,
            super_prop: self.fctx.super_prop,
            super_call: self.fctx.super_call,
            in_field_init: self.fctx.in_field_init,
            ..FnCtx::default()
        };
        let saved_ctx = core::mem::replace(&mut self.fctx, ctx);
        let saved_strict = self.strict;
        self.scopes.push(Scope::new(ScopeKind::Function));
        let result = self.parse_arrow_parts(params, rest, pos, source_start);
        self.scopes.pop();
        self.strict = saved_strict;
        self.fctx = saved_ctx;
        self.leave();
        self.arrow_end = self.prev_end;
        result
    }

    fn parse_arrow_parts(
        &mut self,
        params: Vec<Pattern>,
        rest: Option<Pattern>,
        pos: Pos,
        source_start: u32,
    ) -> Result<crate::ast::Expr, SyntaxError> {
        let mut names = Vec::new();
        for p in params.iter().chain(rest.iter()) {
            scope::bound_names(p, &mut names);
        }
        let simple = rest.is_none() && params.iter().all(|p| matches!(p, Pattern::Ident(_)));
        let params = Params {
            params,
            rest,
            simple,
            names: names.into_iter().map(|n| (n, pos)).collect(),
        };
        for (name, name_pos) in &params.names {
            self.check_binding_name(name, *name_pos)?;
        }
        self.declare_params(&params.names);
        if !self.is_punct(Punct::Arrow) || self.tok.nl_before {
            return Err(self.unexpected());
        }
        self.advance()?;
        let was_strict = self.strict;
        let (body, use_strict, source_end) = if self.eat_punct(Punct::LBrace)? {
            let (body, use_strict) = self.parse_body(true)?;
            if !self.is_punct(Punct::RBrace) {
                return Err(self.unexpected());
            }
            let end = self.tok.end;
            self.advance()?;
            (body, use_strict, end)
        } else {
            let body_pos = self.tok.pos;
            let expr = self.parse_assign(false)?;
            let body = Vec::from([Stmt {
                kind: StmtKind::Return(Some(expr)),
                pos: body_pos,
            }]);
            (body, false, self.prev_end)
        };
        self.finish_function_checks(&params, use_strict, was_strict, true, pos)?;
        let func = Function {
            name: None,
            kind: FunctionKind::Arrow,
            params: params.params,
            rest: params.rest,
            body,
            strict: self.strict,
            simple_params: params.simple,
            pos,
            source_start,
            source_end,
        };
        Ok(crate::ast::Expr {
            kind: ExprKind::Function(Rc::new(func)),
            pos,
        })
    }

    // ----- classes -----

    /// `class [Name] [extends Expr] { … }` (at `class`).
    fn parse_class(&mut self, is_decl: bool) -> Result<Rc<Class>, SyntaxError> {
        self.enter()?;
        let saved_strict = self.strict;
        self.strict = true;
        let result = self.parse_class_inner(is_decl);
        self.strict = saved_strict;
        self.leave();
        result
    }

    fn parse_class_inner(&mut self, is_decl: bool) -> Result<Rc<Class>, SyntaxError> {
        let pos = self.tok.pos;
        self.advance()?;
        let name = if matches!(self.tok.kind, TokKind::Name(_)) && !self.is_kw("extends") {
            let (name, name_pos) = self.take_name()?;
            self.check_binding_name(&name, name_pos)?;
            if is_decl {
                if name == "let" {
                    return Err(
                        self.error_at(name_pos, "'let' is disallowed as a lexically bound name")
                    );
                }
                self.declare_lexical(&name, name_pos)?;
            }
            Some(name)
        } else {
            if is_decl {
                return Err(self.error("class declaration requires a name"));
            }
            None
        };
        let extends = if self.eat_kw("extends")? {
            Some(Box::new(self.parse_lhs_expression()?))
        } else {
            None
        };
        self.expect_punct(Punct::LBrace)?;
        let mut class = Class {
            name,
            extends: None,
            constructor: None,
            members: Vec::new(),
            fields: Vec::new(),
            pos,
        };
        let derived = extends.is_some();
        while !self.eat_punct(Punct::RBrace)? {
            if self.eat_punct(Punct::Semi)? {
                continue;
            }
            if self.at_eof() {
                return Err(self.unexpected());
            }
            self.parse_class_element(&mut class, derived)?;
        }
        class.extends = extends;
        Ok(Rc::new(class))
    }

    /// True if the token after the current one can start a property name (so the current
    /// `get`/`set`/`static` is a modifier).
    fn next_starts_key(&self) -> Result<bool, SyntaxError> {
        let next = self.peek()?;
        Ok(matches!(
            next.kind,
            TokKind::Name(_)
                | TokKind::Str(_)
                | TokKind::Num(_)
                | TokKind::PrivateName(_)
                | TokKind::Punct(Punct::LBracket)
        ))
    }

    /// After `async`: a method name or `*` on the same line (an async method).
    fn next_starts_method(&self) -> Result<bool, SyntaxError> {
        let next = self.peek()?;
        Ok(!next.nl_before
            && matches!(
                next.kind,
                TokKind::Name(_)
                    | TokKind::Str(_)
                    | TokKind::Num(_)
                    | TokKind::PrivateName(_)
                    | TokKind::Punct(Punct::LBracket | Punct::Star)
            ))
    }

    fn parse_class_element(&mut self, class: &mut Class, derived: bool) -> Result<(), SyntaxError> {
        let mut is_static = false;
        if self.is_kw("static") {
            let next = self.peek()?;
            if next.kind == TokKind::Punct(Punct::LBrace) {
                return Err(self.error("class static blocks are not supported"));
            }
            if !matches!(
                next.kind,
                TokKind::Punct(Punct::LParen | Punct::Assign | Punct::Semi | Punct::RBrace)
            ) {
                is_static = true;
                self.advance()?;
            }
        }
        let fn_start = self.tok.start;
        let fn_pos = self.tok.pos;
        let mut kind = PropKind::Init;
        if (self.is_kw("get") || self.is_kw("set")) && self.next_starts_key()? {
            kind = if self.is_kw("get") {
                PropKind::Get
            } else {
                PropKind::Set
            };
            self.advance()?;
        } else if self.is_kw("async") && self.next_starts_method()? {
            return Err(self.error("async methods are not supported"));
        }
        if self.is_punct(Punct::Star) {
            return Err(self.error("generators are not supported"));
        }
        let key_pos = self.tok.pos;
        let key = self.parse_prop_key()?;
        let static_name = match &key {
            PropKey::Static(k) => Some(k.as_slice()),
            PropKey::Computed(_) => None,
        };
        if is_static && static_name == Some(b"prototype".as_slice()) {
            return Err(self.error_at(
                key_pos,
                "classes may not have a static member named 'prototype'",
            ));
        }
        if self.is_punct(Punct::LParen) {
            let is_ctor = !is_static && static_name == Some(b"constructor".as_slice());
            let fkind = if is_ctor {
                if kind != PropKind::Init {
                    return Err(self.error_at(key_pos, "class constructor may not be an accessor"));
                }
                if class.constructor.is_some() {
                    return Err(self.error_at(key_pos, "a class may only have one constructor"));
                }
                if derived {
                    FunctionKind::DerivedConstructor
                } else {
                    FunctionKind::ClassConstructor
                }
            } else {
                FunctionKind::Method
            };
            let func = self.parse_function_rest(None, key_pos, fkind, fn_pos, fn_start)?;
            self.check_accessor_params(&func, kind, key_pos)?;
            if is_ctor {
                class.constructor = Some(func);
            } else {
                class.members.push(ClassMember {
                    key,
                    is_static,
                    kind,
                    value: func,
                });
            }
            return Ok(());
        }
        // A field.
        if kind != PropKind::Init {
            return Err(self.unexpected());
        }
        if static_name == Some(b"constructor".as_slice()) {
            return Err(self.error_at(key_pos, "classes may not have a field named 'constructor'"));
        }
        let value = if self.eat_punct(Punct::Assign)? {
            let ctx = FnCtx {
                new_target: true,
                super_prop: true,
                in_field_init: true,
                ..FnCtx::default()
            };
            let saved_ctx = core::mem::replace(&mut self.fctx, ctx);
            self.scopes.push(Scope::new(ScopeKind::Function));
            let value = self.parse_assign(false);
            self.scopes.pop();
            self.fctx = saved_ctx;
            Some(value?)
        } else {
            None
        };
        self.consume_semicolon()?;
        class.fields.push(ClassField {
            key,
            is_static,
            value,
        });
        Ok(())
    }

    /// Getters take no parameters, setters exactly one.
    fn check_accessor_params(
        &self,
        func: &Function,
        kind: PropKind,
        pos: Pos,
    ) -> Result<(), SyntaxError> {
        match kind {
            PropKind::Get if !func.params.is_empty() || func.rest.is_some() => {
                Err(self.error_at(pos, "getter must not have parameters"))
            }
            PropKind::Set if func.params.len() != 1 || func.rest.is_some() => {
                Err(self.error_at(pos, "setter must have exactly one parameter"))
            }
            _ => Ok(()),
        }
    }
}
