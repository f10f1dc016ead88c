// The string examples of the Shelly script language doc (../shared/seeds/002_*): byte strings.
let some_bytes = "\x00\x0a\xa0\xaa";
let some_name = "Шели";
let an_emoji = "\xF0\x9F\x98\xB9";
print(some_bytes.length, some_name.length, an_emoji.length, an_emoji === "😹");
print(btoh(some_bytes), btoa(some_bytes), atob(btoa(some_bytes)) === some_bytes);
print(String.fromCharCode(0xff).length, String.fromCharCode(0x448) === "ш", "ш".charCodeAt(0), "ш".at(1), "ш".blen);
// JSON: \u escapes and surrogate pairs become UTF-8; invalid UTF-8 is an error both ways.
print(JSON.parse('"\\u0448\\ud83d\\ude39"') === "ш😹", JSON.stringify("ш\n"));
try { JSON.stringify("\xff"); } catch (e) { print(e.name); }
try { JSON.parse('"\xff"'); } catch (e) { print(e.name); }
try { JSON.parse('"\\ud83d"'); } catch (e) { print(e.name); }
// Going one step beyond Shelly: \u escapes in literals are accepted and UTF-8 encoded.
print("\u0448" === "ш", "\u{1F639}" === "😹", "\u{1F639}".length);
