// Regular expressions as device scripts use them: parsing log and protocol lines, validating
// input, rewriting text with replace, splitting, and a pattern that backtracks a lot.
let lines = [];
for (let i = 0; i < 4000; i++) {
  lines.push('2026-11-24T10:' + (i % 60 < 10 ? '0' : '') + (i % 60) + ':00Z dev' + (i % 17) +
    ' temp=' + (20 + i % 9) + '.' + (i % 10) + ' hum=' + (40 + i % 30) + ' status=' +
    (i % 5 === 0 ? 'ALARM' : 'ok'));
}
let log = lines.join('\n');
let re = /^(\d{4})-(\d\d)-(\d\d)T[\d:]+Z (\w+) temp=(\d+\.\d) hum=(\d+) status=(\w+)$/;
let sum = 0, alarms = 0;
for (let r = 0; r < 5; r++) {
  for (let i = 0; i < lines.length; i++) {
    let m = re.exec(lines[i]);
    sum += parseFloat(m[5]) + parseInt(m[6], 10);
    if (m[7] === 'ALARM') alarms++;
  }
}
let all = log.match(/temp=\d+/g).length;
let multi = 0;
let g = /^dev\d+|ALARM$/gm;
while (g.exec(log) !== null) multi++;
let emails = 0;
let email = /^[\w.+-]+@[\w-]+(\.[\w-]+)+$/i;
for (let i = 0; i < 20000; i++) {
  if (email.test('user' + i + (i % 3 ? '@example.com' : '@bad'))) emails++;
}
let rewritten = log.replace(/status=(\w+)/g, function (all, s) { return s === 'ok' ? '' : '!'; });
let words = log.split(/\s+/).length;
let upper = log.replace(/dev(\d+)/g, 'DEV-$1').length;
let bt = 0;
for (let i = 0; i < 200; i++) {
  if (/^(a|ab)*c$/.test('ab'.repeat(20) + 'a')) bt++;
  if (/(x+x+)+y/.test('x'.repeat(12))) bt++;
}
print(sum.toFixed(1), alarms, all, multi, emails, rewritten.length, words, upper, bt);
