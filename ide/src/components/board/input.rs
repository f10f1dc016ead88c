//! `input:<id>` buttons: whole pushes (single, double, long) timed by the simulator, and Hold
//! (pressed while the pointer is down).

use ferrite_ide_core::protocol::{BoardAction, Push};
use leptos::prelude::*;

use crate::controller::use_ctx;
use crate::util::dom;

#[component]
pub fn Inputs() -> impl IntoView {
    super::cards(
        |s| s.inputs.iter().map(|i| i.id).collect(),
        |id| view! { <InputCard id=id /> },
    )
}

#[component]
fn InputCard(id: u32) -> impl IntoView {
    let ctx = use_ctx();
    let state = Memo::new(move |_| {
        ctx.snapshot.with(|s| {
            s.inputs
                .iter()
                .find(|i| i.id == id)
                .map(|i| (i.input_type.clone(), i.state.unwrap_or(false)))
                .unwrap_or_default()
        })
    });
    let push = move |p: Push| ctx.board(BoardAction::InputPush { id, push: p });
    let held = StoredValue::new(false);
    // Pointer events can arrive after the card is gone (`lostpointercapture` when it is
    // removed while pressed): a disposed value is then simply ignored.
    let hold = move |down: bool| {
        if held.try_get_value().is_some_and(|was| was != down) {
            held.try_set_value(down);
            ctx.board(BoardAction::InputLevel { id, down });
        }
    };
    let key = format!("input:{id}");
    let title = key.clone();
    view! {
        <div class="card" role="group" aria-label=key.clone()>
            <div class="card-head">
                <span class="card-title">{title}</span>
                <span class="muted small">{move || state.get().0}</span>
                <span class="dot" class:on=move || state.get().1 title="Input state"></span>
            </div>
            <div class="btn-row">
                <button class="btn small" on:click=move |_| push(Push::Single)>"Single push"</button>
                <button class="btn small" on:click=move |_| push(Push::Double)>"Double push"</button>
                <button class="btn small" on:click=move |_| push(Push::Long)>"Long push"</button>
                <button
                    class="btn small hold"
                    class:pressed=move || state.get().1
                    on:pointerdown=move |ev| {
                        dom::capture_pointer(&ev);
                        hold(true)
                    }
                    on:pointerup=move |_| hold(false)
                    on:pointercancel=move |_| hold(false)
                    on:lostpointercapture=move |_| hold(false)
                    on:keydown=move |ev| {
                        if ev.key() == " " || ev.key() == "Enter" {
                            hold(true)
                        }
                    }
                    on:keyup=move |_| hold(false)
                >
                    "Hold"
                </button>
            </div>
        </div>
    }
}
