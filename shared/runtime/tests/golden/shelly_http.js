// run: 1000
// at 500: rpc HTTP.GET {"url":"http://example.com/"}
// at 500: rpc HTTP.Request {"method":"BREW","url":"http://example.com/"}
// HTTPServer.registerEndpoint (paths, names, the limit of 5) and HTTP.* RPC methods' errors.
function handler(req, res, ud) { res.send(); }
print(HTTPServer.registerEndpoint("status", handler, "ud"));
print(HTTPServer.registerEndpoint("status", handler), "(again: replaced)");
for (let name of ["a", "b", "c", "d"]) print(HTTPServer.registerEndpoint(name, handler));
try { HTTPServer.registerEndpoint("e", handler); } catch (e) { print(e.name, e.message); }
try { HTTPServer.registerEndpoint("bad/name", handler); } catch (e) { print(e.name, e.message); }
try { HTTPServer.registerEndpoint("x", "not a function"); } catch (e) { print(e.name, e.message); }
Shelly.call("HTTP.GET", {url: "http://example.com/"}, function (res, code, msg) {
  print("HTTP.GET:", res, code, msg);
});
Shelly.call("HTTP.POST", {url: "http://example.com/"}, function (res, code, msg) {
  print("HTTP.POST without body:", code, msg);
});
Shelly.call("HTTP.GET", {url: "example.com"}, function (res, code, msg) {
  print("bad url:", code, msg);
});
