//! Chart drawing with plotters: a figure of stacked panels (lines, seed bands, shaded fault
//! windows, linear or log axes, numeric or categorical x) and a checkpoint-round timeline, each
//! rendered to SVG and PNG. Text uses the font embedded in the binary (DejaVu Sans, a Latin
//! subset: `assets/fonts/`), so no system font is needed and the same input gives the same bytes.

use std::sync::Once;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// The embedded font (see `assets/fonts/LICENSE-DejaVu.txt`).
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");
/// The family name charts ask for; SVG viewers fall back to their own sans-serif.
pub const FAMILY: &str = "sans-serif";
/// Chart size in pixels.
pub const SIZE: (u32, u32) = (960, 540);

fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // The font is compiled in; if it did not parse, plotters reports each text it cannot
            // draw as an error, which the caller turns into a message.
            let _ = plotters::style::register_font(FAMILY, style, FONT);
        }
    });
}

/// A chart rendered both ways.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The SVG document.
    pub svg: String,
    /// The PNG file's bytes.
    pub png: Vec<u8>,
}

/// Something that can draw itself on any plotters backend.
pub trait Draw {
    /// Draws on `root`, which covers the whole chart.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

pub(super) fn err<E: std::fmt::Display>(e: E) -> String {
    format!("chart drawing failed: {e}")
}

/// Renders `chart` at `size` to SVG and PNG.
pub fn render(chart: &impl Draw, size: (u32, u32)) -> Result<Rendered, String> {
    ensure_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    let (w, h) = size;
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(Rendered {
        svg,
        png: encode_png(&rgb, w, h)?,
    })
}

/// Encodes 8-bit RGB pixels as PNG (RGB, best compression) with the `png` crate.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_compression(png::Compression::Best);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_color(png::ColorType::Rgb);
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(rgb).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}

/// Colours by role; protocols keep theirs across every chart.
pub mod colour {
    use plotters::style::RGBColor;

    /// The checkpoint protocol.
    pub const CHECKPOINT: RGBColor = RGBColor(31, 119, 180);
    /// `independent`.
    pub const INDEPENDENT: RGBColor = RGBColor(214, 39, 40);
    /// `sync`.
    pub const SYNC: RGBColor = RGBColor(44, 160, 44);
    /// Anything else.
    pub const OTHER: [RGBColor; 3] = [
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(127, 127, 127),
    ];
    /// The primary site being down.
    pub const DISASTER: RGBColor = RGBColor(200, 40, 40);

    /// The colour of a fault kind's shading: one per kind, as Jepsen colours each nemesis.
    pub fn fault(kind: crate::report::faults::FaultKind) -> RGBColor {
        use crate::report::faults::FaultKind as K;
        match kind {
            K::CrashPrimary => RGBColor(255, 140, 0),
            K::CrashSecondary => RGBColor(220, 190, 0),
            K::LinkOutage => RGBColor(120, 120, 120),
            K::Partition => RGBColor(160, 60, 200),
            K::LatencySpike => RGBColor(0, 170, 190),
            K::BandwidthDrop => RGBColor(90, 170, 40),
            K::ClockStep => RGBColor(230, 0, 140),
            K::RollingDisaster => RGBColor(240, 90, 90),
            K::Disaster => DISASTER,
        }
    }

    /// The colour of protocol `name`.
    pub fn protocol(name: &str) -> RGBColor {
        match name {
            "checkpoint" => CHECKPOINT,
            "independent" => INDEPENDENT,
            "sync" => SYNC,
            "central" => OTHER[0],
            "cycle" => OTHER[1],
            _ => OTHER[2],
        }
    }
}

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stroke {
    /// Solid, 2 px.
    Solid,
    /// Dashed, 1 px.
    Dashed,
    /// No line: a dot at each point (a scatter).
    Points,
}

/// One line: its points in order; `None` breaks it (no data in that window).
#[derive(Clone, Debug)]
pub struct Line {
    /// The legend text.
    pub label: String,
    /// Its colour.
    pub colour: RGBColor,
    /// Solid or dashed.
    pub stroke: Stroke,
    /// (x, y) points; a `None` y leaves a gap.
    pub points: Vec<(f64, Option<f64>)>,
    /// Draw a dot at each point (for sparse data).
    pub markers: bool,
    /// Join the points across windows without data instead of leaving gaps.
    pub connect_gaps: bool,
}

/// A band between a lower and an upper curve (the seeds' spread).
#[derive(Clone, Debug)]
pub struct Band {
    /// Its colour (drawn translucent).
    pub colour: RGBColor,
    /// (x, low, high).
    pub points: Vec<(f64, f64, f64)>,
}

/// A shaded stretch of x.
#[derive(Clone, Debug)]
pub struct Shade {
    /// Text at its top.
    pub label: String,
    /// Its colour (drawn translucent).
    pub colour: RGBColor,
    /// Start and end, in x units.
    pub from: f64,
    /// End, in x units.
    pub to: f64,
}

/// One panel: axes, lines, bands and shades.
#[derive(Clone, Debug, Default)]
pub struct Panel {
    /// The y axis label, with its unit.
    pub y_label: String,
    /// The x axis label, with its unit.
    pub x_label: String,
    /// Logarithmic x.
    pub x_log: bool,
    /// Logarithmic y.
    pub y_log: bool,
    /// Fixed y range, else fitted to the data.
    pub y_range: Option<(f64, f64)>,
    /// Fixed x range, else fitted to the data.
    pub x_range: Option<(f64, f64)>,
    /// Categorical x: point `i` is at x = i and is labelled `categories[i]`.
    pub categories: Option<Vec<String>>,
    /// The lines.
    pub lines: Vec<Line>,
    /// The bands, drawn under the lines.
    pub bands: Vec<Band>,
    /// The shades, drawn under everything.
    pub shades: Vec<Shade>,
    /// Shown in the middle when there is nothing to draw.
    pub empty_note: Option<String>,
    /// Legend entries without a swatch, after the lines': what had nothing to draw and why
    /// (e.g. "sync: no write completed"), so a missing point is explained, not just absent.
    pub legend_notes: Vec<String>,
    /// y counts whole things: ticks at least 1 apart.
    pub integer_y: bool,
    /// Draw the lines as grouped bars (categorical x), each labelled with its value in percent.
    pub bars: bool,
    /// A log x of `1/(1 − p)` labelled as the percentile `p` (`50%`, `99%`, `99.9%`): the
    /// HdrHistogram percentile plot, which spreads the tail out.
    pub x_percentile: bool,
}

/// A titled figure of panels stacked top to bottom.
#[derive(Clone, Debug)]
pub struct Figure {
    /// The title.
    pub title: String,
    /// The panels.
    pub panels: Vec<Panel>,
}

/// A number as an axis label: no trailing zeros, no exponent for everyday magnitudes.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.001 {
        format!("{v:.4}")
    } else {
        format!("{v:.2e}")
    };
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

impl Panel {
    fn ys(&self) -> impl Iterator<Item = f64> + '_ {
        let lines = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().filter_map(|p| p.1));
        let bands = self.bands.iter().flat_map(|b| b.points.iter().map(|p| p.2));
        lines.chain(bands).filter(|v| v.is_finite())
    }

    fn xs(&self) -> impl Iterator<Item = f64> + '_ {
        self.lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .chain(self.shades.iter().flat_map(|s| [s.from, s.to]))
            .filter(|v| v.is_finite())
    }

    fn x_bounds(&self) -> (f64, f64) {
        if let Some(c) = &self.categories {
            return (-0.5, c.len().max(1) as f64 - 0.5);
        }
        if let Some(r) = self.x_range {
            return r;
        }
        let pos = |v: &f64| !self.x_log || *v > 0.0;
        let lo = self.xs().filter(pos).fold(f64::INFINITY, f64::min);
        let hi = self.xs().filter(pos).fold(f64::NEG_INFINITY, f64::max);
        if !self.x_log && lo.is_finite() && hi.is_finite() && hi > lo {
            // Time and other linear x axes start at zero and end at the data.
            return (lo.min(0.0), hi);
        }
        fit(lo, hi, self.x_log, false)
    }

    fn y_bounds(&self) -> (f64, f64) {
        if let Some(r) = self.y_range {
            return r;
        }
        let pos = |v: &f64| !self.y_log || *v > 0.0;
        let lo = self.ys().filter(pos).fold(f64::INFINITY, f64::min);
        let hi = self.ys().filter(pos).fold(f64::NEG_INFINITY, f64::max);
        fit(lo, hi, self.y_log, true)
    }
}

/// A drawable range around [lo, hi]: log ranges widen to whole decades' neighbours, linear ones
/// start at zero (for y) and get 8% head room.
fn fit(lo: f64, hi: f64, log: bool, from_zero: bool) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        let lo = lo.max(1e-9);
        let hi = hi.max(lo);
        (lo / 1.5, hi * 1.6)
    } else {
        let lo = if from_zero { lo.min(0.0) } else { lo };
        let span = (hi - lo).abs();
        let span = if span > 0.0 { span } else { hi.abs().max(1.0) };
        (lo, hi + span * 0.08)
    }
}

/// A linear axis over `lo..hi` with the tick marks we choose (plotters' own choice labels a log
/// axis too sparsely). Log axes are drawn as linear axes over log10 of the values.
#[derive(Clone, Debug)]
pub(super) struct Axis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) bold: Vec<f64>,
    pub(super) light: Vec<f64>,
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        let f = if span > 0.0 {
            (value - self.lo) / span
        } else {
            0.5
        };
        let f = if f.is_finite() {
            f.clamp(-4.0, 5.0)
        } else {
            0.0
        };
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// A round step near `span / n`: 1, 2, 2.5 or 5 times a power of ten.
fn nice_step(span: f64, n: f64) -> f64 {
    let raw = (span / n).max(1e-12);
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

pub(super) fn linear_axis(lo: f64, hi: f64) -> Axis {
    let step = nice_step(hi - lo, 7.0);
    let ticks = |step: f64| {
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        (first..=last).map(|k| k as f64 * step).collect::<Vec<_>>()
    };
    Axis {
        lo,
        hi,
        bold: ticks(step),
        light: ticks(step / 2.0),
    }
}

/// An axis over log10 values `lo..hi`.
fn log_axis(lo: f64, hi: f64) -> Axis {
    let decades = (lo.floor() as i64)..=(hi.ceil() as i64);
    let mults: &[f64] = if hi - lo <= 1.3 {
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0]
    } else if hi - lo <= 3.5 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let within = |v: &f64| *v >= lo - 1e-9 && *v <= hi + 1e-9;
    let at = |ms: &[f64]| {
        decades
            .clone()
            .flat_map(|d| ms.iter().map(move |m| m.log10() + d as f64))
            .filter(within)
            .collect::<Vec<_>>()
    };
    Axis {
        lo,
        hi,
        bold: at(mults),
        light: at(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]),
    }
}

fn category_axis(n: usize) -> Axis {
    let k: Vec<f64> = (0..n).map(|i| i as f64).collect();
    Axis {
        lo: -0.5,
        hi: n.max(1) as f64 - 0.5,
        bold: k,
        light: Vec::new(),
    }
}

/// A log10 axis value back as a label.
fn fmt_log(v: f64) -> String {
    let x = 10f64.powf(v);
    let digits = (x.abs().log10().floor() as i32).clamp(-12, 12);
    let scale = 10f64.powi(2 - digits);
    fmt_num((x * scale).round() / scale)
}

/// A log10 value of `1/(1 − p)` as the percentile `p` (`99.9%`).
fn fmt_percentile(v: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-v));
    let s = format!("{p:.5}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// Clears `root` to white, writes `title` across its top and returns the area below it: the
/// frame every chart shares.
pub(super) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(err)?;
    let root = root.margin(8, 8, 12, 16);
    let (top, body) = root.split_vertically(38);
    top.draw(&Text::new(
        title.to_string(),
        (4, 4),
        (FAMILY, 22)
            .into_font()
            .style(FontStyle::Bold)
            .color(&BLACK),
    ))
    .map_err(err)?;
    Ok(body)
}

impl Draw for Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let body = titled(root, &self.title)?;
        let areas = body.split_evenly((self.panels.len().max(1), 1));
        for (panel, area) in self.panels.iter().zip(areas.iter()) {
            draw_panel(area, panel)?;
        }
        Ok(())
    }
}

/// Width of the legend strip to the right of each panel, pixels.
const LEGEND_WIDTH: u32 = 235;

/// How a legend entry's swatch looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Swatch {
    Solid,
    Dashed,
    Shade,
    Dot,
    /// No swatch: the label is a note.
    Note,
}

/// Draws `shades` under a chart whose axes span `xs` and `ys`: a translucent band per window,
/// and a 2 px line for an instant (a window of no width, such as a clock step).
pub(super) fn draw_shades<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<Axis, Axis>>,
    shades: &[Shade],
    tx: &dyn Fn(f64) -> f64,
    xs: (f64, f64),
    ys: (f64, f64),
) -> Result<(), String> {
    let ((x0, x1), (y0, y1)) = (xs, ys);
    for s in shades {
        let (a, b) = (tx(s.from).max(x0), tx(s.to).min(x1));
        if s.to <= s.from {
            if a >= x0 && a <= x1 {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(a, y0), (a, y1)],
                        s.colour.mix(0.8).stroke_width(2),
                    )))
                    .map_err(err)?;
            }
            continue;
        }
        if b <= a {
            continue;
        }
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(a, y0), (b, y1)],
                s.colour.mix(0.16).filled(),
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// `c` laid at `alpha` over white, as an opaque colour.
pub(super) fn tint(c: RGBColor, alpha: f64) -> RGBColor {
    let f = |v: u8| (255.0 - (255.0 - f64::from(v)) * alpha).round() as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

/// One legend entry per distinct shade label, in order.
pub(super) fn shade_legend(shades: &[Shade]) -> Vec<(String, RGBColor, Swatch)> {
    let mut out: Vec<(String, RGBColor, Swatch)> = Vec::new();
    for s in shades {
        if !out.iter().any(|e| e.0 == s.label) {
            let sw = if s.to <= s.from {
                Swatch::Solid
            } else {
                Swatch::Shade
            };
            out.push((s.label.clone(), s.colour, sw));
        }
    }
    out
}

/// Draws the legend of `entries` (label, colour, swatch) down the strip `area`.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor, Swatch)],
) -> Result<(), String> {
    for (i, (label, c, swatch)) in entries.iter().enumerate() {
        let y = 16 + 20 * i as i32;
        area.draw(&Text::new(
            label.clone(),
            (32, y - 7),
            (FAMILY, 13).into_font().color(&BLACK),
        ))
        .map_err(err)?;
        if *swatch == Swatch::Shade {
            area.draw(&Rectangle::new(
                [(6, y - 6), (26, y + 6)],
                c.mix(0.25).filled(),
            ))
            .map_err(err)?;
            continue;
        }
        if *swatch == Swatch::Note {
            continue;
        }
        if *swatch == Swatch::Dot {
            area.draw(&Circle::new((16, y), 5, c.filled()))
                .map_err(err)?;
            continue;
        }
        let (width, gap) = if *swatch == Swatch::Dashed {
            (1, 5)
        } else {
            (3, 0)
        };
        area.draw(&PathElement::new(
            vec![(6, y), (15 - gap / 2, y)],
            c.stroke_width(width),
        ))
        .map_err(err)?;
        area.draw(&PathElement::new(
            vec![(15 + gap / 2, y), (26, y)],
            c.stroke_width(width),
        ))
        .map_err(err)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &Panel) -> Result<(), String> {
    let (w, _) = area.dim_in_pixel();
    let (area, legend) = area.split_horizontally(w.saturating_sub(LEGEND_WIDTH));
    let area = &area;
    let tx = |v: f64| if p.x_log { v.max(1e-12).log10() } else { v };
    let ty = |v: f64| if p.y_log { v.max(1e-12).log10() } else { v };
    let (x0, x1) = p.x_bounds();
    let (y0, y1) = p.y_bounds();
    let (x0, x1) = (tx(x0), tx(x1));
    let (y0, y1) = (ty(y0), ty(y1));
    let x_axis = match &p.categories {
        Some(c) => category_axis(c.len()),
        None if p.x_log => log_axis(x0, x1),
        None => linear_axis(x0, x1),
    };
    let y_axis = if p.y_log {
        log_axis(y0, y1)
    } else if p.integer_y {
        let mut a = linear_axis(y0, y1.max(y0 + 1.0));
        if a.bold.len() > 1 && a.bold[1] - a.bold[0] < 1.0 {
            a.bold = (y0.ceil() as i64..=y1.floor() as i64)
                .map(|v| v as f64)
                .collect();
            a.light.clear();
        }
        a
    } else {
        linear_axis(y0, y1)
    };
    let mut chart = ChartBuilder::on(area)
        .margin(6)
        .margin_right(20)
        .x_label_area_size(44)
        .y_label_area_size(78)
        .build_cartesian_2d(x_axis, y_axis)
        .map_err(err)?;
    let cats = p.categories.clone();
    let x_log = p.x_log;
    let x_percentile = p.x_percentile;
    let x_fmt = move |v: &f64| match &cats {
        Some(c) => {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < c.len() {
                c[i as usize].clone()
            } else {
                String::new()
            }
        }
        None if x_log && x_percentile => fmt_percentile(*v),
        None if x_log => fmt_log(*v),
        None => fmt_num(*v),
    };
    let y_log = p.y_log;
    let y_fmt = move |v: &f64| if y_log { fmt_log(*v) } else { fmt_num(*v) };
    chart
        .configure_mesh()
        .x_desc(p.x_label.clone())
        .y_desc(p.y_label.clone())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 15))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(210, 210, 210))
        .draw()
        .map_err(err)?;

    draw_shades(&mut chart, &p.shades, &tx, (x0, x1), (y0, y1))?;
    let shade_entries = shade_legend(&p.shades);

    for b in &p.bands {
        if b.points.is_empty() {
            continue;
        }
        // Clamped to the axes: on a log axis a zero would otherwise reach far below.
        let cy = |v: f64| ty(v).clamp(y0, y1);
        let mut poly: Vec<(f64, f64)> =
            b.points.iter().map(|&(x, _, hi)| (tx(x), cy(hi))).collect();
        poly.extend(b.points.iter().rev().map(|&(x, lo, _)| (tx(x), cy(lo))));
        chart
            .draw_series(std::iter::once(Polygon::new(
                poly,
                b.colour.mix(0.18).filled(),
            )))
            .map_err(err)?;
    }

    let mut any = false;
    let mut entries: Vec<(String, RGBColor, Swatch)> = Vec::new();
    let n_lines = p.lines.len();
    if p.bars {
        let w = 0.8 / n_lines.max(1) as f64;
        for (j, l) in p.lines.iter().enumerate() {
            entries.push((l.label.clone(), l.colour, Swatch::Solid));
            for &(x, y) in &l.points {
                let Some(y) = y else { continue };
                let a = x - 0.4 + j as f64 * w;
                let (lo, hi) = (ty(y0.max(0.0)), ty(y));
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a + w * 0.08, lo), (a + w * 0.92, hi.max(lo))],
                        l.colour.filled(),
                    )))
                    .map_err(err)?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("{:.0}%", y * 100.0),
                        (a + w * 0.15, hi.max(lo) + (y1 - y0) * 0.05),
                        (FAMILY, 12).into_font().color(&BLACK),
                    )))
                    .map_err(err)?;
            }
        }
        entries.extend(shade_entries);
        draw_legend(&legend, &entries)?;
        return Ok(());
    }
    for (idx, l) in p.lines.iter().enumerate() {
        // Earlier lines are drawn wider, so a later line lying on top of one leaves it visible.
        let wide = 2 + (n_lines.saturating_sub(idx + 1)).min(3) as u32;
        let style: ShapeStyle = match l.stroke {
            Stroke::Solid => l.colour.stroke_width(wide),
            Stroke::Dashed | Stroke::Points => l.colour.stroke_width(1),
        };
        let usable = |x: f64, y: f64| {
            y.is_finite() && (!p.y_log || y > 0.0) && x.is_finite() && (!p.x_log || x > 0.0)
        };
        let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for &(x, y) in &l.points {
            match y.filter(|&y| usable(x, y)) {
                Some(y) => {
                    if let Some(seg) = segments.last_mut() {
                        seg.push((tx(x), ty(y)));
                    }
                }
                None if l.connect_gaps => {}
                None => {
                    if segments.last().is_some_and(|s| !s.is_empty()) {
                        segments.push(Vec::new());
                    }
                }
            }
        }
        let mut labelled = false;
        for seg in segments.into_iter().filter(|s| !s.is_empty()) {
            any = true;
            match l.stroke {
                Stroke::Solid => chart
                    .draw_series(LineSeries::new(seg.clone(), style))
                    .map_err(err)?,
                Stroke::Dashed => chart
                    .draw_series(DashedLineSeries::new(seg.clone(), 6, 4, style))
                    .map_err(err)?,
                Stroke::Points => chart
                    .draw_series(seg.iter().map(|&pt| Circle::new(pt, 5, l.colour.filled())))
                    .map_err(err)?,
            };
            if !labelled {
                labelled = true;
                if !l.label.is_empty() {
                    let sw = match l.stroke {
                        Stroke::Solid => Swatch::Solid,
                        Stroke::Dashed => Swatch::Dashed,
                        Stroke::Points => Swatch::Dot,
                    };
                    entries.push((l.label.clone(), l.colour, sw));
                }
            }
            if l.stroke != Stroke::Points && (l.markers || seg.len() == 1) {
                chart
                    .draw_series(seg.iter().map(|&pt| Circle::new(pt, 3, l.colour.filled())))
                    .map_err(err)?;
            }
        }
    }
    if !any {
        if let Some(note) = &p.empty_note {
            let (w, h) = area.dim_in_pixel();
            area.draw(&Text::new(
                note.clone(),
                (w as i32 / 3, h as i32 / 2),
                (FAMILY, 16).into_font().color(&RGBColor(90, 90, 90)),
            ))
            .map_err(err)?;
        }
    }
    entries.extend(
        p.legend_notes
            .iter()
            .map(|n| (n.clone(), RGBColor(90, 90, 90), Swatch::Note)),
    );
    entries.extend(shade_entries);
    draw_legend(&legend, &entries)?;
    Ok(())
}
