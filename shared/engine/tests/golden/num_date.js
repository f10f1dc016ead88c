// Date (local time is UTC on the device).
var d = new Date(2026, 10, 24, 10, 0, 0);
print(d.toString());
print(d.toISOString(), d.toUTCString());
print(d.toDateString(), "|", d.toTimeString(), "|", d.toJSON());
print(d.getTime(), d.getDay(), d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getTimezoneOffset());
print(Date.parse(d.toString()) === d.getTime(), Date.parse(d.toUTCString()) === d.getTime(), Date.parse(d.toISOString()) === d.getTime());
print(Date.parse("2020-02-29"), Date.parse("2020-02-30"), Date.parse("2020-01-01T00:00:00+01:00"), Date.parse("2020-01-01T00:00Z"));
print(Date.parse("+275760-09-13T00:00:00.000Z"), Date.parse("+275760-09-13T00:00:00.001Z"), Date.parse("-000000-01-01T00:00:00Z"));
print(new Date(8.64e15).toISOString(), new Date(-8.64e15).toISOString(), new Date(-1).toISOString());
print(Date.UTC(2000), Date.UTC(99, 11, 31), Date.UTC(1970, 0, 1, 0, 0, 0, 1.9), Date.UTC());
var e = new Date(0);
e.setMonth(13); print(e.toISOString());
e.setFullYear(2000, 1, 29); print(e.toISOString());
e.setHours(25, 61, 61, 1001); print(e.toISOString());
e.setUTCDate(0); print(e.toISOString());
var n = new Date(NaN);
print(n.setMonth(1), n.setFullYear(2001), n.toISOString(), String(new Date(NaN)));
try { new Date(NaN).toISOString(); } catch (x) { print(x.name); }
try { Date.prototype.getTime.call({}); } catch (x) { print(x.name); }
print(typeof Date(), typeof Date.now(), new Date(0) + 1, +new Date(5), new Date(new Date(7)).getTime());
print(new Date("Tue Nov 24 2026 10:00:00 GMT+0100").toISOString(), new Date("Nov 24, 2026").toISOString());
print(new Date(2016, 1, 29, 24).toISOString(), Date.parse("2016-02-29T24:00:00Z"), Date.parse("2016-02-29T24:00:01Z"));
print(new Date(-62198755200000).toString(), new Date(1e81).getTime(), new Date(2020, 0).getTime());
print(d[Symbol.toPrimitive]("number"), d[Symbol.toPrimitive]("default") === d.toString(), Date.length, Date.UTC.length);
print(JSON.stringify({ d: new Date(0) }), new Date(0).getYear(), Date.prototype.toGMTString === Date.prototype.toUTCString);
print(Date.parse("2026-11-24 10:30"), Date.parse("2026-11-24 10:30:15Z"), Date.parse("2026-11-24T10:30:00.123456Z"), Date.parse("2026-11-24 "));
print(new Date(2026, 0, 31).setMonth(1), new Date(1e15).toString(), Date.parse("Thu, 01 Jan 1970 00:00:00 GMT"), Date.parse("Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"));
