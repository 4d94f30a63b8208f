//! A fast hasher for maps keyed by `ExprId` and `Symbol` (small integers):
//! the evaluator looks such keys up at every node, where SipHash's defence
//! against chosen keys costs time and buys nothing (the keys are our own ids).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map keyed by ids, hashed by one multiplication per word.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Multiply-and-rotate hashing (as rustc's FxHasher): good enough spread for
/// dense integer ids, and hashbrown takes the top bits.
#[derive(Default, Clone, Copy)]
pub struct IdHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::ExprId;

    #[test]
    fn ids_hash_apart_and_maps_work() {
        let mut map: IdMap<ExprId, u32> = IdMap::default();
        for k in 0..1000u32 {
            map.insert(ExprId(k), k * 2);
        }
        assert_eq!(map.get(&ExprId(7)), Some(&14));
        assert_eq!(map.get(&ExprId(999)), Some(&1998));
        assert_eq!(map.get(&ExprId(1000)), None);
        let hash = |k: u32| {
            let mut h = IdHasher::default();
            h.write_u32(k);
            h.finish()
        };
        assert_ne!(hash(1), hash(2));
    }
}
