//! The app shell: creates the controller, lays out toolbar, sidebar, editor, console and the
//! run panel (tabs: the simulator's board/network, the live device, flashing) with their
//! splitters, applies the theme, and starts loading.

use leptos::prelude::*;

use crate::components::board::Board;
use crate::components::console::Console;
use crate::components::device::dialogs::{CompareDialog, DevicePasswordDialog};
use crate::components::device::DevicePanel;
use crate::components::editor_pane::EditorPane;
use crate::components::flash::flash_tab_panel;
use crate::components::gallery::Gallery;
use crate::components::network::Network;
use crate::components::share::{ShareDialog, SharedBanner};
use crate::components::sidebar::Sidebar;
use crate::components::splitter::Splitter;
use crate::components::tab_button::tab_button;
use crate::components::toolbar::Toolbar;
use crate::controller::device::RunTab;
use crate::controller::{self, use_ctx, Ctx};
use crate::editor::monaco;
use crate::state::layout::{Pane, Theme};
use crate::store::prefs;
use crate::util::dom;

#[component]
pub fn App() -> impl IntoView {
    let layout = prefs::load_layout();
    let theme = layout.theme.unwrap_or(if dom::prefers_light() {
        Theme::Light
    } else {
        Theme::Dark
    });
    let ctx = Ctx::new(layout, theme);
    provide_context(ctx);
    controller::start(ctx);

    // The theme: CSS variables on <html data-theme>, Monaco's own theme; an explicit choice is
    // remembered.
    Effect::new(move |prev: Option<Theme>| {
        let t = ctx.theme.get();
        dom::set_root_attribute("data-theme", t.css());
        monaco::set_theme(t.monaco());
        if prev.is_some_and(|p| p != t) {
            ctx.layout.update(|l| l.theme = Some(t));
            prefs::save_layout(&ctx.layout.get_untracked());
        }
        t
    });

    // The Flash page (and its worker) exists from the first time its tab is opened. Its
    // tabpanel is added to the run panel then, built outside `view!` (components::flash says
    // why), and its bindings belong to the app (not to this effect, whose reruns would dispose
    // them).
    let app_owner = Owner::current();
    Effect::new(move |built: Option<bool>| {
        if built == Some(true) || ctx.dev.run_tab.get() != RunTab::Flash {
            return built.unwrap_or(false);
        }
        let build = || flash_tab_panel(ctx);
        let built = match &app_owner {
            Some(owner) => owner.with(build),
            None => build(),
        };
        if built {
            ctx.flash_tab_opened();
        }
        built
    });

    let sizes = move || {
        ctx.layout.with(|l| {
            format!(
                "--sidebar-w:{}px;--board-w:{}px;--console-h:{}px",
                l.sidebar_w, l.board_w, l.console_h
            )
        })
    };
    view! {
        <div class="shell" style=sizes>
            <Toolbar />
            <SharedBanner />
            <div class="main">
                <Sidebar />
                <Splitter pane=Pane::Sidebar />
                <div class="center">
                    <EditorPane />
                    <Splitter pane=Pane::Console />
                    <Console />
                </div>
                <Splitter pane=Pane::Board />
                <aside class="right" aria-label="Run panel">
                    <div class="tabs run-tabs" role="tablist" aria-label="Run target">
                        {run_tab("Simulator", RunTab::Simulator)}
                        {run_tab("Device", RunTab::Device)}
                        {run_tab("Flash", RunTab::Flash)}
                    </div>
                    <div
                        role="tabpanel"
                        aria-label="Simulator"
                        hidden=move || ctx.dev.run_tab.get() != RunTab::Simulator
                    >
                        <Board />
                        <Network />
                    </div>
                    <div
                        role="tabpanel"
                        aria-label="Device"
                        hidden=move || ctx.dev.run_tab.get() != RunTab::Device
                    >
                        <DevicePanel />
                    </div>
                </aside>
            </div>
            <Gallery />
            <ShareDialog />
            <DevicePasswordDialog />
            <CompareDialog />
        </div>
    }
}

/// A tab of the run panel.
fn run_tab(label: &'static str, which: RunTab) -> impl IntoView {
    let ctx = use_ctx();
    tab_button(
        label,
        move || ctx.dev.run_tab.get() == which,
        move || ctx.dev.run_tab.set(which),
    )
}
