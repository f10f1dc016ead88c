print("abc".charCodeAt(1), "abc".at(5), "héllo".length, "héllo".blen);
print(String.fromCharCode(104, 105), String.fromCharCode(0x448).length, String.fromCharCode(0xD83D, 0xDE00).length);
print("a,b,,c".split(","), "abc".split(""), "a1b2c3".split(/\d/), "a1b2c3".split(/(\d)/, 4));
print("Hello World".replace("o", "0"), "Hello World".replace(/o/g, "0"), "aaa".replaceAll("a", "$&$&"));
print("John Smith".replace(/(\w+)\s(\w+)/, "$2, $1"), "x-y".replace(/(?<a>x)-(?<b>y)/, "$<b>-$<a>"));
print("abc".replace(/b/, (m, i, s) => "[" + m + i + s + "]"));
print(/a(b)?/.exec("xac"), JSON.stringify(/a(b)?/.exec("xab")));
print("  hi  ".trim() + "|", "  hi  ".trimStart() + "|", "  hi  ".trimEnd() + "|");
print("abc".padStart(6, "12"), "abc".padEnd(6), "ab".repeat(3));
try { "x".repeat(1e10) } catch (e) { print(e.name, e.message) }
try { "x".repeat(-1) } catch (e) { print(e.name, e.message) }
print("Hello".toUpperCase(), "ÉCOLE".toLowerCase(), "straße".toUpperCase());
print(/ab+c/gi.toString(), new RegExp("a/b").source, RegExp.prototype.source, /x/gimsuyd.flags);
print("test".match(/t/g), "test".search(/s/), "abc".startsWith("ab"), "abc".endsWith("bc"), "abc".includes("d"));
let re = /o/g; let r; while ((r = re.exec("foo boo")) !== null) print(r.index, re.lastIndex);
print([..."a1b22c333".matchAll(/\d+/g)].map(m => m[0] + "@" + m.index));
print(String(Symbol("q")), new String("abc").length, typeof new String("x"), String.raw`a\n${1}b`);
print("abc".substring(2, 0), "abcdef".substr(-3, 2), "abcdef".slice(-2), "abcdef".slice(1, -1));
print("abcabc".lastIndexOf("c"), "abcabc".indexOf("c", 3), "abc".localeCompare("abd"));
print("aXbXc".split("X", 2), "".split(","), "".split(""));
print(/(?<year>\d{4})-(?<m>\d\d)/.exec("on 2024-05").groups.year);
print("a.b.c".replace(/\./g, "$$"), "abc".replace("b", "$`$'"));
print(/\u{1F600}/u.test("😀"), /./su.exec("😀")[0].length, "é".codePointAt(0));
print([..."héy"], "héllo".isWellFormed(), "\xff".isWellFormed(), "a\xffb".toWellFormed().length);
let d = /a(?<x>b)/d.exec("zab"); print(d.indices[0], d.indices[1], d.indices.groups.x);
