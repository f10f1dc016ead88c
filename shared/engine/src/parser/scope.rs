//! Declaration tracking for the redeclaration early errors.
//!
//! Each function (and the script) and each block has a [`Scope`] with its lexically declared
//! names (`let`, `const`, `class`, block-level functions) and the `var` names declared in it or
//! in nested blocks (a `var` is hoisted through blocks up to the function, and conflicts with a
//! lexical declaration of any scope it passes through).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedSet;

use super::Parser;
use crate::ast::{Pattern, Pos};
use crate::parser::SyntaxError;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ScopeKind {
    /// A function body or the script: `var` hoisting stops here.
    Function,
    Block,
    /// A catch clause (parameter + block); `simple` if the parameter is an identifier (then a
    /// `var` of the same name is allowed, Annex B).
    Catch {
        simple: bool,
    },
}

pub(super) struct Scope {
    kind: ScopeKind,
    lexical: SortedSet<String>,
    /// Lexical names declared by (sloppy) block-level function declarations.
    block_functions: SortedSet<String>,
    vars: SortedSet<String>,
    /// Function parameters or the catch parameter's names.
    pub(super) params: SortedSet<String>,
}

impl Scope {
    pub(super) fn new(kind: ScopeKind) -> Scope {
        Scope {
            kind,
            lexical: SortedSet::new(),
            block_functions: SortedSet::new(),
            vars: SortedSet::new(),
            params: SortedSet::new(),
        }
    }
}

/// The names bound by a binding pattern, in source order.
pub(super) fn bound_names(pattern: &Pattern, out: &mut Vec<String>) {
    match pattern {
        Pattern::Ident(name) => out.push(name.clone()),
        Pattern::Member(_) => {}
        Pattern::Object { props, rest } => {
            for prop in props {
                bound_names(&prop.value, out);
            }
            if let Some(rest) = rest {
                bound_names(rest, out);
            }
        }
        Pattern::Array { elems, rest } => {
            for elem in elems.iter().flatten() {
                bound_names(elem, out);
            }
            if let Some(rest) = rest {
                bound_names(rest, out);
            }
        }
        Pattern::Default(target, _) => bound_names(target, out),
    }
}

fn redeclared(parser: &Parser, name: &str, pos: Pos) -> SyntaxError {
    parser.error_at(
        pos,
        &format!("identifier '{name}' has already been declared"),
    )
}

impl Parser<'_> {
    /// Declares a `var` name: hoisted through blocks to the enclosing function.
    pub(super) fn declare_var(&mut self, name: &str, pos: Pos) -> Result<(), SyntaxError> {
        let mut conflict = false;
        for scope in self.scopes.iter_mut().rev() {
            if scope.lexical.contains(name)
                || (scope.kind == (ScopeKind::Catch { simple: false })
                    && scope.params.contains(name))
            {
                conflict = true;
                break;
            }
            if !scope.vars.contains(name) {
                scope.vars.insert(String::from(name));
            }
            if scope.kind == ScopeKind::Function {
                break;
            }
        }
        if conflict {
            return Err(redeclared(self, name, pos));
        }
        Ok(())
    }

    /// Declares a `let`/`const`/`class` name in the current scope.
    pub(super) fn declare_lexical(&mut self, name: &str, pos: Pos) -> Result<(), SyntaxError> {
        let Some(scope) = self.scopes.last_mut() else {
            return Ok(());
        };
        if scope.lexical.contains(name) || scope.vars.contains(name) || scope.params.contains(name)
        {
            return Err(redeclared(self, name, pos));
        }
        scope.lexical.insert(String::from(name));
        Ok(())
    }

    /// Declares a function declaration's name: var-like at the top level of a function or
    /// script, lexical in blocks (duplicates allowed in sloppy mode, Annex B).
    pub(super) fn declare_function(&mut self, name: &str, pos: Pos) -> Result<(), SyntaxError> {
        let strict = self.strict;
        let Some(scope) = self.scopes.last_mut() else {
            return Ok(());
        };
        if scope.kind == ScopeKind::Function {
            if scope.lexical.contains(name) {
                return Err(redeclared(self, name, pos));
            }
            scope.vars.insert(String::from(name));
            return Ok(());
        }
        let sloppy_duplicate = !strict && scope.block_functions.contains(name);
        if (scope.lexical.contains(name) && !sloppy_duplicate)
            || scope.vars.contains(name)
            || scope.params.contains(name)
        {
            return Err(redeclared(self, name, pos));
        }
        scope.lexical.insert(String::from(name));
        scope.block_functions.insert(String::from(name));
        Ok(())
    }
}
