//! Memory hints: asking the processor to start loading a line the simulation is about to touch.
//! A hint changes no value and no order, only when a load waits: results never depend on it.

/// Starts loading the cache line holding `p` into every cache level. Never faults, whatever `p`
/// is (a hint on an address that is not mapped is dropped); a no-op where the processor has no
/// such instruction.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch reads nothing the program
        // sees and never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The cache line size the hints assume (x86_64's).
const LINE: usize = 64;

/// Starts loading every cache line `*p` touches, as [`prefetch`] (two for a peer record or a
/// segment that straddles a line, three for one of more than 64 bytes that straddles two).
#[inline(always)]
pub fn prefetch_value<T>(p: *const T) {
    let base = p.cast::<u8>();
    let (offset, lines) = span(base as usize, std::mem::size_of::<T>());
    let first = base.wrapping_sub(offset);
    for line in 0..lines {
        prefetch(first.wrapping_add(line * LINE));
    }
}

/// For `size` bytes at address `addr`: how far `addr` is into its cache line, and how many lines
/// the bytes touch (at least one, so a hint for a zero-sized value still names its line).
#[inline(always)]
fn span(addr: usize, size: usize) -> (usize, usize) {
    let offset = addr % LINE;
    (offset, (offset + size).div_ceil(LINE).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_hinted_line_by_line() {
        assert_eq!(span(0, 64), (0, 1));
        assert_eq!(span(128, 0), (0, 1));
        assert_eq!(span(8, 56), (8, 1));
        assert_eq!(span(8, 57), (8, 2));
        assert_eq!(span(64 + 60, 72), (60, 3));
        assert_eq!(span(16, 72), (16, 2));
    }

    #[test]
    fn a_hint_on_any_address_changes_nothing() {
        let v = [1u64, 2, 3];
        prefetch(v.as_ptr());
        prefetch_value(&v);
        prefetch(std::ptr::null::<u64>());
        prefetch(usize::MAX as *const u8);
        assert_eq!(v, [1, 2, 3]);
    }
}
