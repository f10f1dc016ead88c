// Sloppy-mode arguments objects alias the parameters; strict ones do not.
function f(a, b) { arguments[0] = 10; b = 20; return [a, arguments[1], arguments.length]; }
print(f(1, 2));
function g(a) { 'use strict'; arguments[0] = 10; return a; }
print(g(1));
function h(a) { delete arguments[0]; arguments[0] = 5; return a; }
print(h(1));
function k(a) { Object.defineProperty(arguments, '0', { value: 3, writable: false }); a = 9; return [a, arguments[0]]; }
print(k(1));
function m(a, b) { return (() => { arguments[1] = 'x'; return b; })(); }
print(m(1, 2), (function (a) { a = 7; return arguments[0]; })());
