//! The virtual board: what the running device exposes, from the latest snapshot — input
//! buttons, the relay with its power meter, GPIO pins, I2C parts, virtual components, the Wi-Fi
//! station and the scripts' memory — with controls that act on the simulated device (never on the snapshot).

mod input;
mod memory;
mod parts;
mod pins;
mod switch;
mod virtuals;
mod wifi;

use std::hash::Hash;

use ferrite_ide_core::protocol::Snapshot;
use leptos::prelude::*;

use crate::controller::use_ctx;

#[component]
pub fn Board() -> impl IntoView {
    let ctx = use_ctx();
    let empty = move || {
        ctx.snapshot.with(|s| {
            s.pins.is_empty()
                && s.switches.is_empty()
                && s.inputs.is_empty()
                && s.parts.is_empty()
                && s.virtuals.is_empty()
                && s.scripts.is_empty()
        })
    };
    view! {
        <section class="board" role="region" aria-label="Virtual board">
            <div class="panel-head">
                <span class="panel-title">"Virtual board"</span>
            </div>
            <Show when=empty>
                <p class="hint">"Press Run to boot the simulated device."</p>
            </Show>
            <input::Inputs />
            <switch::Switches />
            <pins::Pins />
            <parts::Parts />
            <virtuals::Virtuals />
            <wifi::Wifi />
            <memory::Memory />
        </section>
    }
}

/// One card per key that `keys` reads from the snapshot, rebuilt only when that list changes
/// (each card follows its own part of the snapshot).
fn cards<K, V>(keys: fn(&Snapshot) -> Vec<K>, card: fn(K) -> V) -> impl IntoView
where
    K: Clone + Eq + Hash + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let ctx = use_ctx();
    view! { <For each=move || ctx.snapshot.with(keys) key=|k| k.clone() children=card /> }
}
