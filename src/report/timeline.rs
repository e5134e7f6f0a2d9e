//! The checkpoint-round timeline: a Gantt chart with one row per round, coloured by phase.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::chart::{
    draw_shades, err, fmt_num, linear_axis, shade_legend, tint, titled, Axis, Draw, Shade, FAMILY,
};

/// One checkpoint round on the timeline: when it was issued, its rendezvous, its release and
/// when every secondary had applied it (x units, e.g. ms).
#[derive(Clone, Debug)]
pub struct RoundBar {
    /// Checkpoint number.
    pub n: u64,
    /// Issued by the checkpoint master.
    pub issued: Option<f64>,
    /// Rendezvous complete at the secondary master.
    pub rendezvous: Option<f64>,
    /// Released by the secondary master.
    pub released: Option<f64>,
    /// Applied by every secondary.
    pub applied: Option<f64>,
}

/// A Gantt chart of checkpoint rounds: one row per round, coloured by phase.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// The title.
    pub title: String,
    /// The x axis label, with unit.
    pub x_label: String,
    /// The rounds, oldest first.
    pub rounds: Vec<RoundBar>,
    /// Fault windows.
    pub shades: Vec<Shade>,
    /// Where the view ends (rounds never finished run to here).
    pub end: f64,
}

/// Phase colours of the timeline.
const PHASES: [(&str, RGBColor); 3] = [
    (
        "issued -> rendezvous (writes and checkpoint reach every secondary)",
        RGBColor(158, 202, 225),
    ),
    (
        "rendezvous -> released (secondary master)",
        RGBColor(253, 174, 97),
    ),
    (
        "released -> applied everywhere (update in progress)",
        RGBColor(33, 113, 181),
    ),
];
const UNFINISHED: RGBColor = RGBColor(190, 190, 190);

impl Draw for Timeline {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let body = titled(root, &self.title)?;
        let k = self.rounds.len();
        let x0 = self
            .rounds
            .iter()
            .filter_map(|r| r.issued.or(r.rendezvous).or(r.released))
            .fold(f64::INFINITY, f64::min);
        let x0 = if x0.is_finite() { x0 } else { 0.0 };
        let x1 = self.end.max(x0 + 1e-9);
        let pad = (x1 - x0) * 0.02;
        let (x0, x1) = ((x0 - pad).max(0.0), x1 + pad);
        let mut chart = ChartBuilder::on(&body)
            .margin(6)
            .margin_right(20)
            .x_label_area_size(44)
            .y_label_area_size(78)
            .build_cartesian_2d(
                linear_axis(x0, x1),
                Axis {
                    lo: -0.6,
                    hi: k.max(1) as f64 + 2.4,
                    bold: (0..k)
                        .step_by(k.div_ceil(24).max(1))
                        .map(|i| i as f64)
                        .collect(),
                    light: Vec::new(),
                },
            )
            .map_err(err)?;
        let labels: Vec<String> = self.rounds.iter().map(|r| format!("n={}", r.n)).collect();
        let y_fmt = move |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_desc(self.x_label.clone())
            .y_desc("checkpoint")
            .x_label_formatter(&|v: &f64| fmt_num(*v))
            .y_label_formatter(&y_fmt)
            .label_style((FAMILY, 13))
            .axis_desc_style((FAMILY, 15))
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(220, 220, 220))
            .draw()
            .map_err(err)?;
        let ytop = k.max(1) as f64 + 2.4;
        draw_shades(&mut chart, &self.shades, &|v| v, (x0, x1), (-0.6, ytop))?;
        for (i, r) in self.rounds.iter().enumerate() {
            let y = i as f64;
            let marks = [r.issued, r.rendezvous, r.released, r.applied];
            let mut last = None;
            for (phase, w) in marks.windows(2).enumerate() {
                if let (Some(a), Some(b)) = (w[0], w[1]) {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(a, y - 0.32), (b.max(a), y + 0.32)],
                            PHASES[phase].1.filled(),
                        )))
                        .map_err(err)?;
                }
                if w[0].is_some() {
                    last = w[0];
                }
            }
            if r.applied.is_none() {
                if let Some(a) = r.released.or(last) {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(a, y - 0.2), (self.end.max(a), y + 0.2)],
                            UNFINISHED.filled(),
                        )))
                        .map_err(err)?;
                }
            }
        }
        // Legend as a key row at the top.
        let mut entries: Vec<(String, RGBColor)> = PHASES
            .iter()
            .map(|(name, c)| (name.to_string(), *c))
            .collect();
        entries.push(("not applied by the end".into(), UNFINISHED));
        for (label, c, _) in shade_legend(&self.shades) {
            if !entries.iter().any(|e| e.0 == label) {
                entries.push((label, tint(c, 0.35)));
            }
        }
        for (name, c) in entries {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, x0 - 1.0), (x0, x0 - 1.0)],
                    c.filled(),
                )))
                .map_err(err)?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(180, 180, 180))
            .label_font((FAMILY, 13))
            .draw()
            .map_err(err)?;
        Ok(())
    }
}
