//! A small DOM builder for the Flash page: elements made with `web_sys`, their reactive parts
//! (text, attributes, properties, children) kept in step with the signals by one effect each.
//!
//! Why not `view!`: every `view!` element with its own attribute closures is a type of its own,
//! and tachys builds code for each (build, rebuild, drop); the Flash page's few dozen elements
//! cost about 50 kB of compressed wasm that way, against a page budget of 600 kB. The builder is
//! one non-generic function per operation: the page costs the closures that compute its values,
//! nothing per element. Nothing here keeps state: values come from the controller's signals.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// What a binding reads (tracked).
type Read = Box<dyn Fn() -> Option<String>>;
/// How a binding puts what it read into its element.
type Write = Box<dyn Fn(&web_sys::Element, Option<&str>)>;

/// An element under construction (and, once built, a node of the page).
pub struct El(pub web_sys::Element);

/// A new `<tag>` (the page has a document: these run only in the browser).
pub fn el(tag: &str) -> El {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("the page has a document");
    El(document.create_element(tag).expect("a valid element name"))
}

/// `<tag class="class">`.
pub fn el_class(tag: &str, class: &str) -> El {
    el(tag).attr("class", class)
}

impl El {
    pub fn attr(self, name: &str, value: &str) -> El {
        let _ = self.0.set_attribute(name, value);
        self
    }

    pub fn text(self, text: &str) -> El {
        let _ = self
            .0
            .append_with_str_1(text)
            .map_err(|e| web_sys::console::error_1(&e));
        self
    }

    pub fn child(self, child: El) -> El {
        let _ = self.0.append_child(&child.0);
        self
    }

    /// Keep the element in step with `read()`: `write` puts a new value in (unchanged values
    /// are not written again: the page is one signal, and most of it does not change with each
    /// progress report). Every binding is this one effect.
    fn bind(self, read: Read, write: Write) -> El {
        let node = self.0.clone();
        Effect::new(move |last: Option<Option<String>>| {
            let v = read();
            if last.as_ref() != Some(&v) {
                write(&node, v.as_deref());
            }
            v
        });
        self
    }

    /// Keep the element's text `value()`.
    pub fn bind_text(self, value: impl Fn() -> String + 'static) -> El {
        self.bind(
            Box::new(move || Some(value())),
            Box::new(|node, v| node.set_text_content(v)),
        )
    }

    /// Keep attribute `name` at `value()` (`None`: absent).
    pub fn bind_attr(self, name: &'static str, value: impl Fn() -> Option<String> + 'static) -> El {
        self.bind(
            Box::new(value),
            Box::new(move |node, v| {
                let _ = match v {
                    Some(v) => node.set_attribute(name, v),
                    None => node.remove_attribute(name),
                };
            }),
        )
    }

    /// A boolean attribute (`hidden`, `disabled`) present while `on()`.
    pub fn bind_flag(self, name: &'static str, on: impl Fn() -> bool + 'static) -> El {
        self.bind_attr(name, move || on().then(String::new))
    }

    /// Keep the `value` property at `value()` (set when `value()` changes: what the user typed
    /// since stays otherwise).
    pub fn bind_value(self, value: impl Fn() -> String + 'static) -> El {
        self.bind(
            Box::new(move || Some(value())),
            Box::new(|node, v| {
                let _ = js_sys::Reflect::set(node, &"value".into(), &v.unwrap_or("").into());
            }),
        )
    }

    /// Keep the `checked` property at `on()`.
    pub fn bind_checked(self, on: impl Fn() -> bool + 'static) -> El {
        self.bind(
            Box::new(move || on().then(String::new)),
            Box::new(|node, v| {
                let _ = js_sys::Reflect::set(node, &"checked".into(), &v.is_some().into());
            }),
        )
    }

    /// Replace the element's children with `children()` whenever `key()` changes.
    pub fn bind_children(
        self,
        key: impl Fn() -> String + 'static,
        children: impl Fn() -> Vec<El> + 'static,
    ) -> El {
        self.bind(
            Box::new(move || Some(key())),
            Box::new(move |node, _| {
                node.set_text_content(None);
                for c in untrack(&children) {
                    let _ = node.append_child(&c.0);
                }
            }),
        )
    }

    /// Call `handler` on `event`. The page's elements live as long as the page: so does the
    /// handler.
    pub fn on(self, event: &str, handler: impl FnMut(web_sys::Event) + 'static) -> El {
        self.on_boxed(event, Box::new(handler))
    }

    fn on_boxed(self, event: &str, handler: Box<dyn FnMut(web_sys::Event)>) -> El {
        let cb = Closure::wrap(handler);
        let _ = self
            .0
            .add_event_listener_with_callback(event, cb.as_ref().unchecked_ref());
        cb.forget();
        self
    }
}

/// The value of the form control an event came from.
pub fn target_value(ev: &web_sys::Event) -> String {
    ev.target()
        .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Whether the checkbox an event came from is checked.
pub fn target_checked(ev: &web_sys::Event) -> bool {
    ev.target()
        .and_then(|t| js_sys::Reflect::get(&t, &"checked".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// A card section: `<section class="card" role="region" aria-label=label>` with its title.
pub fn card(label: &str, title: Option<&str>) -> El {
    let section = el_class("section", "card")
        .attr("role", "region")
        .attr("aria-label", label);
    match title {
        Some(t) => section
            .child(el_class("div", "card-head").child(el_class("span", "card-title").text(t))),
        None => section,
    }
}

/// `<label class="field-row"><span class="muted small">caption</span>control</label>`.
pub fn field_row(caption: &str, control: El) -> El {
    el_class("label", "field-row")
        .child(el_class("span", "muted small").text(caption))
        .child(control)
}

/// A `<select class="field" aria-label=label>` of (value, text) options, showing `value()`;
/// `set` gets the value chosen.
pub fn select(
    label: &str,
    options: &[(String, String)],
    value: impl Fn() -> String + 'static,
    set: impl Fn(String) + 'static,
) -> El {
    select_boxed(label, options, Box::new(value), Box::new(set))
}

fn select_boxed(
    label: &str,
    options: &[(String, String)],
    value: Box<dyn Fn() -> String>,
    set: Box<dyn Fn(String)>,
) -> El {
    let mut s = el_class("select", "field").attr("aria-label", label);
    for (v, text) in options {
        s = s.child(el("option").attr("value", v).text(text));
    }
    s.bind(
        Box::new(move || Some(value())),
        Box::new(|node, v| {
            let _ = js_sys::Reflect::set(node, &"value".into(), &v.unwrap_or("").into());
        }),
    )
    .on_boxed("change", Box::new(move |ev| set(target_value(&ev))))
}

/// A labelled checkbox showing `checked()`; `set` gets the new state.
pub fn checkbox(
    label: &str,
    checked: impl Fn() -> bool + 'static,
    set: impl Fn(bool) + 'static,
) -> El {
    checkbox_boxed(label, Box::new(checked), Box::new(set))
}

fn checkbox_boxed(label: &str, checked: Box<dyn Fn() -> bool>, set: Box<dyn Fn(bool)>) -> El {
    el_class("label", "check")
        .child(
            el("input")
                .attr("type", "checkbox")
                .bind(
                    Box::new(move || checked().then(String::new)),
                    Box::new(|node, v| {
                        let _ = js_sys::Reflect::set(node, &"checked".into(), &v.is_some().into());
                    }),
                )
                .on_boxed("change", Box::new(move |ev| set(target_checked(&ev)))),
        )
        .text(label)
}
