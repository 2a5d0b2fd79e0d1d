//! Which kinds of byte a piece of text holds, found in one pass.
//!
//! Every URL and text field the plugin reads or writes is checked for control
//! characters, spaces and the like. A byte at a time, in WebAssembly, that
//! check was the largest single cost of `parse-result`: 13 % of it, and six
//! times what the same loop costs natively (`docs/performance.md`,
//! "parse-result: byte scans, and what the component boundary costs").
//! Natively LLVM vectorises the plain loop at opt-level 3; the component is
//! built for size, where it does not. So when the WebAssembly build has
//! `simd128` (`.cargo/config.toml` turns it on) the scan reads 16 bytes per
//! step; everywhere else it is the plain loop, which the property tests below
//! compare with a byte-by-byte reading of the definitions, and
//! `host-test/harness/tests/exports.rs` compares the two builds through
//! `parse-result` and `build-order`.

/// The kinds of byte found. Each flag is about bytes, not characters: a
/// non-ASCII character is only `non_ascii`, so checks that care about
/// non-ASCII white space or controls decode characters when that is set.
// Four independent answers of one pass, not the states of a machine.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// A byte of 0x80 or above: the text is not all ASCII.
    pub(crate) non_ascii: bool,
    /// An ASCII control character: a byte below 0x20, or DEL (0x7f).
    pub(crate) control: bool,
    /// The ASCII space (0x20).
    pub(crate) space: bool,
    /// `?` or `#`, which start a URL's query or fragment.
    pub(crate) query_or_fragment: bool,
}

/// Scans `bytes` once for every kind in [`Found`].
pub(crate) fn scan(bytes: &[u8]) -> Found {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd128::scan(bytes)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        scalar(bytes)
    }
}

/// The plain loop: the definition of [`Found`], and the build everywhere
/// but WebAssembly with SIMD.
#[cfg_attr(all(target_arch = "wasm32", target_feature = "simd128"), allow(dead_code))]
fn scalar(bytes: &[u8]) -> Found {
    let mut found = Found::default();
    for &b in bytes {
        found.non_ascii |= b >= 0x80;
        found.control |= b < 0x20 || b == 0x7f;
        found.space |= b == b' ';
        found.query_or_fragment |= b == b'?' || b == b'#';
    }
    found
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use super::Found;
    use core::arch::wasm32::{
        i8x16_bitmask, i8x16_eq, i8x16_splat, u8x16_lt, u8x16_splat, u64x2, v128, v128_any_true, v128_or,
    };

    /// Bytes per step.
    const LANES: usize = 16;

    /// Four accumulators, one per kind; each lane is all ones where a byte
    /// of that kind was seen (non-ASCII is read from the top bits of the
    /// OR of every byte instead).
    struct Acc {
        all: v128,
        control: v128,
        space: v128,
        query: v128,
    }

    impl Acc {
        fn add(&mut self, v: v128) {
            self.all = v128_or(self.all, v);
            let control = v128_or(u8x16_lt(v, u8x16_splat(0x20)), i8x16_eq(v, i8x16_splat(0x7f)));
            self.control = v128_or(self.control, control);
            self.space = v128_or(self.space, i8x16_eq(v, u8x16_splat(b' ')));
            let query = v128_or(i8x16_eq(v, u8x16_splat(b'?')), i8x16_eq(v, u8x16_splat(b'#')));
            self.query = v128_or(self.query, query);
        }
    }

    /// The 16 bytes as one vector, without `unsafe`: two 8-byte loads
    /// (built from 16 bytes, LLVM would load them one lane at a time).
    fn load(c: &[u8; LANES]) -> v128 {
        let (lo, hi) = c.split_at(LANES / 2);
        let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or_default());
        u64x2(word(lo), word(hi))
    }

    pub(super) fn scan(bytes: &[u8]) -> Found {
        let zero = u8x16_splat(0);
        let mut acc = Acc { all: zero, control: zero, space: zero, query: zero };
        let (chunks, rest) = bytes.as_chunks::<LANES>();
        for c in chunks {
            acc.add(load(c));
        }
        if !rest.is_empty() {
            // The tail, padded with a byte of no kind ('a').
            let mut last = [b'a'; LANES];
            last[..rest.len()].copy_from_slice(rest);
            acc.add(load(&last));
        }
        Found {
            non_ascii: i8x16_bitmask(acc.all) != 0,
            control: v128_any_true(acc.control),
            space: v128_any_true(acc.space),
            query_or_fragment: v128_any_true(acc.query),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definitions, a byte at a time, written apart from [`scalar`].
    fn by_definition(bytes: &[u8]) -> Found {
        Found {
            non_ascii: !bytes.is_ascii(),
            control: bytes.iter().any(u8::is_ascii_control),
            space: bytes.contains(&b' '),
            query_or_fragment: bytes.iter().any(|b| b"?#".contains(b)),
        }
    }

    #[test]
    fn each_kind_is_found_alone_at_every_position() {
        for (byte, want) in [
            (0x80, Found { non_ascii: true, ..Found::default() }),
            (0xff, Found { non_ascii: true, ..Found::default() }),
            (0x00, Found { control: true, ..Found::default() }),
            (0x1f, Found { control: true, ..Found::default() }),
            (0x7f, Found { control: true, ..Found::default() }),
            (b' ', Found { space: true, ..Found::default() }),
            (b'?', Found { query_or_fragment: true, ..Found::default() }),
            (b'#', Found { query_or_fragment: true, ..Found::default() }),
        ] {
            for len in [1, 15, 16, 17, 33] {
                for at in 0..len {
                    let mut text = alloc::vec![b'x'; len];
                    text[at] = byte;
                    assert_eq!(scan(&text), want, "byte {byte:#x} at {at} of {len}");
                }
            }
        }
        assert_eq!(scan(b""), Found::default());
        assert_eq!(scan(b"https://x.io/a-b_c.d~e!$&'()*+,;=:@%20"), Found::default());
    }

    proptest! {
        #[test]
        fn agrees_with_the_definitions(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(scan(&bytes), by_definition(&bytes));
        }

        #[test]
        fn agrees_on_mostly_plain_text(bytes in proptest::collection::vec(prop_oneof![20 => b'a'..=b'z', 1 => any::<u8>()], 0..80)) {
            prop_assert_eq!(scan(&bytes), by_definition(&bytes));
        }
    }
}
