use std::collections::HashSet;
use std::path::Path;

use jiff::civil::{date, Date, DateTime, Weekday};
use proptest::prelude::*;

use super::*;

/// Unix ms of a local wall-clock time, e.g. `at("2026-03-13T17:00", Zone::Wib)`.
fn at(local: &str, zone: Zone) -> i64 {
    local
        .parse::<DateTime>()
        .unwrap()
        .to_zoned(zone.time_zone().clone())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

/// 23:59:59.999 local on `day`, computed independently of the calendar.
fn end_of(day: Date, zone: Zone) -> i64 {
    day.at(23, 59, 59, 999_000_000)
        .to_zoned(zone.time_zone().clone())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

fn cal() -> Calendar {
    Calendar::builtin()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The naive reference: the shipped files read straight from disk with plain
/// `toml`, and a weekday check, day by day.
struct Naive {
    holidays: HashSet<Date>,
}

impl Naive {
    fn shipped() -> Naive {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/holidays");
        let mut holidays = HashSet::new();
        for year in [2026, 2027] {
            let text = std::fs::read_to_string(dir.join(format!("{year}.toml"))).unwrap();
            let table: toml::Table = toml::from_str(&text).unwrap();
            for day in table["day"].as_array().unwrap() {
                let d = day["date"].as_datetime().unwrap().date.unwrap();
                holidays.insert(date(d.year as i16, d.month as i8, d.day as i8));
            }
        }
        Naive { holidays }
    }

    fn working(&self, d: Date) -> bool {
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.holidays.contains(&d)
    }

    fn between(&self, from: i64, to: i64, zone: Zone) -> u32 {
        let (mut d, last) = (zone.local_date(from).unwrap(), zone.local_date(to).unwrap());
        let mut count = 0;
        while d < last {
            d = d.tomorrow().unwrap();
            count += u32::from(self.working(d));
        }
        count
    }

    fn add(&self, from: i64, n: u32, zone: Zone) -> i64 {
        let mut d = zone.local_date(from).unwrap();
        if n == 0 && self.working(d) {
            return end_of(d, zone);
        }
        let mut count = 0;
        while count < n.max(1) {
            d = d.tomorrow().unwrap();
            count += u32::from(self.working(d));
        }
        end_of(d, zone)
    }
}

#[test]
fn builtin_loads_2026_and_2027_with_every_listed_day() {
    let c = cal();
    assert_eq!(c.years(), 2026..=2027);
    let count = |y: i16| c.holidays().filter(|h| h.date.year() == y).count();
    // 2026: 17 libur nasional + 8 cuti bersama; 2027: 18 + 8 (the files' headers).
    assert_eq!(count(2026), 25);
    assert_eq!(count(2027), 26);
    let kind = |y: i16, k: HolidayKind| {
        c.holidays()
            .filter(|h| h.date.year() == y && h.kind == k)
            .count()
    };
    assert_eq!(kind(2026, HolidayKind::CutiBersama), 8);
    assert_eq!(kind(2027, HolidayKind::LiburNasional), 18);
    assert_eq!(
        c.decree(2026),
        Some("SKB No. 1497/2025, No. 2/2025, No. 5/2025")
    );
    assert_eq!(
        c.holiday(date(2026, 8, 17)).unwrap().origin,
        "builtin config/holidays/2026.toml"
    );
}

#[test]
fn every_shipped_file_is_embedded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/holidays");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("config/holidays/{n}"))
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = BUILTIN_HOLIDAYS
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(on_disk, embedded, "list new files in BUILTIN_HOLIDAYS");
}

#[test]
fn known_2026_days() {
    let c = cal();
    for (d, kind) in [
        (date(2026, 3, 18), HolidayKind::CutiBersama), // Wed, Nyepi
        (date(2026, 3, 19), HolidayKind::LiburNasional), // Thu, Nyepi
        (date(2026, 3, 20), HolidayKind::CutiBersama), // Fri, Idulfitri
        (date(2026, 3, 23), HolidayKind::CutiBersama), // Mon, Idulfitri
        (date(2026, 3, 24), HolidayKind::CutiBersama), // Tue, Idulfitri
        (date(2026, 12, 25), HolidayKind::LiburNasional),
    ] {
        assert!(!c.is_working_day(d).unwrap(), "{d}");
        assert_eq!(c.holiday(d).unwrap().kind, kind, "{d}");
    }
    assert!(c.holiday(date(2026, 3, 17)).is_none());
    // The reference note: from 16 to 27 March only 16, 17, 25, 26, 27 are working days.
    let working: Vec<i8> = (16..=27)
        .filter(|&d| c.is_working_day(date(2026, 3, d)).unwrap())
        .collect();
    assert_eq!(working, [16, 17, 25, 26, 27]);
}

#[test]
fn three_working_days_after_friday_13_march_2026() {
    // Received Friday 2026-03-13 17:00 WIB. The day of receipt does not count.
    // Sat 14, Sun 15: weekend. Mon 16: 1. Tue 17: 2. Wed 18 (cuti bersama Nyepi),
    // Thu 19 (Nyepi), Fri 20 (cuti bersama Idulfitri), Sat 21 / Sun 22 (Idulfitri, on
    // a weekend), Mon 23 / Tue 24 (cuti bersama Idulfitri): none. Wed 25: 3.
    // Deadline: Wednesday 2026-03-25 23:59:59.999 WIB = 16:59:59.999 UTC.
    let c = cal();
    let from = at("2026-03-13T17:00", Zone::Wib);
    let due = c.add_working_days(from, 3, Zone::Wib).unwrap();
    assert_eq!(due, at("2026-03-25T23:59:59.999", Zone::Wib));
    assert_eq!(
        jiff::Timestamp::from_millisecond(due).unwrap().to_string(),
        "2026-03-25T16:59:59.999Z"
    );
    assert_eq!(c.working_days_between(from, due, Zone::Wib).unwrap(), 3);
    // One millisecond later the deadline has passed and the count is unchanged
    // until the next day: Thursday 26 is the 4th.
    assert_eq!(c.working_days_between(from, due + 1, Zone::Wib).unwrap(), 4);
}

#[test]
fn a_holiday_on_a_weekend_counts_once() {
    let c = cal();
    // Fri 29 May 2026 to Mon 8 June: Sat 30, Sun 31 (Waisak, already a weekend day),
    // Mon 1 June (Pancasila), Tue 2 to Fri 5: 4, Mon 8: 5. Subtracting Waisak again
    // from the weekdays would give 4.
    let from = at("2026-05-29T12:00", Zone::Wib);
    let to = at("2026-06-08T12:00", Zone::Wib);
    assert_eq!(c.working_days_between(from, to, Zone::Wib).unwrap(), 5);
    assert!(c.holiday(date(2026, 5, 31)).is_some());

    // A test-only year: Saturday 5 January 2030 and Wednesday 9 January are holidays.
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "2030.toml",
        r#"
year = 2030
[[day]]
date = 2030-01-05
kind = "libur_nasional"
name = "Test Saturday"
[[day]]
date = 2030-01-09
kind = "cuti_bersama"
name = "Test Wednesday"
"#,
    );
    let c = Calendar::load(&[file]).unwrap();
    assert_eq!(c.years(), 2030..=2030);
    assert_eq!(date(2030, 1, 5).weekday(), Weekday::Saturday);
    // Fri 4 to Fri 11: Sat 5, Sun 6, Mon 7 (1), Tue 8 (2), Wed 9 holiday, Thu 10 (3), Fri 11 (4).
    let from = at("2030-01-04T09:00", Zone::Wita);
    let to = at("2030-01-11T09:00", Zone::Wita);
    assert_eq!(c.working_days_between(from, to, Zone::Wita).unwrap(), 4);
    assert_eq!(
        c.add_working_days(from, 4, Zone::Wita).unwrap(),
        end_of(date(2030, 1, 11), Zone::Wita)
    );
}

#[test]
fn the_same_instant_falls_on_different_days_in_different_zones() {
    let c = cal();
    // Friday 9 January 2026 23:30 WIB is Saturday 01:30 WIT (and 00:30 WITA).
    let friday_night = at("2026-01-09T23:30", Zone::Wib);
    assert_eq!(friday_night, at("2026-01-10T01:30", Zone::Wit));
    assert_eq!(friday_night, at("2026-01-10T00:30", Zone::Wita));
    assert_eq!(
        Zone::Wit.local_date(friday_night).unwrap(),
        date(2026, 1, 10)
    );

    // n = 0: Friday is a working day in WIB, Saturday is not in WIT.
    assert_eq!(
        c.add_working_days(friday_night, 0, Zone::Wib).unwrap(),
        end_of(date(2026, 1, 9), Zone::Wib)
    );
    assert_eq!(
        c.add_working_days(friday_night, 0, Zone::Wit).unwrap(),
        end_of(date(2026, 1, 12), Zone::Wit)
    );
    // n = 1 from Thursday 23:30 WIB: Friday in WIB, but Monday in WIT and WITA,
    // where the report arrived on Friday.
    let thursday_night = at("2026-01-08T23:30", Zone::Wib);
    assert_eq!(
        c.add_working_days(thursday_night, 1, Zone::Wib).unwrap(),
        end_of(date(2026, 1, 9), Zone::Wib)
    );
    for zone in [Zone::Wita, Zone::Wit] {
        assert_eq!(
            c.add_working_days(thursday_night, 1, zone).unwrap(),
            end_of(date(2026, 1, 12), zone)
        );
    }
    // Counting back: by Friday noon one working day has passed in WIB, none in WIT.
    let friday_noon = at("2026-01-09T12:00", Zone::Wib);
    assert_eq!(
        c.working_days_between(thursday_night, friday_noon, Zone::Wib)
            .unwrap(),
        1
    );
    assert_eq!(
        c.working_days_between(thursday_night, friday_noon, Zone::Wit)
            .unwrap(),
        0
    );
}

#[test]
fn zone_names() {
    for (s, z) in [
        ("WIB", Zone::Wib),
        ("wita", Zone::Wita),
        (" WIT ", Zone::Wit),
        ("Asia/Jakarta", Zone::Wib),
        ("Asia/Makassar", Zone::Wita),
        ("asia/jayapura", Zone::Wit),
    ] {
        assert_eq!(s.parse::<Zone>().unwrap(), z, "{s}");
    }
    for bad in ["", "UTC", "Asia/Singapore", "WITT"] {
        assert_eq!(bad.parse::<Zone>(), Err(UnknownZone(bad.to_string())));
    }
    assert_eq!(Zone::default(), Zone::Wib);
    for z in Zone::ALL {
        assert_eq!(z.iana().parse::<Zone>().unwrap(), z);
        assert_eq!(z.to_string().parse::<Zone>().unwrap(), z);
        assert_eq!(z.time_zone().iana_name(), Some(z.iana()));
    }
}

#[test]
fn days_outside_the_covered_years_are_errors() {
    let c = cal();
    fn not<T>(year: i16) -> Result<T, CalendarError> {
        Err(CalendarError::NotCovered { year })
    }
    assert_eq!(c.is_working_day(date(2025, 12, 31)), not(2025));
    assert_eq!(c.is_working_day(date(2028, 1, 3)), not(2028));
    // 2027-12-29 is a Wednesday; Thu 30 and Fri 31 are working days, then 2028.
    let wed = at("2027-12-29T10:00", Zone::Wib);
    assert_eq!(
        c.add_working_days(wed, 2, Zone::Wib),
        Ok(end_of(date(2027, 12, 31), Zone::Wib))
    );
    assert_eq!(c.add_working_days(wed, 3, Zone::Wib), not(2028));
    assert_eq!(
        c.add_working_days(at("2027-12-20T10:00", Zone::Wit), 30, Zone::Wit),
        not(2028)
    );
    assert_eq!(
        c.add_working_days(at("2029-06-01T10:00", Zone::Wib), 1, Zone::Wib),
        not(2029)
    );
    assert_eq!(
        c.working_days_between(wed, at("2028-01-10T10:00", Zone::Wib), Zone::Wib),
        not(2028)
    );
    // Only the days a computation looks at must be covered: from 31 December 2025,
    // the counted days are 1 January (holiday), Fri 2 (1) and Mon 5 January (2).
    let eve = at("2025-12-31T12:00", Zone::Wib);
    assert_eq!(
        c.working_days_between(eve, at("2026-01-05T12:00", Zone::Wib), Zone::Wib),
        Ok(2)
    );
    assert_eq!(
        c.add_working_days(eve, 1, Zone::Wib),
        Ok(end_of(date(2026, 1, 2), Zone::Wib))
    );
    // n = 0 looks at the day of receipt itself.
    assert_eq!(c.add_working_days(eve, 0, Zone::Wib), not(2025));
    assert_eq!(
        c.working_days_between(
            at("2025-12-30T12:00", Zone::Wib),
            at("2026-01-05T12:00", Zone::Wib),
            Zone::Wib
        ),
        not(2025)
    );
    // Backwards or same-day spans count nothing, covered or not.
    assert_eq!(
        c.working_days_between(at("2030-01-01T00:00", Zone::Wib), eve, Zone::Wib),
        Ok(0)
    );
    assert_eq!(
        c.add_working_days(i64::MAX, 1, Zone::Wib),
        Err(CalendarError::InvalidTimestamp(i64::MAX))
    );
}

#[test]
fn bad_operator_files_name_the_file_and_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.toml",
        r#"
year = 2026
[[day]]
date = "2026-13-01"
kind = "libur_nasional"
name = "Bad month"
[[day]]
date = 2026-04-10
kind = "libur"
name = "Unknown kind"
[[day]]
date = 2026-04-13
kind = "cuti_bersama"
name = "First"
[[day]]
date = 2026-04-13
kind = "cuti_bersama"
name = "Again"
[[day]]
date = 2025-04-14
kind = "cuti_bersama"
name = "Wrong year"
[[day]]
date = 2026-04-15
kind = "cuti_bersama"
name = " "
"#,
    );
    let problems = Calendar::load(&["builtin".to_string(), bad.clone()]).unwrap_err();
    assert_eq!(problems.len(), 5, "{problems:#?}");
    assert!(
        problems.iter().all(|p| p.starts_with(&bad)),
        "{problems:#?}"
    );
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(has("#1 (date \"2026-13-01\"): not a date"), "{problems:#?}");
    assert!(
        has("#2 (date 2026-04-10): unknown kind \"libur\""),
        "{problems:#?}"
    );
    assert!(has("#4 (date 2026-04-13): listed twice"), "{problems:#?}");
    assert!(
        has("#5 (date 2025-04-14): not in the file's year 2026"),
        "{problems:#?}"
    );
    assert!(has("#6 (date 2026-04-15): has no name"), "{problems:#?}");

    // TOML itself rejects 30 February; the problem still names the file.
    let feb = write(
        dir.path(),
        "feb.toml",
        "year = 2026\n[[day]]\ndate = 2026-02-30\nkind = \"cuti_bersama\"\nname = \"x\"\n",
    );
    let problems = Calendar::load(std::slice::from_ref(&feb)).unwrap_err();
    assert!(
        problems.len() == 1 && problems[0].starts_with(&feb),
        "{problems:#?}"
    );

    let unknown_field = write(dir.path(), "field.toml", "year = 2026\nyaer = 2027\n");
    let problems = Calendar::load(std::slice::from_ref(&unknown_field)).unwrap_err();
    assert!(problems[0].starts_with(&unknown_field) && problems[0].contains("yaer"));

    let missing = dir
        .path()
        .join("missing.toml")
        .to_str()
        .unwrap()
        .to_string();
    let problems = Calendar::load(&["builtin".to_string(), missing.clone()]).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].starts_with(&missing), "{problems:#?}");

    // A gap between covered years.
    let y2029 = write(dir.path(), "2029.toml", "year = 2029\n");
    let problems = Calendar::load(&["builtin".to_string(), y2029]).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("no file for 2028"), "{problems:#?}");

    assert!(!Calendar::load(&[]).unwrap_err().is_empty());
}

#[test]
fn later_files_add_to_a_year_or_replace_it() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = "builtin".to_string();
    // Adding: one more day off, and a restated day takes the later name and kind.
    let add = write(
        dir.path(),
        "add.toml",
        r#"
year = 2026
[[day]]
date = "2026-03-26"
kind = "cuti_bersama"
name = "Tambahan"
[[day]]
date = 2026-03-19
kind = "cuti_bersama"
name = "Renamed"
"#,
    );
    let c = Calendar::load(&[builtin.clone(), add.clone()]).unwrap();
    assert!(!c.is_working_day(date(2026, 3, 26)).unwrap());
    assert!(!c.is_working_day(date(2026, 3, 18)).unwrap());
    let h = c.holiday(date(2026, 3, 19)).unwrap();
    assert_eq!(
        (h.name.as_str(), h.kind, h.origin.as_str()),
        ("Renamed", HolidayKind::CutiBersama, add.as_str())
    );
    assert_eq!(c.holidays().count(), 25 + 26 + 1);
    assert_eq!(
        c.decree(2026),
        Some("SKB No. 1497/2025, No. 2/2025, No. 5/2025")
    );

    // Replacing: the year's list is this file's alone.
    let replace = write(
        dir.path(),
        "replace.toml",
        "year = 2026\ndecree = \"Revised\"\nreplace = true\n[[day]]\ndate = 2026-01-02\nkind = \"cuti_bersama\"\nname = \"Only\"\n",
    );
    let c = Calendar::load(&[builtin.clone(), replace]).unwrap();
    assert!(c.is_working_day(date(2026, 3, 19)).unwrap());
    assert!(!c.is_working_day(date(2026, 1, 2)).unwrap());
    assert_eq!(c.holidays().filter(|h| h.date.year() == 2026).count(), 1);
    assert_eq!(c.holidays().filter(|h| h.date.year() == 2027).count(), 26);
    assert_eq!(c.decree(2026), Some("Revised"));

    // A new year extends the coverage.
    let y2028 = write(
        dir.path(),
        "2028.toml",
        "year = 2028\n[[day]]\ndate = 2028-01-03\nkind = \"libur_nasional\"\nname = \"x\"\n",
    );
    let c = Calendar::load(&[builtin, y2028]).unwrap();
    assert_eq!(c.years(), 2026..=2028);
    assert!(!c.is_working_day(date(2028, 1, 3)).unwrap());
    assert!(c.is_working_day(date(2028, 1, 4)).unwrap());
}

#[test]
fn is_working_day_agrees_with_the_naive_reference_every_day() {
    let (c, naive) = (cal(), Naive::shipped());
    let mut d = date(2026, 1, 1);
    let mut days = 0;
    while d.year() <= 2027 {
        assert_eq!(c.is_working_day(d).unwrap(), naive.working(d), "{d}");
        d = d.tomorrow().unwrap();
        days += 1;
    }
    assert_eq!(days, 730);
}

fn zone() -> impl Strategy<Value = Zone> {
    prop_oneof![Just(Zone::Wib), Just(Zone::Wita), Just(Zone::Wit)]
}

/// Instants from the start of 2026 (in every zone) to late December 2026.
fn instant_2026() -> impl Strategy<Value = i64> {
    at("2026-01-01T00:00", Zone::Wib)..at("2026-12-31T12:00", Zone::Wib)
}

proptest! {
    #[test]
    fn add_then_count_back_gives_n(from in instant_2026(), n in 0u32..=60, tz in zone()) {
        let c = cal();
        let due = c.add_working_days(from, n, tz).unwrap();
        prop_assert_eq!(due, Naive::shipped().add(from, n, tz));
        prop_assert!(due > from);
        // The deadline is the last millisecond of a working day.
        let day = tz.local_date(due).unwrap();
        prop_assert!(c.is_working_day(day).unwrap());
        prop_assert_eq!(due, end_of(day, tz));
        let from_working = c.is_working_day(tz.local_date(from).unwrap()).unwrap();
        let back = c.working_days_between(from, due, tz).unwrap();
        if n >= 1 {
            prop_assert_eq!(back, n);
            prop_assert!(c.add_working_days(from, n + 1, tz).unwrap() > due);
        } else {
            // n = 0: the end of today if it is a working day (nothing elapsed),
            // else the same as n = 1 (the next working day, which is counted).
            prop_assert_eq!(back, u32::from(!from_working));
            let one = c.add_working_days(from, 1, tz).unwrap();
            prop_assert_eq!(due == one, !from_working);
            prop_assert!(due <= one);
        }
    }

    #[test]
    fn count_agrees_with_the_naive_loop(
        a in at("2026-01-01T00:00", Zone::Wib)..at("2027-12-31T12:00", Zone::Wib),
        b in at("2026-01-01T00:00", Zone::Wib)..at("2027-12-31T12:00", Zone::Wib),
        tz in zone(),
    ) {
        let c = cal();
        prop_assert_eq!(c.working_days_between(a, b, tz).unwrap(), Naive::shipped().between(a, b, tz));
    }

    #[test]
    fn local_day_matches_jiff(ms in -2_000_000_000_000i64..4_000_000_000_000, tz in zone()) {
        let day = tz.local_epoch_day(ms).unwrap();
        let expected = date(1970, 1, 1)
            .until((Unit::Day, tz.local_date(ms).unwrap()))
            .unwrap()
            .get_days();
        prop_assert_eq!(day, i64::from(expected));
    }
}
