// Direct eval sees the caller's variables, this and strictness; indirect eval is global.
function f(a) { var x = 1; let y = 2; eval('x = x + 10; var z = 5;'); return [a, x, y, eval('x + y + a'), typeof z]; }
print(f(100));
function g() { 'use strict'; var q = 1; eval('var q = 2'); return q; }
print(g());
function h() { return eval('this'); }
print(h.call('T') + '', (0, eval)('typeof x'));
var gx = 'global'; function k() { var gx = 'local'; return [eval('gx'), (0, eval)('gx')]; }
print(k());
function m() { const c = 1; try { eval('c = 2'); } catch (e) { return e.name; } }
print(m());
let arrowThis = { v: 42, m() { return (() => eval('this.v'))(); } };
print(arrowThis.m());
function args() { return eval('arguments.length'); }
print(args(1, 2, 3));
eval('var declaredGlobally = 7'); print(declaredGlobally);
