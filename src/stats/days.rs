//! Days as the statistics count them: calendar days in WIB (UTC+7, which
//! Indonesia has kept without daylight saving since 1964), numbered from
//! 1970-01-01, and the buckets the counters are kept in (a year, a month or a
//! day). Any period of days is covered by a few dozen buckets
//! ([`cover`]): the days up to the first whole month, whole months up to the
//! first whole year, whole years, and the same on the way down.

use std::fmt;

use jiff::civil::Date;

/// WIB's offset from UTC.
pub const WIB_OFFSET_MS: i64 = 7 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The WIB day of an instant (Unix ms), as days since 1970-01-01.
pub fn wib_day(at_ms: i64) -> i64 {
    (at_ms + WIB_OFFSET_MS).div_euclid(DAY_MS)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
pub fn day_number(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (H. Hinnant's `civil_from_days`).
pub fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub fn date_number(d: Date) -> i64 {
    day_number(i64::from(d.year()), d.month() as u32, d.day() as u32)
}

/// The date of a day number; `None` outside jiff's range (years -9999..=9999).
pub fn number_date(n: i64) -> Option<Date> {
    let (y, m, d) = civil(n);
    Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()
}

/// A span of days the counters are kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    Year(i64),
    Month(i64, u32),
    Day(i64, u32, u32),
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Bucket::Year(y) => write!(f, "{y:04}"),
            Bucket::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            Bucket::Day(y, m, d) => write!(f, "{y:04}-{m:02}-{d:02}"),
        }
    }
}

/// The three buckets a day counts in.
pub fn buckets_of(day: i64) -> [Bucket; 3] {
    let (y, m, d) = civil(day);
    [Bucket::Day(y, m, d), Bucket::Month(y, m), Bucket::Year(y)]
}

/// The fewest buckets that cover the days `from..=to` exactly (none if
/// `from > to`).
pub fn cover(from: i64, to: i64) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        let (y, m, day) = civil(d);
        let next_year = day_number(y + 1, 1, 1);
        let next_month = if m == 12 {
            next_year
        } else {
            day_number(y, m + 1, 1)
        };
        if m == 1 && day == 1 && next_year - 1 <= to {
            out.push(Bucket::Year(y));
            d = next_year;
        } else if day == 1 && next_month - 1 <= to {
            out.push(Bucket::Month(y, m));
            d = next_month;
        } else {
            out.push(Bucket::Day(y, m, day));
            d += 1;
        }
    }
    out
}

/// The first day the counters can hold: nothing is counted before 1970.
pub const EPOCH: i64 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_agree_with_jiff() {
        let epoch = jiff::civil::date(1970, 1, 1);
        for n in (-800_000..800_000).step_by(997) {
            let date = epoch.checked_add(jiff::Span::new().days(n)).unwrap();
            assert_eq!(date_number(date), n, "{date}");
            assert_eq!(number_date(n), Some(date));
        }
    }

    #[test]
    fn a_wib_day_starts_at_17_utc() {
        // 2026-01-01 00:00 WIB = 2025-12-31 17:00 UTC = 1767200400000.
        let midnight = 1_767_200_400_000;
        assert_eq!(wib_day(midnight), day_number(2026, 1, 1));
        assert_eq!(wib_day(midnight - 1), day_number(2025, 12, 31));
        assert_eq!(wib_day(-WIB_OFFSET_MS), 0);
        assert_eq!(wib_day(-WIB_OFFSET_MS - 1), -1);
        assert_eq!(
            buckets_of(wib_day(midnight)).map(|b| b.to_string()),
            ["2026-01-01", "2026-01", "2026"]
        );
    }

    #[test]
    fn cover_uses_whole_months_and_years() {
        let d = |y, m, d| day_number(y, m, d);
        let names = |v: Vec<Bucket>| v.iter().map(|b| b.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(cover(d(2025, 12, 30), d(2026, 3, 2))),
            [
                "2025-12-30",
                "2025-12-31",
                "2026-01",
                "2026-02",
                "2026-03-01",
                "2026-03-02"
            ]
        );
        assert_eq!(
            names(cover(d(2024, 1, 1), d(2025, 2, 28))),
            ["2024", "2025-01", "2025-02"]
        );
        assert_eq!(names(cover(d(2024, 2, 29), d(2024, 2, 29))), ["2024-02-29"]);
        assert!(cover(d(2024, 3, 1), d(2024, 2, 29)).is_empty());
        // Every day of a long odd period is covered exactly once.
        let (from, to) = (d(2019, 11, 17), d(2026, 4, 3));
        let covered: i64 = cover(from, to)
            .iter()
            .map(|b| match *b {
                Bucket::Year(y) => d(y + 1, 1, 1) - d(y, 1, 1),
                Bucket::Month(y, m) => {
                    let next = if m == 12 {
                        d(y + 1, 1, 1)
                    } else {
                        d(y, m + 1, 1)
                    };
                    next - d(y, m, 1)
                }
                Bucket::Day(..) => 1,
            })
            .sum();
        assert_eq!(covered, to - from + 1);
        assert!(cover(from, to).len() < 40);
    }
}
