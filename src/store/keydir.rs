//! The SQLite store's deduplication lookup, kept in memory.
//!
//! Deduplication keys are keyed HMACs of channel message ids, so they are
//! random: a B-tree over them puts every new key on a different page, and
//! SQLite writes each touched page whole, at every commit, to the WAL and again
//! at the checkpoint. Measured on the ingest benchmark, that index alone took
//! 27% of the single writer's throughput (the same build indexing plain,
//! sequential message ids lost almost nothing). So on SQLite, `message_keys` is
//! an append-only table in insertion order (its rows land on the last page) and
//! the lookup lives here: a map from a 64-bit hash of each key to the report
//! that holds it, about 30 bytes a report.
//!
//! It is exact, and safe with more than one process on the file: every intake
//! transaction takes SQLite's write lock (`BEGIN IMMEDIATE`) and first reads
//! the rows appended since the map last saw the table (normally none), so no
//! key committed by anyone is missed; a hash hit is confirmed against the
//! stored key before a message is called a repeat. Rows are only ever
//! appended, under ids never reused (AUTOINCREMENT); the one rewrite of keys (sealing a store written before identity
//! protection) runs at start, before the daemon takes reports.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

#[derive(Default)]
pub(crate) struct KeyDir {
    /// Whether the whole table has been read once.
    pub loaded: bool,
    /// The highest `message_keys.id` seen.
    pub seen: i64,
    /// Hash of (channel, key) → the report holding it.
    first: HashMap<u64, i64>,
    /// Further reports whose keys share a hash (rare: different keys, equal
    /// 64-bit hashes).
    more: HashMap<u64, Vec<i64>>,
}

impl KeyDir {
    /// The hash a (channel, key) is filed under (SipHash).
    pub fn hash(channel: &str, key: &[u8]) -> u64 {
        let mut h = BuildHasherDefault::<DefaultHasher>::default().build_hasher();
        std::hash::Hash::hash(channel, &mut h);
        std::hash::Hash::hash(key, &mut h);
        std::hash::Hasher::finish(&h)
    }

    /// Files a stored key (row `id` of `message_keys`).
    pub fn add(&mut self, id: i64, hash: u64, report_id: i64) {
        self.seen = self.seen.max(id);
        if let Some(old) = self.first.insert(hash, report_id) {
            if old != report_id {
                self.first.insert(hash, old);
                self.more.entry(hash).or_default().push(report_id);
            }
        }
    }

    /// The reports whose keys hash to `hash`: candidates, to be confirmed
    /// against the stored key.
    pub fn holders(&self, hash: u64) -> impl Iterator<Item = i64> + '_ {
        self.first
            .get(&hash)
            .copied()
            .into_iter()
            .chain(self.more.get(&hash).into_iter().flatten().copied())
    }

    pub fn len(&self) -> usize {
        self.first.len() + self.more.values().map(Vec::len).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sharing_a_hash_are_all_candidates() {
        let mut d = KeyDir::default();
        d.add(1, 42, 100);
        d.add(2, 42, 200);
        d.add(3, 7, 300);
        d.add(3, 7, 300); // the same row read twice changes nothing
        assert_eq!(d.holders(42).collect::<Vec<_>>(), vec![100, 200]);
        assert_eq!(d.holders(7).collect::<Vec<_>>(), vec![300]);
        assert_eq!(d.holders(8).count(), 0);
        assert_eq!(d.seen, 3);
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn the_hash_separates_channels_and_is_stable() {
        assert_ne!(KeyDir::hash("sms", b"k"), KeyDir::hash("webhook", b"k"));
        assert_eq!(KeyDir::hash("sms", b"k"), KeyDir::hash("sms", b"k"));
    }
}
