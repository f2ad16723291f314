//! The fuzz target's seed files (tests/fuzz/seeds) are valid instruments, so the fuzzer starts from
//! inputs that reach the validator's deeper checks, not only the TOML reader.

use super::*;

#[test]
fn the_fuzz_seeds_are_valid_instruments() {
    for (name, source) in [
        (
            "small.toml",
            include_str!("../../../tests/fuzz/seeds/instrument/small.toml"),
        ),
        (
            "grid.toml",
            include_str!("../../../tests/fuzz/seeds/instrument/grid.toml"),
        ),
    ] {
        let parsed = parse_toml(source);
        assert!(parsed.is_ok(), "{name}: {:?}", parsed.err());
    }
}
