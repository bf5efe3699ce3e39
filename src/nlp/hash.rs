//! Fixed 64-bit hashing: the same value on every run and machine (std's hasher is seeded
//! per process), so models and fingerprints are deterministic and can be stored.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a of `bytes`, continuing from `h` (start with [`fnv_start`]).
pub(crate) fn fnv(h: u64, bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(h, |h, b| (h ^ b as u64).wrapping_mul(FNV_PRIME))
}

/// The FNV-1a start, after a tag byte so that different kinds of key never collide.
pub(crate) fn fnv_start(tag: u8) -> u64 {
    fnv(FNV_OFFSET, [tag])
}

/// SplitMix64's finaliser: spreads the bits of `z` over the whole word.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
