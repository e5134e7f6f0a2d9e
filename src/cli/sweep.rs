//! `rcsim sweep`: one scenario field over a list of values, every protocol and seed.

use rcsim::quote::bounded;
use rcsim::report::parallel_map;
use rcsim::report::sweep::{render_sweep, Sweep, SweepRow};
use rcsim::scenario::types::ProtocolKind;
use rcsim::scenario::units::Duration;
use rcsim::scenario::Override;
use rcsim::sim::{simulate, RunOptions};

use super::report::{batch_code, load_for, progress, threads};
use super::{SweepArgs, EXIT_USAGE};

/// `PATH=V1,V2,...` as the field's path and its values, each as the override it means.
fn parse_vary(arg: &str) -> Result<(String, Vec<(String, Override)>), String> {
    let (path, values) = arg
        .split_once('=')
        .ok_or_else(|| format!("--vary {}: expected PATH=V1,V2,...", bounded(arg)))?;
    if path.is_empty() {
        return Err(format!(
            "--vary {}: the path before `=` is empty",
            bounded(arg)
        ));
    }
    // The sweep sets these itself for every run, so varying them would change nothing.
    match path.trim() {
        "seed" => {
            return Err(
                "--vary seed: every run's seed comes from --seeds (or the scenario's \
                        `seed`); give --seeds A..B instead"
                    .into(),
            )
        }
        "protocol" | "protocol.kind" => {
            return Err(format!(
                "--vary {}: every run's protocol comes from --protocol; give --protocol P,Q \
                 instead",
                bounded(path)
            ))
        }
        _ => {}
    }
    let mut out = Vec::new();
    for v in values.split(',').map(str::trim) {
        if v.is_empty() {
            return Err(format!(
                "--vary {}: an empty value in the list",
                bounded(arg)
            ));
        }
        let o = if path == "disaster_at" {
            let t: Duration = v
                .parse()
                .map_err(|e| format!("--vary disaster_at={}: {e}", bounded(v)))?;
            Override::DisasterAt(t)
        } else {
            Override::parse(&format!("{path}={v}")).map_err(|e| e.replacen("--set", "--vary", 1))?
        };
        out.push((v.to_string(), o));
    }
    Ok((path.to_string(), out))
}

impl SweepArgs {
    fn command_line(&self) -> String {
        let mut c = format!(
            "rcsim sweep {} --vary {}",
            self.scenario.display(),
            self.vary
        );
        if let Some(r) = &self.seeds {
            c.push_str(&format!(" --seeds {}..{}", r.start, r.end));
        }
        if !self.protocol.is_empty() {
            let names: Vec<&str> = self
                .protocol
                .iter()
                .map(|&p| ProtocolKind::from(p).name())
                .collect();
            c.push_str(&format!(" --protocol {}", names.join(",")));
        }
        for arg in self.set.iter().filter_map(Override::set_arg) {
            c.push_str(&format!(" {arg}"));
        }
        c.push_str(&format!(" --out {}", self.out.display()));
        c
    }
}

pub(super) fn run(args: &SweepArgs) -> u8 {
    let (path, values) = match parse_vary(&args.vary) {
        Ok(v) => v,
        Err(e) => {
            errln!("rcsim: {e}");
            return EXIT_USAGE;
        }
    };
    let protocols: Vec<ProtocolKind> = if args.protocol.is_empty() {
        ProtocolKind::ALL.to_vec()
    } else {
        args.protocol.iter().map(|&p| p.into()).collect()
    };
    // Every (value, protocol) scenario is loaded and checked before anything runs.
    let mut scenarios = Vec::new();
    for (v, o) in &values {
        for &p in &protocols {
            let mut overrides = args.set.clone();
            overrides.push(o.clone());
            match load_for(&args.scenario, &overrides, p) {
                Ok(s) => scenarios.push((v.clone(), s)),
                Err(e) => {
                    errln!("{e}\nrcsim: (with {})", bounded(&format!("{path}={v}")));
                    return EXIT_USAGE;
                }
            }
        }
    }
    let seeds =
        match super::report::batch_seeds(args.seeds.as_ref(), scenarios[0].1.seed, scenarios.len())
        {
            Ok(s) => s,
            Err(e) => {
                errln!("{e}");
                return EXIT_USAGE;
            }
        };
    // Armed before the directory is made: once it exists, a signal stops the sweep cleanly.
    let stop = super::interrupt::armed();
    if let Err(e) = rcsim::output::ensure_dir(&args.out) {
        errln!(
            "rcsim: cannot use output directory {}: {e}",
            args.out.display()
        );
        return EXIT_USAGE;
    }
    let jobs: Vec<(usize, u64)> = (0..scenarios.len())
        .flat_map(|i| seeds.iter().map(move |&s| (i, s)))
        .collect();
    let bar = progress(jobs.len(), "sweep");
    let tick = || bar.inc(1);
    let opts = RunOptions {
        stop: Some(stop),
        ..RunOptions::default()
    };
    let done = parallel_map(&jobs, threads(), &tick, |&(i, seed)| {
        simulate(&scenarios[i].1, seed, &opts)
    });
    bar.finish_and_clear();
    if let Some(code) = super::interrupt::stopped("the sweep") {
        return code;
    }
    let mut rows = Vec::with_capacity(done.len());
    let mut results = Vec::with_capacity(done.len());
    for (&(i, _), r) in jobs.iter().zip(done) {
        match r {
            Ok(r) => {
                rows.push(SweepRow::new(&scenarios[i].0, &r));
                results.push(r);
            }
            Err(e) => {
                errln!("rcsim: a run failed to write its output: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let sweep = Sweep {
        scenario: scenarios[0].1.name.clone(),
        vary: path,
        values: values.into_iter().map(|(v, _)| v).collect(),
        protocols: protocols.iter().map(|p| p.name().to_string()).collect(),
        seeds,
        rows,
    };
    if let Err(code) = super::report::write_rendered(
        render_sweep(&sweep, &args.command_line()),
        &args.out,
        "the sweep",
    ) {
        return code;
    }
    let bad = results.iter().filter(|r| !r.consistent).count();
    outln!(
        "{} runs ({} values x {} protocols x {} seeds), {} with violations; written to {}",
        results.len(),
        sweep.values.len(),
        sweep.protocols.len(),
        sweep.seeds.len(),
        bad,
        args.out.join("sweep.csv").display()
    );
    batch_code(results.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_values_become_overrides() {
        let (p, v) = parse_vary("protocol.checkpoint_interval=1ms,5ms").expect("parses");
        assert_eq!(p, "protocol.checkpoint_interval");
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].0, "5ms");
        let (_, d) = parse_vary("disaster_at=3ms").expect("parses");
        assert!(matches!(d[0].1, Override::DisasterAt(_)));
        assert!(parse_vary("disaster_at=soon").is_err());
        assert!(parse_vary("novalues").is_err());
        assert!(parse_vary("a=1,,2").is_err());
        for set_by_the_sweep in ["seed=1,2", "protocol.kind=sync,independent", "protocol={}"] {
            let e = parse_vary(set_by_the_sweep).expect_err(set_by_the_sweep);
            assert!(e.contains("instead"), "{e}");
        }
    }
}
