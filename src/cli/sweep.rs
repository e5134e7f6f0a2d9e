//! `rcsim sweep`.

use super::SweepArgs;

pub(super) fn run(_args: &SweepArgs) -> u8 {
    2
}
