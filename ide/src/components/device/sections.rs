//! The device tab's smaller sections, each a region: Eval (code, where, result), Live status
//! (latest status per component, last events), KVS (list, set, delete), Files (list, view) and
//! Configuration (device name, Wi-Fi, MQTT broker, password).

use ferrite_ide_core::device::wifi_status;
use leptos::prelude::*;

use crate::controller::device::{DeviceConfig, Ipv4Form, NetworkChoice};
use crate::controller::use_ctx;

#[component]
pub fn EvalSection() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let code = RwSignal::new(String::new());
    let target = RwSignal::new(0u32);
    let evaluate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.device_eval(target.get_untracked(), &code.get_untracked());
    };
    let targets = move || {
        dev.scripts.with(|list| {
            list.iter()
                .filter(|s| s.running)
                .map(|s| (s.id, format!("{} (script {})", s.name, s.id)))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <form class="card" role="region" aria-label="Eval" on:submit=evaluate>
            <div class="card-head">
                <span class="card-title">"Eval"</span>
            </div>
            <textarea
                class="field"
                rows="2"
                aria-label="Eval code"
                spellcheck="false"
                placeholder="Code to evaluate, e.g. Shelly.getComponentStatus(\"sys\")"
                prop:value=move || code.get()
                on:input=move |ev| code.set(event_target_value(&ev))
            ></textarea>
            <div class="btn-row">
                <label class="check">
                    "in"
                    <select
                        class="field"
                        aria-label="Eval in"
                        on:change=move |ev| {
                            target.set(event_target_value(&ev).parse().unwrap_or(0));
                        }
                    >
                        <option value="0" selected=move || target.get() == 0>
                            "console (id 0)"
                        </option>
                        <For
                            each=targets
                            key=|t| t.clone()
                            children=move |(id, label)| {
                                view! {
                                    <option value=id.to_string() selected=move || target.get() == id>
                                        {label}
                                    </option>
                                }
                            }
                        />
                    </select>
                </label>
                <span class="spacer"></span>
                <button class="btn small" type="submit">"Evaluate"</button>
            </div>
            {move || {
                dev.eval_result
                    .get()
                    .map(|(ok, text)| {
                        view! {
                            <pre class="eval-result" class:error=!ok aria-label="Eval result">
                                {text}
                            </pre>
                        }
                    })
            }}
        </form>
    }
}

#[component]
pub fn LiveStatusSection() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let components = move || {
        dev.live.with(|l| {
            l.components
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect::<Vec<_>>()
        })
    };
    let events = move || {
        dev.live
            .with(|l| l.events.iter().cloned().enumerate().collect::<Vec<_>>())
    };
    view! {
        <section class="card" role="region" aria-label="Live status">
            <div class="card-head">
                <span class="card-title">"Live status"</span>
            </div>
            <Show when=move || dev.live.with(|l| l.components.is_empty() && l.events.is_empty())>
                <p class="hint">"Status changes and events of the device appear here as they happen."</p>
            </Show>
            <ul class="kv-list" aria-label="Component status">
                <For
                    each=components
                    key=|c| c.clone()
                    children=|(k, v)| {
                        view! {
                            <li>
                                <span class="mono key">{k}</span>
                                " "
                                <span class="mono value-text">{v}</span>
                            </li>
                        }
                    }
                />
            </ul>
            <ul class="kv-list" aria-label="Events">
                <For
                    each=events
                    key=|e| e.clone()
                    children=|(_, e)| view! { <li class="mono">{e}</li> }
                />
            </ul>
        </section>
    }
}

#[component]
pub fn KvsSection() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let key = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    view! {
        <section class="card" role="region" aria-label="KVS">
            <div class="card-head">
                <span class="card-title">"KVS"</span>
                <span class="spacer"></span>
                <button class="btn small" on:click=move |_| ctx.device_refresh_kvs()>"Refresh"</button>
            </div>
            <ul class="kv-list" aria-label="Keys">
                <For
                    each=move || dev.kvs.get()
                    key=|kv| kv.clone()
                    children=move |(k, v)| {
                        let (k2, v2) = (k.clone(), v.clone());
                        view! {
                            <li>
                                <button
                                    class="link-btn mono"
                                    title="Edit this key"
                                    on:click=move |_| {
                                        key.set(k2.clone());
                                        value.set(v2.clone());
                                    }
                                >
                                    {k}
                                </button>
                                " "
                                <span class="mono value-text">{v}</span>
                            </li>
                        }
                    }
                />
            </ul>
            <input
                class="field mono"
                type="text"
                aria-label="Key"
                placeholder="Key"
                prop:value=move || key.get()
                on:input=move |ev| key.set(event_target_value(&ev))
            />
            <input
                class="field mono"
                type="text"
                aria-label="Value"
                placeholder="Value (JSON or text)"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <div class="btn-row">
                <button
                    class="btn small"
                    on:click=move |_| ctx.device_kvs_set(&key.get_untracked(), &value.get_untracked())
                >
                    "Set"
                </button>
                <button class="btn small" on:click=move |_| ctx.device_kvs_delete(&key.get_untracked())>
                    "Delete"
                </button>
            </div>
        </section>
    }
}

#[component]
pub fn FilesSection() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    view! {
        <section class="card" role="region" aria-label="Files">
            <div class="card-head">
                <span class="card-title">"Files"</span>
                <span class="spacer"></span>
                <button class="btn small" on:click=move |_| ctx.device_refresh_files()>"Refresh"</button>
            </div>
            <ul class="kv-list" aria-label="Device files">
                <For
                    each=move || dev.files.get()
                    key=|f| f.clone()
                    children=move |(name, size)| {
                        let open = name.clone();
                        view! {
                            <li>
                                <button class="link-btn mono" on:click=move |_| ctx.device_open_file(&open)>
                                    {name}
                                </button>
                                <span class="muted small">{format!(" {size} B")}</span>
                            </li>
                        }
                    }
                />
            </ul>
            {move || {
                dev.file_view
                    .get()
                    .map(|f| {
                        let more = if f.truncated { " (first part)" } else { "" };
                        view! {
                            <div class="file-view">
                                <div class="muted small mono">{format!("{}{more}", f.name)}</div>
                                <pre aria-label=format!("File {}", f.name)>{f.text}</pre>
                            </div>
                        }
                    })
            }}
        </section>
    }
}

#[component]
pub fn ConfigSection() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let name = RwSignal::new(String::new());
    let ssid = RwSignal::new(String::new());
    let wifi_pass = RwSignal::new(String::new());
    let mqtt = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let ip = RwSignal::new(String::new());
    let netmask = RwSignal::new(String::new());
    let gateway = RwSignal::new(String::new());
    let nameserver = RwSignal::new(String::new());
    // `Wifi.Scan`: under way, its networks to pick from, and what it found (or why not).
    let scanning = RwSignal::new(false);
    let networks = RwSignal::new(Vec::<NetworkChoice>::new());
    let scan_note = RwSignal::new(String::new());
    let scan = move |_| {
        scanning.set(true);
        scan_note.set("Scanning…".into());
        networks.set(Vec::new());
        ctx.device_scan_wifi(move |result| {
            scanning.try_set(false);
            let note = match &result {
                Ok(found) if found.is_empty() => "No networks in range".into(),
                Ok(found) if found.len() == 1 => "1 network in range".into(),
                Ok(found) => format!("{} networks in range", found.len()),
                Err(e) => format!("Scan failed: {e}"),
            };
            scan_note.try_set(note);
            networks.try_set(result.unwrap_or_default());
        });
    };
    // The fields follow what the device says until the user edits them.
    Effect::new(move |_| {
        let c = dev.config.get();
        name.set(c.name);
        ssid.set(c.ssid);
        mqtt.set(c.mqtt_server);
        ip.set(c.ipv4.ip);
        netmask.set(c.ipv4.netmask);
        gateway.set(c.ipv4.gateway);
        nameserver.set(c.ipv4.nameserver);
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.device_save_config(
            DeviceConfig {
                name: name.get_untracked().trim().to_string(),
                ssid: ssid.get_untracked().trim().to_string(),
                mqtt_server: mqtt.get_untracked().trim().to_string(),
                ipv4: Ipv4Form {
                    ip: ip.get_untracked().trim().to_string(),
                    netmask: netmask.get_untracked().trim().to_string(),
                    gateway: gateway.get_untracked().trim().to_string(),
                    nameserver: nameserver.get_untracked().trim().to_string(),
                },
            },
            wifi_pass.get_untracked(),
            password.get_untracked(),
        );
        wifi_pass.set(String::new());
        password.set(String::new());
    };
    let field = move |label: &'static str, kind: &'static str, sig: RwSignal<String>| {
        view! {
            <label class="field-row">
                <span class="muted small">{label}</span>
                <input
                    class="field"
                    type=kind
                    aria-label=label
                    // "off" is ignored for passwords; "new-password" keeps a saved device
                    // password from being filled in (and sent on Save).
                    autocomplete=if kind == "password" { "new-password" } else { "off" }
                    prop:value=move || sig.get()
                    on:input=move |ev| sig.set(event_target_value(&ev))
                />
            </label>
        }
    };
    view! {
        <form class="card" role="region" aria-label="Configuration" on:submit=save>
            <div class="card-head">
                <span class="card-title">"Configuration"</span>
            </div>
            {field("Device name", "text", name)}
            {field("Wi-Fi SSID", "text", ssid)}
            <Show when=move || dev.live.with(|l| l.components.contains_key("wifi"))>
                <div class="muted small" role="status" aria-label="Wi-Fi state">
                    {move || {
                        dev.live
                            .with(|l| l.components.get("wifi").map(wifi_status::status_line))
                            .unwrap_or_default()
                    }}
                </div>
            </Show>
            <div class="btn-row">
                <button
                    class="btn small"
                    type="button"
                    disabled=move || scanning.get()
                    on:click=scan
                >
                    "Scan for networks"
                </button>
                <span class="muted small" role="status" aria-label="Wi-Fi scan">
                    {move || scan_note.get()}
                </span>
            </div>
            <Show when=move || !networks.get().is_empty()>
                <ul class="network-list" aria-label="Networks in range">
                    <For each=move || networks.get() key=|n| n.ssid.clone() let:n>
                        <li>
                            <button
                                class="btn small"
                                type="button"
                                on:click={
                                    let name = n.ssid.clone();
                                    move |_| ssid.set(name.clone())
                                }
                            >
                                {n.ssid.clone()}
                            </button>
                            <span class="muted small">{n.detail()}</span>
                        </li>
                    </For>
                </ul>
            </Show>
            {field("Wi-Fi password", "password", wifi_pass)}
            {field("Static IPv4 address", "text", ip)}
            {field("Netmask", "text", netmask)}
            {field("Gateway", "text", gateway)}
            {field("DNS server", "text", nameserver)}
            {field("MQTT server", "text", mqtt)}
            {field("Device password new", "password", password)}
            <div class="btn-row">
                <span class="muted small">
                    "Empty password fields are left as they are; no static address: DHCP."
                </span>
                <span class="spacer"></span>
                <button class="btn small" type="submit">"Save"</button>
            </div>
        </form>
    }
}
