// Regular expressions are bounded too: deep backtracking is a RangeError the script can catch,
// and catastrophic backtracking ends the script the way a runaway loop does.
var long = 'ab'.repeat(300000);
try {
  /(?:a|b)*c/.test(long);
  print('no error?');
} catch (e) {
  print(e.name + ': ' + e.message);
}
// A single-character loop backtracks without a stack entry per character.
print(/[ab]*c/.test('ab'.repeat(2000)));
print(/^(a+)+$/.test('aaaaaaaaaaaaaaaaaaaa'));
var t = 'a'.repeat(40) + 'c';
try {
  /(a+)+b/.test(t);
} finally {
  print('finally ran: wrong, fuel is gone');
}
print('not reached');
