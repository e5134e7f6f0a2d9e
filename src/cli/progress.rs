//! The one progress style of `fuzz`, `report`, `sweep` and `run`: what is running, elapsed time,
//! a bar (or, for one run, how far it got), done/total with the unit, and a rate rounded to one
//! decimal ("58.6 seeds/s").

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// The style: `{prefix} [{elapsed}]`, then `middle`, then the rate of `unit` (plural) per second,
/// then `tail`.
fn style(middle: &str, unit: &'static str, tail: &str) -> Option<ProgressStyle> {
    let template = format!("{{prefix}} [{{elapsed_precise}}] {middle}, {{rate}}{tail}");
    let style = ProgressStyle::with_template(&template).ok()?;
    Some(style.with_key(
        "rate",
        move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.1} {unit}/s", s.per_sec());
        },
    ))
}

/// A bar over `len` items called `unit` (plural, e.g. "seeds"), labelled `what`.
pub(super) fn bar(len: u64, what: &str, unit: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let middle = format!("{{wide_bar}} {{pos}}/{{len}} {unit}");
    if let Some(style) = style(&middle, unit, " {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(what.to_string());
    bar
}

/// How long a run goes before its progress shows: short runs print nothing extra.
const QUIET_FOR: Duration = Duration::from_millis(500);

/// The progress of one long run on stderr, when stderr is a terminal: simulated time reached,
/// events handled and events/s. Hidden for the first [`QUIET_FOR`]. Clones share the display.
#[derive(Clone)]
pub(super) struct RunProgress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
}

impl RunProgress {
    /// Progress of the run labelled `what`, or `None` when stderr is not a terminal.
    pub(super) fn on_terminal(what: &str) -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Some(style) = style("{msg} simulated, {human_pos} events", "events", "") {
            bar.set_style(style);
        }
        bar.set_prefix(what.to_string());
        Some(RunProgress {
            bar,
            started: Instant::now(),
            shown: false,
        })
    }

    /// The run handled `events` events and reached simulated time `sim_ns`.
    pub(super) fn update(&mut self, events: u64, sim_ns: u64) {
        if !self.shown && self.started.elapsed() >= QUIET_FOR {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_message(super::summary::ns(sim_ns));
        self.bar.set_position(events);
    }

    /// Clears the display (the summary follows on stdout).
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
