use super::*;
use crate::fuzz::gen::{generate, GenOptions};
use crate::scenario::parse;

fn base() -> Scenario {
    parse("base", crate::fuzz::DEFAULT_BASE, &[]).expect("the base is valid")
}

fn set(args: &[&str]) -> Vec<Override> {
    args.iter()
        .map(|a| Override::parse(a).expect("parses"))
        .collect()
}

/// The kinds `seed` draws and its scenario with `pins` applied.
fn draw(b: &Scenario, seed: u64, opts: GenOptions, pins: &[Override]) -> (Vec<Swarm>, Scenario) {
    let g = generate(b, seed, opts, pins);
    let text = serde_json::to_string(&g.scenario).expect("JSON");
    let sc = parse("generated", &text, pins)
        .unwrap_or_else(|e| panic!("seed {seed} under {pins:?}: {e}"));
    (g.swarm, sc)
}

/// `--set`s that take kind `k` away from any seed.
fn pinned_away(k: Swarm) -> Vec<&'static str> {
    match k {
        Swarm::LanLoss => vec!["primary_lan.loss=0", "secondary_lan.loss=0"],
        Swarm::LanDuplicate => vec!["primary_lan.duplicate=0", "secondary_lan.duplicate=0"],
        Swarm::LinkLoss => vec!["links.loss=0"],
        Swarm::Multipath => vec!["links.paths=1"],
        Swarm::ClockDrift => vec!["clocks.drift_ppm=0"],
        Swarm::HeavyPair => vec!["subsystems.overrides=[]"],
        Swarm::ClockFree => vec!["protocol.clock=synced"],
        Swarm::BoundedBuffer => vec!["subsystems.buffer_capacity=null"],
        Swarm::HeavyTailLan => vec!["primary_lan.latency=40us"],
        Swarm::HeavyTailLink => vec!["links.latency.sigma=0.4"],
        Swarm::MovedMasters => vec!["protocol.primary_master=1", "protocol.secondary_master=1"],
        _ => vec!["faults=[]"],
    }
}

#[test]
fn each_kind_drawn_is_listed_and_pinned_away_is_not() {
    let b = base();
    let opts = GenOptions::default();
    for k in SWARM {
        let seed = (0..500)
            .find(|&s| draw(&b, s, opts, &[]).0.contains(&k))
            .unwrap_or_else(|| panic!("{} never drawn", k.name()));
        let (drawn, sc) = draw(&b, seed, opts, &[]);
        let e = in_effect(&drawn, &sc, &[]);
        assert!(e.swarm.contains(&k), "{} drawn, in effect", k.name());
        assert!(e.pinned_off.is_empty(), "{:?}", e.pinned_off);

        let pins = set(&pinned_away(k));
        let (drawn, sc) = draw(&b, seed, opts, &pins);
        assert!(drawn.contains(&k), "pins do not change the draw");
        let e = in_effect(&drawn, &sc, &pins);
        assert!(!e.swarm.contains(&k), "{} pinned away: {:?}", k.name(), e);
        assert!(
            e.pinned_off.contains(&k),
            "{} pinned off: {:?}",
            k.name(),
            e
        );
    }
}

#[test]
fn without_a_set_every_seed_reports_its_draw() {
    let b = base();
    let unrelated = set(&["protocol.checkpoint_interval=20ms", "topology.pairs=4"]);
    for seed in 0..300 {
        for outside_assumptions in [false, true] {
            let opts = GenOptions {
                outside_assumptions,
            };
            for pins in [&[][..], &unrelated[..]] {
                let (drawn, sc) = draw(&b, seed, opts, pins);
                let e = in_effect(&drawn, &sc, pins);
                assert_eq!(e.swarm, drawn, "seed {seed} under {pins:?}");
                assert!(e.pinned_off.is_empty(), "seed {seed}: {:?}", e.pinned_off);
            }
        }
    }
}

/// The predicates read the scenario as the generator writes each kind: on an unpinned seed,
/// each judges its kind on exactly when the seed drew it, but for the two draws the generator
/// realises otherwise (a disaster beside a rolling one, masters that land on pair 1).
#[test]
fn the_predicates_follow_the_generator() {
    let b = base();
    for seed in 0..300 {
        for outside_assumptions in [false, true] {
            let opts = GenOptions {
                outside_assumptions,
            };
            let (drawn, sc) = draw(&b, seed, opts, &[]);
            let at_one = sc.protocol.primary_master == 1 && sc.protocol.secondary_master == 1;
            for k in SWARM {
                let Some(on) = judged(k, &sc) else {
                    continue;
                };
                let realised = drawn.contains(&k)
                    && !(k == Swarm::Disaster && drawn.contains(&Swarm::RollingDisaster))
                    && !(k == Swarm::MovedMasters && at_one);
                assert_eq!(on, realised, "seed {seed}: {} ({drawn:?})", k.name());
            }
        }
    }
}

#[test]
fn a_set_can_pin_a_kind_on() {
    let b = base();
    let opts = GenOptions::default();
    for (pins, k) in [
        (vec!["links.loss=0.01"], Swarm::LinkLoss),
        (
            vec![
                "links.loss=0",
                "links.overrides=[{\"pair\": 1, \"loss\": 0.2}]",
            ],
            Swarm::LinkLoss,
        ),
        (vec!["protocol.clock=none"], Swarm::ClockFree),
        (
            vec![
                "clocks.drift_ppm=0",
                "clocks.overrides=[{\"subsystem\": 2, \"drift_ppm\": -5}]",
            ],
            Swarm::ClockDrift,
        ),
        (
            vec!["faults=[{\"kind\": \"disaster\", \"at\": \"100ms\"}]"],
            Swarm::Disaster,
        ),
    ] {
        let pins = set(&pins);
        for seed in 0..20 {
            let (drawn, sc) = draw(&b, seed, opts, &pins);
            let e = in_effect(&drawn, &sc, &pins);
            assert!(e.swarm.contains(&k), "seed {seed} {pins:?}: {e:?}");
            assert!(!e.pinned_off.contains(&k));
        }
    }
}

#[test]
fn a_kind_stays_on_while_part_of_it_is_left() {
    let b = base();
    let opts = GenOptions::default();
    let pins = set(&["primary_lan.loss=0"]);
    let seed = (0..100)
        .find(|&s| draw(&b, s, opts, &[]).0.contains(&Swarm::LanLoss))
        .expect("lan-loss drawn");
    let (drawn, sc) = draw(&b, seed, opts, &pins);
    let e = in_effect(&drawn, &sc, &pins);
    assert!(
        e.swarm.contains(&Swarm::LanLoss),
        "the secondary LAN still loses"
    );
}

#[test]
fn crash_kinds_count_only_while_the_fault_list_is_untouched() {
    let b = base();
    let opts = GenOptions::default();
    let crash = "faults=[{\"kind\": \"crash\", \"site\": \"primary\", \"subsystem\": 1, \
                 \"at\": \"10ms\", \"down_for\": \"5ms\"}]";
    let pins = set(&[crash]);
    let seed = (0..100)
        .find(|&s| draw(&b, s, opts, &[]).0.contains(&Swarm::PrimaryCrash))
        .expect("primary-crash drawn");
    let (drawn, sc) = draw(&b, seed, opts, &pins);
    let e = in_effect(&drawn, &sc, &pins);
    assert!(!e.swarm.contains(&Swarm::PrimaryCrash), "{e:?}");
    assert!(e.pinned_off.contains(&Swarm::PrimaryCrash), "{e:?}");
}

#[test]
fn what_a_set_touches() {
    let t = |arg: &str, field: &[&str]| touched(&set(&[arg]), field);
    assert!(t("faults=[]", &["faults"]));
    assert!(t("faults.0.at=1ms", &["faults"]));
    assert!(t("links={\"paths\": 2}", &["links", "loss"]));
    assert!(t("links.latency.sigma=1", &["links", "latency"]));
    assert!(!t("protocol.kind=sync", &["protocol", "clock"]));
    assert!(!t("links.bandwidth=1GB/s", &["links", "loss"]));
    let at = Override::DisasterAt(crate::scenario::units::Duration::from_us(5));
    assert!(touched(std::slice::from_ref(&at), &["faults"]));
    assert!(!touched(&[at], &["links", "loss"]));
}
