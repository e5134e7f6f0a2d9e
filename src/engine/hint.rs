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

/// Starts loading every cache line of `*p` (a value of up to two lines), as [`prefetch`].
#[inline(always)]
pub fn prefetch_value<T>(p: *const T) {
    prefetch(p);
    prefetch(
        p.cast::<u8>()
            .wrapping_add(std::mem::size_of::<T>().saturating_sub(1)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

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
