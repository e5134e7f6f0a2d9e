//! Parameter sweeps.
