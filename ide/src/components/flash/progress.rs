//! The "Flashing" region: Flash (Cancel while one runs), the progress bar with bytes, rate and
//! time left, the stage, and the result ("Verified (MD5): k blocks written, m unchanged" or the
//! error).

use super::dom::{card, el_class, El};
use crate::controller::Ctx;
use crate::state::flash_view::Phase;

pub fn flashing(ctx: Ctx) -> El {
    let fl = ctx.flash;
    let percent = move || {
        fl.view(|v| match (&v.phase, &v.progress) {
            (Phase::Done(_), _) => 100,
            (_, Some(p)) => p.percent(),
            _ => 0,
        })
    };
    let flash = el_class("button", "btn small primary")
        .text("Flash")
        .bind_flag("disabled", move || fl.busy())
        .on("click", move |_| ctx.flash_start());
    let cancel = el_class("button", "btn small")
        .text("Cancel")
        .bind_flag("hidden", move || !fl.busy())
        .bind_flag("disabled", move || {
            fl.view(|v| v.phase == Phase::Cancelling)
        })
        .on("click", move |_| ctx.flash_cancel());
    // Changes up to 10 times a second: not announced by itself (aria-live off); the
    // progressbar's aria-valuetext carries it, the result status the outcome.
    let stage = el_class("span", "muted small")
        .attr("role", "status")
        .attr("aria-live", "off")
        .attr("aria-label", "Flash stage")
        .bind_text(move || fl.view(|v| v.stage.clone()));
    let meter = el_class("div", "meter")
        .attr("role", "progressbar")
        .attr("aria-label", "Flash progress")
        .attr("aria-valuemin", "0")
        .attr("aria-valuemax", "100")
        .bind_attr("aria-valuenow", move || Some(percent().to_string()))
        // The children of a progressbar are presentational: the stage and the transfer text
        // reach assistive technology here.
        .bind_attr("aria-valuetext", move || {
            fl.view(|v| {
                let transfer = v.progress.as_ref().map(|p| p.text()).unwrap_or_default();
                Some(match (v.stage.is_empty(), transfer.is_empty()) {
                    (_, true) => v.stage.clone(),
                    (true, false) => transfer,
                    (false, false) => format!("{}: {transfer}", v.stage),
                })
            })
        })
        .child(
            el_class("div", "meter-fill")
                .bind_attr("style", move || Some(format!("width:{}%", percent()))),
        )
        .child(
            el_class("span", "meter-text")
                .attr("aria-label", "Flash transfer")
                .bind_text(move || {
                    fl.view(|v| v.progress.as_ref().map(|p| p.text()).unwrap_or_default())
                }),
        );
    let result = el_class("p", "flash-result")
        .attr("role", "status")
        .attr("aria-label", "Flash result")
        .bind_attr("class", move || {
            let failed = fl.view(|v| matches!(v.phase, Phase::Failed(_) | Phase::NotStarted(_)));
            Some(
                if failed {
                    "flash-result error"
                } else {
                    "flash-result"
                }
                .to_string(),
            )
        })
        .bind_text(move || fl.view(|v| v.phase.result_text()));
    let detail = el_class("p", "muted small").bind_text(move || {
        fl.view(|v| match &v.phase {
            Phase::Done(o) => o.detail(),
            _ => String::new(),
        })
    });
    card("Flashing", None)
        .child(
            el_class("div", "btn-row")
                .child(flash)
                .child(cancel)
                .child(stage),
        )
        .child(meter)
        .child(result)
        .child(detail)
}
