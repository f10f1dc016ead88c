//! The examples gallery: each example is a script in `ide/examples/<slug>.js` (embedded at
//! build time) with its title, API family, description, a hint of what to do in the board
//! panel, and the HTTP mocks it needs. Every example is run in the simulator by
//! `tests/examples.rs`, against `ide/examples/<slug>.expect`.

use alloc::string::ToString;
use alloc::vec::Vec;

use crate::project::Project;
use crate::protocol::HttpMock;

/// An HTTP answer an example needs: `(url prefix, status, content type, body)`.
pub type ExampleMock = (&'static str, u16, &'static str, &'static str);

/// One example of the gallery.
pub struct Example {
    /// File stem in `ide/examples/` and the gallery's key.
    pub slug: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// `Shelly`, `Smart.js` or `TC53`.
    pub api: &'static str,
    pub code: &'static str,
    /// What to try in the board panel.
    pub try_hint: &'static str,
    /// HTTP mocks the example's requests need.
    pub mocks: &'static [ExampleMock],
}

impl Example {
    /// The example's file name in a project.
    pub fn file_name(&self) -> alloc::string::String {
        alloc::format!("{}.js", self.slug)
    }

    pub fn http_mocks(&self) -> Vec<HttpMock> {
        self.mocks
            .iter()
            .map(|(url, status, content_type, body)| HttpMock {
                url: url.to_string(),
                status: *status,
                content_type: content_type.to_string(),
                body: body.to_string(),
            })
            .collect()
    }

    /// A new project holding the example (with its mocks).
    pub fn project(&self, id: &str) -> Project {
        let mut p = Project::new(id, self.title, &self.file_name(), self.code);
        p.http_mocks = self.http_mocks();
        p
    }
}

macro_rules! code {
    ($slug:literal) => {
        include_str!(concat!("../../examples/", $slug, ".js"))
    };
}

static EXAMPLES: &[Example] = &[
    Example {
        slug: "hello-timer",
        title: "Hello, timer",
        api: "Shelly",
        description: "print, the device info, and a repeating Timer that clears itself.",
        try_hint: "Watch the log; switch the speed to ×10 to see the ticks come faster.",
        mocks: &[],
        code: code!("hello-timer"),
    },
    Example {
        slug: "button-relay",
        title: "Button drives the relay",
        api: "Shelly",
        description: "Shelly.addEventHandler on the pushes of input:0, Switch.Toggle/Set through Shelly.call, addStatusHandler for the relay.",
        try_hint: "Press Single, Double and Long on input:0 in the board panel.",
        mocks: &[],
        code: code!("button-relay"),
    },
    Example {
        slug: "power-guard",
        title: "Overload guard",
        api: "Shelly",
        description: "Reads the power meter of switch:0 every second and switches the relay off above 1000 W.",
        try_hint: "Raise the load of switch:0 above 1000 W in the board panel.",
        mocks: &[],
        code: code!("power-guard"),
    },
    Example {
        slug: "kvs-counter",
        title: "Counter in KVS",
        api: "Shelly",
        description: "KVS.Get and KVS.Set through Shelly.call: a push counter that survives restarts.",
        try_hint: "Press Single on input:0; stop and run again to see the count kept.",
        mocks: &[],
        code: code!("kvs-counter"),
    },
    Example {
        slug: "virtual-dimmer",
        title: "Virtual components",
        api: "Shelly",
        description: "Virtual.Add a number and an enum, Virtual.getHandle, change listeners that drive the relay.",
        try_hint: "Change Brightness (above 50 switches the relay on) or Mode in the board panel.",
        mocks: &[],
        code: code!("virtual-dimmer"),
    },
    Example {
        slug: "http-weather",
        title: "HTTP GET and JSON",
        api: "Shelly",
        description: "HTTP.GET through Shelly.call to a web service (an HTTP mock in the simulator), JSON.parse of the answer, once a minute.",
        try_hint: "Edit the HTTP mock's body (temp_c, sky) and run again; the traffic log shows the request.",
        mocks: &[(
            "http://api.weather.test/",
            200,
            "application/json",
            "{\"temp_c\": 21.5, \"sky\": \"clear\"}",
        )],
        code: code!("http-weather"),
    },
    Example {
        slug: "wifi-watch",
        title: "Wi-Fi watch",
        api: "Shelly",
        description: "Shelly.addStatusHandler on the wifi component: an LED shows the link, the reason a link was lost and how long it was down are printed.",
        try_hint: "Switch \"Access point in range\" off and on again in the board panel's wifi card.",
        mocks: &[],
        code: code!("wifi-watch"),
    },
    Example {
        slug: "mqtt-bridge",
        title: "MQTT relay bridge",
        api: "Shelly",
        description: "MQTT.subscribe to a command topic, MQTT.publish of the relay state (retained).",
        try_hint: "Publish \"on\" or \"off\" to ferrite/relay/set in the MQTT panel.",
        mocks: &[],
        code: code!("mqtt-bridge"),
    },
    Example {
        slug: "smartjs-blink",
        title: "Blink and button",
        api: "Smart.js",
        description: "GPIO.setmode/write for an LED on pin 2, GPIO.setisr on a button on pin 4 changing the blink rate.",
        try_hint: "Drive pin 4 low (pressed) and release it in the board panel.",
        mocks: &[],
        code: code!("smartjs-blink"),
    },
    Example {
        slug: "smartjs-sht31",
        title: "SHT31 sensor over I2C",
        api: "Smart.js",
        description: "new I2C(sda, scl), write/read of the SHT31 at 0x44, decoding temperature and humidity.",
        try_hint: "Move the SHT31 temperature or humidity knob in the board panel.",
        mocks: &[],
        code: code!("smartjs-sht31"),
    },
    Example {
        slug: "smartjs-file",
        title: "Log to a file",
        api: "Smart.js",
        description: "File.open in append mode, readAll, File.list and File.remove.",
        try_hint: "Watch the log: three readings are written and read back.",
        mocks: &[],
        code: code!("smartjs-file"),
    },
    Example {
        slug: "tc53-led-button",
        title: "LED follows a button",
        api: "TC53",
        description: "embedded:io/digital: an output LED and an input with a pull-up and edge callbacks (onReadable).",
        try_hint: "Drive pin 4 low (pressed) and high again in the board panel.",
        mocks: &[],
        code: code!("tc53-led-button"),
    },
    Example {
        slug: "tc53-sht31",
        title: "SHT31 with TC53 I2C",
        api: "TC53",
        description: "embedded:io/i2c with the sensor's address, Uint8Array writes and reads, setInterval.",
        try_hint: "Move the SHT31 knobs in the board panel.",
        mocks: &[],
        code: code!("tc53-sht31"),
    },
    Example {
        slug: "tc53-dimmer",
        title: "Potentiometer dimmer",
        api: "TC53",
        description: "embedded:io/analog read scaled to an embedded:io/pwm duty.",
        try_hint: "Move the analog slider of pin 3 in the board panel; pin 5 shows the PWM duty.",
        mocks: &[],
        code: code!("tc53-dimmer"),
    },
];

pub fn all() -> &'static [Example] {
    EXAMPLES
}

/// The example with `slug`.
pub fn by_slug(slug: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.slug == slug)
}
