//! Stateless, seeded randomness.
//!
//! Every generated value is a pure function of `(seed, stream, index)`, so any page of any data set can
//! be produced on its own, in any order, in O(1) memory, and two emulators with the same seed serve the
//! same bytes. The mixer is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014): one multiply-xorshift finaliser per value, with good avalanche, which is all
//! test data needs and far cheaper than a cryptographic hash.

/// The SplitMix64 finaliser: a bijective mix of all 64 input bits.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random 64-bit value for item `index` of stream `stream` under `seed`.
#[inline]
pub fn hash3(seed: u64, stream: u64, index: u64) -> u64 {
    mix64(seed ^ mix64(stream.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ index))
}

/// A uniform value in `0..n` (n > 0), by Lemire's multiply-shift reduction (no division, negligible bias
/// for the small ranges used here).
#[inline]
pub fn below(random: u64, n: u64) -> u64 {
    ((u128::from(random) * u128::from(n)) >> 64) as u64
}

/// A uniform double in `[0, 1)` from the top 53 bits.
#[inline]
pub fn unit_f64(random: u64) -> f64 {
    (random >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A small sequential generator for the few places that draw a sequence rather than index a stream
/// (fault probabilities, incident ids).
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence `seed` decides.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next value of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }
}

/// Formats 128 random bits as a lower-case RFC 4122 version-4 GUID, the form ThoughtSpot uses for ids.
pub fn guid(high: u64, low: u64) -> String {
    let high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xFFFF,
        high & 0xFFFF,
        low >> 48,
        low & 0xFFFF_FFFF_FFFF
    )
}

/// A stable GUID for a named fixture object, so ids stay the same across seeds and releases and can be
/// written in docs and tests.
pub fn named_guid(name: &str) -> String {
    // FNV-1a over the name, then mixed twice: stable, dependency-free and well spread.
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    guid(mix64(h), mix64(h ^ 0x5555_5555_5555_5555))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_has_the_canonical_shape() {
        let g = named_guid("Retail Sales");
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        assert!(matches!(&g[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(g, named_guid("Retail Sales"));
        assert_ne!(g, named_guid("Stores"));
    }

    #[test]
    fn below_stays_in_range() {
        for i in 0..10_000 {
            assert!(below(hash3(1, 2, i), 7) < 7);
        }
    }
}
