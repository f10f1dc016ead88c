//! A tab of a `tablist` (the run panel's targets, the console's panes): `aria-selected`, roving
//! `tabindex`, selected by a click.

use leptos::prelude::*;

/// A tab labelled `label`, selected while `selected` says so; a click calls `select`.
pub fn tab_button(
    label: &'static str,
    selected: impl Fn() -> bool + Copy + Send + Sync + 'static,
    select: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <button
            class="tab-btn"
            role="tab"
            aria-selected=move || selected().to_string()
            tabindex=move || if selected() { "0" } else { "-1" }
            on:click=move |_| select()
        >
            {label}
        </button>
    }
}
