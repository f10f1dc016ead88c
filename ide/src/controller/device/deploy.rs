//! "Run on device" (toolbar, Ctrl/Cmd+Shift+Enter): the open file becomes the device script
//! named after it — found or created, stopped, uploaded in chunks with progress, started — by
//! `ferrite_ide_core::device::deploy::Deploy`, fed the session's replies here; the device
//! console comes to the front to follow its log. Also the compare dialog (the editor's file
//! against the device's copy).

use ferrite_ide_core::device::deploy::{Deploy, DeployOptions, DeployStep};
use ferrite_ide_core::device::diff::line_diff;
use ferrite_ide_core::device::session::{CallError, CallId};
use leptos::prelude::*;
use serde_json::Value;

use super::{Comparison, ConsoleTab};
use crate::controller::{Ctx, Dialog};
use crate::state::device_view::{script_name_for_file, DeviceScript};

impl Ctx {
    /// Upload the open file as a device script and start it.
    pub fn run_on_device(&self) {
        let dev = self.dev;
        let Some(client) = dev.client().filter(|_| dev.connected()) else {
            dev.notice
                .try_set(Some("Run on device: connect a device first.".into()));
            dev.run_tab.try_set(super::RunTab::Device);
            return;
        };
        let Some((file, code)) = self
            .ws
            .try_with_untracked(|w| w.open_text().map(|t| (w.open_file.clone(), t.to_string())))
            .flatten()
        else {
            return;
        };
        let name = script_name_for_file(&file);
        let mut deploy = Deploy::new(&name, &code, DeployOptions::default());
        client.with_session(|s, now| deploy.start(s, now));
        dev.upload.try_set(Some(deploy.progress()));
        dev.notice.try_set(Some(format!("Uploading {name}…")));
        dev.console_tab.try_set(ConsoleTab::Device);
        dev.svc.try_update_value(|s| {
            s.deploy = Some(deploy);
            s.deploy_name = name;
        });
    }

    /// A reply nobody registered a callback for: the deploy's.
    pub(super) fn deploy_on_reply(&self, call: CallId, result: Result<Value, CallError>) {
        let dev = self.dev;
        let Some(mut deploy) = dev.svc.try_update_value(|s| s.deploy.take()).flatten() else {
            return;
        };
        let Some(client) = dev.client() else { return };
        let ours = client.with_session(|s, now| deploy.on_reply(call, &result, s, now));
        if !ours {
            dev.svc.try_update_value(|s| s.deploy = Some(deploy));
            return;
        }
        let progress = deploy.progress();
        if !deploy.is_finished() {
            dev.upload.try_set(Some(progress));
            dev.svc.try_update_value(|s| s.deploy = Some(deploy));
            return;
        }
        dev.upload.try_set(None);
        let name = dev
            .svc
            .try_with_value(|s| s.deploy_name.clone())
            .unwrap_or_default();
        match progress.step {
            DeployStep::Done { id } => {
                dev.notice
                    .try_set(Some(format!("Running {name} on the device (script {id})")));
                self.device_refresh_scripts();
            }
            // No refresh after a failure: the link may be gone, and the failure must stay the
            // text shown (a reconnect lists the scripts again).
            DeployStep::Failed { step, message } => {
                dev.notice
                    .try_set(Some(format!("Upload failed at {step}: {message}")));
            }
            _ => {}
        }
    }

    /// Compare the open file with the device's copy of `script` (the compare dialog).
    pub fn device_compare(&self, script: DeviceScript) {
        let Some(editor) = self
            .ws
            .try_with_untracked(|w| w.open_text().map(String::from))
            .flatten()
        else {
            return;
        };
        let name = script.name.clone();
        self.device_script_code(script, move |ctx, device_code| {
            let diff = line_diff(&device_code, &editor);
            ctx.dev
                .comparison
                .try_set(Some(Comparison { script: name, diff }));
            ctx.dialog.try_set(Dialog::CompareWithDevice);
        });
    }
}
