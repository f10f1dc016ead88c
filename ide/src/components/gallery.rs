//! The examples gallery: every example of `examples::all()` with its API badge and
//! description and what to try; opening one creates a project from it (with its HTTP mocks).

use ferrite_ide_core::examples;
use leptos::prelude::*;

use super::modal::Modal;
use crate::controller::{use_ctx, Dialog};

#[component]
pub fn Gallery() -> impl IntoView {
    let ctx = use_ctx();
    let open = move || ctx.dialog.with(|d| *d == Dialog::Examples);
    view! {
        <Show when=open>
            <Modal label="Examples" title="Examples" class="gallery">
                <ul class="examples" role="list">
                    {examples::all()
                        .iter()
                        .map(|ex| {
                            view! {
                                <li class="example" role="listitem">
                                    <div class="example-head">
                                        <h3>{ex.title}</h3>
                                        <span class="badge api">{ex.api}</span>
                                    </div>
                                    <p class="muted">{ex.description}</p>
                                    {(!ex.try_hint.is_empty())
                                        .then(|| view! { <p class="try">{format!("Try: {}", ex.try_hint)}</p> })}
                                    <div class="btn-row">
                                        <span class="spacer"></span>
                                        <button class="btn small primary" on:click=move |_| ctx.open_example(ex)>
                                            {format!("Open {}", ex.title)}
                                        </button>
                                    </div>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                {examples::all().is_empty().then(|| view! { <p class="hint">"No examples yet."</p> })}
            </Modal>
        </Show>
    }
}
