//! The summary pages of a report: `index.md` (charts as PNG links) and `index.html` (one
//! self-contained file: SVGs inline, styles inline, no script, no external reference).

use std::fmt::Write;

use super::figures::{ChartSpec, ProtocolRuns};
use super::over_time::percent;
use super::units::{human_bytes, human_ns, human_ns_or_na as na, median, median_measured};
use crate::result::RunResult;
use crate::scenario::types::ProtocolKind;

/// What the page says about the scenario and how it was made.
#[derive(Clone, Debug)]
pub struct PageInfo {
    /// The scenario's name.
    pub scenario: String,
    /// Its description.
    pub description: String,
    /// The command that regenerates this report.
    pub command: String,
    /// The seeds run.
    pub seeds: Vec<u64>,
    /// The RPO target the exposure is measured against (`--rpo-target`), ns.
    pub rpo_target_ns: Option<u64>,
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn verdict(r: &RunResult) -> String {
    match (&r.budget, r.consistent) {
        (Some(b), true) => format!("incomplete ({b} budget)"),
        (_, true) => "consistent".into(),
        (_, false) => format!("INCONSISTENT ({})", r.violation_count),
    }
}

/// Whether the protocol named `protocol` copies in rounds the result counts as checkpoints (see
/// [`ProtocolKind::copies_in_rounds`]).
fn has_rounds(protocol: &str) -> bool {
    ProtocolKind::named(protocol).is_none_or(ProtocolKind::copies_in_rounds)
}

/// Checkpoints applied of issued ("0 of 0" when none was issued), or "n/a" for a protocol
/// without checkpoints.
fn checkpoints(r: &RunResult) -> String {
    if has_rounds(&r.protocol) {
        format!("{} of {}", r.checkpoints.applied, r.checkpoints.issued)
    } else {
        "n/a".into()
    }
}

/// Lost writes with their bytes in human units.
fn lost(writes: u64, bytes: u64) -> String {
    if writes == 0 {
        "0".into()
    } else {
        format!("{writes} ({})", human_bytes(bytes))
    }
}

/// The RPO window, or "n/a" when nothing was lost (there is no oldest lost write).
fn window(r: &RunResult) -> String {
    if r.rpo.lost_writes == 0 {
        "n/a".into()
    } else {
        human_ns(r.rpo.window_ns)
    }
}

/// The columns of a protocol's table.
pub const HEAD: [&str; 13] = [
    "seed",
    "verdict",
    "write p50",
    "write p99",
    "write max",
    "lag p50",
    "lag p99",
    "lag max",
    "exposure p99",
    "RPO lost writes",
    "RPO window",
    "checkpoints applied",
    "first violation",
];

/// A run's row under [`HEAD`].
pub fn row(r: &RunResult) -> Vec<String> {
    let l = &r.latency_ns;
    let first = r
        .violations
        .first()
        .map(|v| {
            format!(
                "{} present without {} at {}",
                v.present,
                v.missing,
                human_ns(v.at_ns)
            )
        })
        .unwrap_or_else(|| "none".into());
    vec![
        r.seed.to_string(),
        verdict(r),
        na(l.host_write.map(|p| p.p50)),
        na(l.host_write.map(|p| p.p99)),
        na(l.host_write.map(|p| p.max)),
        na(l.secondary_lag.map(|p| p.p50)),
        na(l.secondary_lag.map(|p| p.p99)),
        na(l.secondary_lag.map(|p| p.max)),
        na(l.exposure.map(|p| p.p99)),
        lost(r.rpo.lost_writes, r.rpo.lost_bytes),
        window(r),
        checkpoints(r),
        first,
    ]
}

/// The columns of the comparison table at the top of the page (`within target` only with a
/// target).
pub fn summary_head(target: Option<u64>) -> Vec<String> {
    let mut h: Vec<String> = [
        "protocol",
        "write p50",
        "write p99",
        "lag p99",
        "RPO lost writes",
        "RPO window",
        "exposure p99",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(t) = target {
        h.push(format!("within {} target", human_ns(t)));
    }
    h.extend(["checkpoints applied".to_string(), "verdict".to_string()]);
    h
}

/// One protocol's row of the comparison table: with one seed its figures, with several the
/// median over seeds (the within-target share is the first seed's, the one recorded).
pub fn summary_row(p: &ProtocolRuns, target: Option<u64>) -> Vec<String> {
    let rs = &p.results;
    let m = |f: fn(&RunResult) -> u64| median(rs.iter().map(f).collect());
    let mm = |f: fn(&RunResult) -> Option<u64>| na(median_measured(rs.iter().map(f)));
    let lost_w = m(|r| r.rpo.lost_writes);
    let mut row = vec![
        p.protocol.clone(),
        mm(|r| r.latency_ns.host_write.map(|p| p.p50)),
        mm(|r| r.latency_ns.host_write.map(|p| p.p99)),
        mm(|r| r.latency_ns.secondary_lag.map(|p| p.p99)),
        lost(lost_w, m(|r| r.rpo.lost_bytes)),
        if lost_w == 0 {
            "n/a".into()
        } else {
            human_ns(m(|r| r.rpo.window_ns))
        },
        mm(|r| r.latency_ns.exposure.map(|p| p.p99)),
    ];
    if target.is_some() {
        row.push(
            p.series
                .as_ref()
                .and_then(|s| s.rpo_within)
                .and_then(|w| w.fraction())
                .map_or("n/a".into(), percent),
        );
    }
    row.push(if has_rounds(&p.protocol) {
        format!(
            "{} of {}",
            m(|r| r.checkpoints.applied),
            m(|r| r.checkpoints.issued)
        )
    } else {
        "n/a".into()
    });
    let bad = rs.iter().filter(|r| !r.consistent).count();
    row.push(match (rs.len(), bad) {
        (1, _) => rs.first().map(verdict).unwrap_or_default(),
        (n, 0) => format!("consistent ({n} of {n})"),
        (n, b) => format!("INCONSISTENT ({b} of {n})"),
    });
    row
}

/// What the comparison table's figures are, in a sentence.
fn summary_note(runs: &[ProtocolRuns]) -> &'static str {
    if runs.iter().any(|r| r.results.len() > 1) {
        "Medians over the seeds (within target: the first seed); per-seed figures follow."
    } else {
        "Per-protocol details follow."
    }
}

/// A sentence per protocol: how many runs and how many were consistent.
fn tally(p: &ProtocolRuns) -> String {
    let bad = p.results.iter().filter(|r| !r.consistent).count();
    let n = p.results.len();
    let disaster = p.results.iter().filter(|r| r.disaster_ns.is_some()).count();
    let rpo = if disaster > 0 {
        "RPO is measured at the disaster"
    } else {
        "no disaster: RPO is what the secondary lacked at the end of the run"
    };
    if bad == 0 {
        format!("{n} run(s), every one consistent; {rpo}.")
    } else {
        format!("{n} run(s), {bad} with a dependent-write violation; {rpo}.")
    }
}

/// The Markdown page.
pub fn markdown(info: &PageInfo, runs: &[ProtocolRuns], charts: &[ChartSpec]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# rcsim report: {}\n", info.scenario);
    let _ = writeln!(s, "{}\n", info.description);
    let _ = writeln!(
        s,
        "Protocols: {}. Seeds: {}. Regenerate with:\n\n```sh\n{}\n```\n",
        runs.iter()
            .map(|r| format!("`{}`", r.protocol))
            .collect::<Vec<_>>()
            .join(", "),
        seeds_text(&info.seeds),
        info.command
    );
    let head = summary_head(info.rpo_target_ns);
    let _ = writeln!(s, "## Comparison\n\n{}\n", summary_note(runs));
    let _ = writeln!(s, "| {} |", head.join(" | "));
    let _ = writeln!(
        s,
        "|{}|",
        head.iter().map(|_| " --- ").collect::<Vec<_>>().join("|")
    );
    for p in runs {
        let cells: Vec<String> = summary_row(p, info.rpo_target_ns)
            .iter()
            .map(|c| md_cell(c))
            .collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(s);
    for p in runs {
        let _ = writeln!(s, "## {}\n\n{}\n", p.protocol, tally(p));
        let _ = writeln!(s, "| {} |", HEAD.join(" | "));
        let _ = writeln!(
            s,
            "|{}|",
            HEAD.iter().map(|_| " --- ").collect::<Vec<_>>().join("|")
        );
        for r in &p.results {
            let cells: Vec<String> = row(r).iter().map(|c| md_cell(c)).collect();
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "## Charts\n");
    if runs.iter().any(|r| r.results.len() > 1) {
        let _ = writeln!(
            s,
            "Time series and distributions show the first seed ({}) of each protocol.\n",
            info.seeds.first().copied().unwrap_or(0)
        );
    }
    for c in charts {
        let _ = writeln!(
            s,
            "### {}\n\n![{}]({}.png)\n\n{} ([SVG]({}.svg))\n",
            c.title, c.title, c.stem, c.caption, c.stem
        );
    }
    s
}

fn seeds_text(seeds: &[u64]) -> String {
    match seeds {
        [] => "none".into(),
        [one] => one.to_string(),
        [first, .., last] if seeds.len() as u64 == last - first + 1 => {
            format!("{first} to {last}")
        }
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The pages' style sheet (inline in each page).
pub const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:1040px;\
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.85em}\
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}\
th{background:#f2f2f2}td{white-space:nowrap}td:nth-child(2){text-align:left}\
table.runs td:last-child{text-align:left;white-space:normal}\
table.summary td:first-child,table.summary td:last-child{text-align:left}\
tr.bad td{background:#fde8e8}figure{margin:1.5em 0}figure svg{width:100%;height:auto;\
border:1px solid #eee}figcaption{font-size:.92em;color:#444}\
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}";

/// The self-contained HTML page; `svgs[i]` is `charts[i]` drawn.
pub fn html(
    info: &PageInfo,
    runs: &[ProtocolRuns],
    charts: &[ChartSpec],
    svgs: &[String],
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>rcsim report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&info.scenario)
    );
    let _ = writeln!(s, "<h1>rcsim report: {}</h1>", esc(&info.scenario));
    let _ = writeln!(s, "<p>{}</p>", esc(&info.description));
    let _ = writeln!(
        s,
        "<p>Protocols: {}. Seeds: {}. Regenerate with:</p>\n<pre>{}</pre>",
        esc(&runs
            .iter()
            .map(|r| r.protocol.clone())
            .collect::<Vec<_>>()
            .join(", ")),
        esc(&seeds_text(&info.seeds)),
        esc(&info.command)
    );
    let _ = writeln!(
        s,
        "<h2>Comparison</h2>\n<p>{}</p>\n<table class=\"summary\">\n<tr>{}</tr>",
        esc(summary_note(runs)),
        summary_head(info.rpo_target_ns)
            .iter()
            .map(|h| format!("<th>{}</th>", esc(h)))
            .collect::<String>()
    );
    for p in runs {
        let bad = p.results.iter().any(|r| !r.consistent);
        let class = if bad { " class=\"bad\"" } else { "" };
        let _ = writeln!(
            s,
            "<tr{class}>{}</tr>",
            summary_row(p, info.rpo_target_ns)
                .iter()
                .map(|c| format!("<td>{}</td>", esc(c)))
                .collect::<String>()
        );
    }
    let _ = writeln!(s, "</table>");
    for p in runs {
        let _ = writeln!(
            s,
            "<h2>{}</h2>\n<p>{}</p>\n<table class=\"runs\">\n<tr>{}</tr>",
            esc(&p.protocol),
            esc(&tally(p)),
            HEAD.iter()
                .map(|h| format!("<th>{}</th>", esc(h)))
                .collect::<String>()
        );
        for r in &p.results {
            let class = if r.consistent { "" } else { " class=\"bad\"" };
            let _ = writeln!(
                s,
                "<tr{class}>{}</tr>",
                row(r)
                    .iter()
                    .map(|c| format!("<td>{}</td>", esc(c)))
                    .collect::<String>()
            );
        }
        let _ = writeln!(s, "</table>");
    }
    let _ = writeln!(s, "<h2>Charts</h2>");
    if runs.iter().any(|r| r.results.len() > 1) {
        let _ = writeln!(
            s,
            "<p>Time series and distributions show the first seed ({}) of each protocol.</p>",
            info.seeds.first().copied().unwrap_or(0)
        );
    }
    for (c, svg) in charts.iter().zip(svgs) {
        let _ = writeln!(
            s,
            "<figure id=\"{}\">\n<h3>{}</h3>\n{}\n<figcaption>{}</figcaption>\n</figure>",
            esc(&c.stem),
            esc(&c.title),
            inline_svg(svg),
            esc(&c.caption)
        );
    }
    let _ = writeln!(s, "</body>\n</html>");
    s
}

/// An SVG document ready to sit inside HTML: without an XML declaration.
pub fn inline_svg(svg: &str) -> &str {
    let t = svg.trim_start();
    if t.starts_with("<?xml") {
        t.find("?>").map_or(t, |i| t[i + 2..].trim_start())
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(esc("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }

    #[test]
    fn xml_declarations_are_dropped() {
        assert_eq!(inline_svg("<?xml version=\"1.0\"?>\n<svg/>"), "<svg/>");
        assert_eq!(inline_svg("<svg/>"), "<svg/>");
    }

    #[test]
    fn seed_ranges_read_naturally() {
        assert_eq!(seeds_text(&[3]), "3");
        assert_eq!(seeds_text(&[1, 2, 3]), "1 to 3");
        assert_eq!(seeds_text(&[1, 5]), "1, 5");
    }
}
