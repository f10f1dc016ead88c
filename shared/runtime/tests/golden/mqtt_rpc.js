// run: 2000
// at 0: rpc Mqtt.SetConfig {"config":{"enable":true,"server":"loopback","topic_prefix":"dev9"}}
// at 500: mqtt dev9/rpc {"id":1,"src":"user1","method":"Switch.Set","params":{"id":0,"on":true}}
// at 600: mqtt dev9/rpc {"id":2,"src":"user1","method":"No.Such"}
// at 700: mqtt dev9/rpc not json
// at 750: mqtt dev9/rpc {"id":4,"method":"Sys.GetStatus"}
// at 800: mqtt dev9/rpc {"id":3,"src":"user1","method":"Script.Eval","params":{"id":1,"code":"answer * 2"}}
// The device's RPC over MQTT: requests on <prefix>/rpc, answers on <src>/rpc (also answers
// that come later, like Script.Eval's).
Timer.set(100, true, function () {});
let answer = 21;
MQTT.setConnectHandler(function () {
  MQTT.subscribe("user1/rpc", function (topic, msg) {
    print(topic, msg);
  });
});
