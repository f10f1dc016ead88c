// Deeply nested source is a SyntaxError, not a native stack overflow.
for (const [open, close] of [['(', ')'], ['[', ']'], ['{', '}']]) {
  const src = 'x = ' + open.repeat(100000) + close.repeat(100000);
  try { eval(src); print('parsed?!'); } catch (e) { print(open, e instanceof SyntaxError, e.message); }
}
try { eval('-'.repeat(100000) + 'x'); } catch (e) { print('unary', e.name); }
try { JSON.parse('['.repeat(100000)); } catch (e) { print('json', e.name); }
