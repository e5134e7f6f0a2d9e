//! Reports: the series recorded during a run, the charts drawn from them (PNG and SVG), the
//! summary pages comparing protocols on one scenario, and parameter sweeps. They read only the
//! run's result and its recorded series.

pub mod series;
