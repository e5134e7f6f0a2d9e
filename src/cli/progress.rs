//! The one progress style of `fuzz`, `report` and `sweep`: what is running, elapsed time, a bar,
//! done/total with the unit, and a rate rounded to one decimal ("58.6 seeds/s").

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

/// A bar over `len` items called `unit` (plural, e.g. "seeds"), labelled `what`.
pub(super) fn bar(len: u64, what: &str, unit: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template = format!(
        "{{prefix}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit}, {{rate}} {{msg}}"
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(
            style
                .with_key(
                    "rate",
                    move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1} {unit}/s", s.per_sec());
                    },
                )
                .progress_chars("=> "),
        );
    }
    bar.set_prefix(what.to_string());
    bar
}
