//! Histograms of working days, from which medians are exact: a count per
//! whole number of working days. Stored as text, `"wd:n,wd:n"` in ascending
//! `wd` (`"0:3,2:1"`: three at 0 working days, one at 2), so that one counter
//! row carries a bucket's whole distribution and an operator can read it.

use std::collections::BTreeMap;

/// Working days → how many.
pub type Hist = BTreeMap<i64, i64>;

pub fn encode(h: &Hist) -> String {
    let mut s = String::new();
    for (wd, n) in h.iter().filter(|(_, &n)| n != 0) {
        if !s.is_empty() {
            s.push(',');
        }
        s.push_str(&wd.to_string());
        s.push(':');
        s.push_str(&n.to_string());
    }
    s
}

/// Adds an encoded histogram into `h` (a `wd` may appear more than once, as
/// in several histograms joined with commas). A by-agency table parses a
/// few megabytes of these, so small `wd` are summed in an array first.
pub fn add_encoded(h: &mut Hist, s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    let mut small = [0i64; 128];
    for pair in s.split(',') {
        let (wd, n) = pair
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)))
            .ok_or_else(|| format!("bad histogram entry {pair:?}"))?;
        match usize::try_from(wd) {
            Ok(i) if i < small.len() => small[i] += n,
            _ => *h.entry(wd).or_insert(0) += n,
        }
    }
    for (wd, &n) in small.iter().enumerate() {
        if n != 0 {
            *h.entry(wd as i64).or_insert(0) += n;
        }
    }
    Ok(())
}

pub fn add(h: &mut Hist, other: &Hist) {
    for (&wd, &n) in other {
        *h.entry(wd).or_insert(0) += n;
    }
}

/// The median: the middle value, or the mean of the two middle values of an
/// even count; `None` when empty.
pub fn median(h: &Hist) -> Option<f64> {
    let total: i64 = h.values().sum();
    if total <= 0 {
        return None;
    }
    // 0-based ranks of the lower and upper middle.
    let (lo_rank, hi_rank) = ((total - 1) / 2, total / 2);
    let (mut lo, mut seen) = (None, 0);
    for (&wd, &n) in h {
        seen += n;
        if lo.is_none() && seen > lo_rank {
            lo = Some(wd);
        }
        if seen > hi_rank {
            return Some((lo.unwrap_or(wd) + wd) as f64 / 2.0);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[i64]) -> Hist {
        let mut h = Hist::new();
        for &v in values {
            *h.entry(v).or_insert(0) += 1;
        }
        h
    }

    #[test]
    fn round_trips_and_merges() {
        let h = of(&[3, 0, 0, 12, 3, 3]);
        assert_eq!(encode(&h), "0:2,3:3,12:1");
        let mut back = Hist::new();
        add_encoded(&mut back, "0:2,3:3,12:1").unwrap();
        add_encoded(&mut back, "").unwrap();
        add_encoded(&mut back, "3:1,40:2").unwrap();
        assert_eq!(encode(&back), "0:2,3:4,12:1,40:2");
        // Joined histograms repeat keys.
        let mut joined = Hist::new();
        add_encoded(&mut joined, "1:2,5:1,1:3,0:1,200:1,-1:2,200:4").unwrap();
        assert_eq!(encode(&joined), "-1:2,0:1,1:5,5:1,200:5");
        assert!(add_encoded(&mut back, "3").is_err());
        assert!(add_encoded(&mut back, "a:1").is_err());
        assert_eq!(encode(&Hist::new()), "");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&of(&[])), None);
        assert_eq!(median(&of(&[7])), Some(7.0));
        assert_eq!(median(&of(&[1, 2])), Some(1.5));
        assert_eq!(median(&of(&[5, 1, 9])), Some(5.0));
        assert_eq!(median(&of(&[0, 0, 4, 10])), Some(2.0));
        assert_eq!(median(&of(&[2, 2, 2, 3])), Some(2.0));
        // Against sorting, for many small multisets.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 1..60 {
            let mut v: Vec<i64> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % 9) as i64
                })
                .collect();
            let h = of(&v);
            v.sort();
            let n = v.len();
            let want = (v[(n - 1) / 2] + v[n / 2]) as f64 / 2.0;
            assert_eq!(median(&h), Some(want), "{v:?}");
        }
    }
}
