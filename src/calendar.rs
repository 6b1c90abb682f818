//! The working-day calendar behind SP4N deadlines.
//!
//! Complaint handling is timed in working days: verify within 3 working days of
//! receipt, follow up within 5/14/30 working days of forwarding, close 10
//! working days after an agency's last response. A working day is Monday to
//! Friday that is neither a national holiday (libur nasional) nor collective
//! leave (cuti bersama); the days off come from the yearly joint decree, shipped
//! as `config/holidays/<year>.toml` and embedded in the binary ("builtin"), and
//! operators add later years (or corrections) as files of the same layout:
//!
//! ```toml
//! year = 2028
//! decree = "SKB No. ..."          # optional, informational
//! replace = false                 # optional: see below
//! [[day]]
//! date = 2028-01-01               # a TOML date, or the string "2028-01-01"
//! kind = "libur_nasional"         # or "cuti_bersama"
//! name = "Tahun Baru 2028 Masehi"
//! ```
//!
//! Files are applied in the order given. A later file for a year that is
//! already loaded **adds** its days to that year (a date listed again takes the
//! later file's kind and name, so a shipped update that repeats an operator's
//! day is harmless); with `replace = true` it **replaces** that year's whole
//! list instead, which is the only way to drop a day (say, an Islamic holiday
//! moved by the sidang isbat). Every year from the first to the last loaded must
//! have a file; a deadline that needs a day outside those years is an error
//! ([`CalendarError::NotCovered`]), never counted as weekends only.
//!
//! Days are those of the agency's time zone ([`Zone`]). For statistics over
//! millions of reports, [`Calendar::working_days_between`] is O(1) and
//! [`Calendar::add_working_days`] O(log n): both read a prefix count of working
//! days built once at load.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, Unit};
use serde::Deserialize;

/// The shipped calendar files, by path in the repository, embedded so the
/// daemon needs no data directory. A test checks every file under
/// `config/holidays/` is listed here.
pub const BUILTIN_HOLIDAYS: [(&str, &str); 2] = [
    (
        "config/holidays/2026.toml",
        include_str!("../config/holidays/2026.toml"),
    ),
    (
        "config/holidays/2027.toml",
        include_str!("../config/holidays/2027.toml"),
    ),
];

const DAY_MS: i64 = 86_400_000;

/// Why a working-day computation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The computation needs a day of a year with no holiday list loaded. The
    /// operator must add the year's decree; the caller should report it loudly
    /// rather than guess.
    #[error("the holiday calendar does not cover {year}: add config/holidays/{year}.toml with that year's libur nasional and cuti bersama")]
    NotCovered { year: i16 },
    /// The Unix-millisecond timestamp is outside what can be a date at all.
    #[error("timestamp {0} ms is out of range")]
    InvalidTimestamp(i64),
}

/// The two kinds of day off the joint decree sets; offices close on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolidayKind {
    LiburNasional,
    CutiBersama,
}

impl HolidayKind {
    /// The spelling used in the calendar files.
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayKind::LiburNasional => "libur_nasional",
            HolidayKind::CutiBersama => "cuti_bersama",
        }
    }

    fn parse(s: &str) -> Option<HolidayKind> {
        match s {
            "libur_nasional" => Some(HolidayKind::LiburNasional),
            "cuti_bersama" => Some(HolidayKind::CutiBersama),
            _ => None,
        }
    }
}

/// One day off, as listed in a calendar file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub kind: HolidayKind,
    pub name: String,
    /// The file it came from (`builtin config/holidays/2026.toml` or a path), for check-config.
    pub origin: String,
}

/// The time zones Indonesian agencies keep; deadlines count the agency's local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Zone {
    /// Western Indonesia Time, UTC+7: Sumatra, Java, West and Central Kalimantan.
    #[default]
    Wib,
    /// Central Indonesia Time, UTC+8: Bali, Nusa Tenggara, Sulawesi, the rest of Kalimantan.
    Wita,
    /// Eastern Indonesia Time, UTC+9: Maluku and Papua.
    Wit,
}

/// A time zone name that is none of WIB, WITA, WIT or their IANA names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}: expected WIB, WITA, WIT, Asia/Jakarta, Asia/Makassar or Asia/Jayapura")]
pub struct UnknownZone(pub String);

impl Zone {
    pub const ALL: [Zone; 3] = [Zone::Wib, Zone::Wita, Zone::Wit];

    /// The IANA name, as used in the agency directory.
    pub fn iana(self) -> &'static str {
        match self {
            Zone::Wib => "Asia/Jakarta",
            Zone::Wita => "Asia/Makassar",
            Zone::Wit => "Asia/Jayapura",
        }
    }

    /// The Indonesian abbreviation, as people write it.
    pub fn abbreviation(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }

    /// The zone's rules, looked up once. The tz database is bundled into the
    /// binary, so the lookup cannot fail in practice; should it, the zone's
    /// offset since 1988 is used (Indonesia keeps no daylight saving time).
    pub fn time_zone(self) -> &'static TimeZone {
        static ZONES: OnceLock<[TimeZone; 3]> = OnceLock::new();
        let zones = ZONES.get_or_init(|| {
            Zone::ALL.map(|z| {
                let hours = match z {
                    Zone::Wib => 7,
                    Zone::Wita => 8,
                    Zone::Wit => 9,
                };
                jiff::tz::db()
                    .get(z.iana())
                    .unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(hours)))
            })
        });
        &zones[self as usize]
    }

    /// The local date of an instant (Unix ms) in this zone.
    pub fn local_date(self, ms: i64) -> Result<Date, CalendarError> {
        let ts =
            Timestamp::from_millisecond(ms).map_err(|_| CalendarError::InvalidTimestamp(ms))?;
        Ok(ts.to_zoned(self.time_zone().clone()).date())
    }

    /// The local day of an instant, counted in days since 1970-01-01. Cheaper
    /// than [`Zone::local_date`]: one offset lookup and a division.
    fn local_epoch_day(self, ms: i64) -> Result<i64, CalendarError> {
        let ts =
            Timestamp::from_millisecond(ms).map_err(|_| CalendarError::InvalidTimestamp(ms))?;
        let offset_ms = i64::from(self.time_zone().to_offset(ts).seconds()) * 1000;
        Ok((ms + offset_ms).div_euclid(DAY_MS))
    }
}

impl FromStr for Zone {
    type Err = UnknownZone;

    /// Accepts `WIB`/`WITA`/`WIT` and `Asia/Jakarta`/`Asia/Makassar`/`Asia/Jayapura`, in any case.
    fn from_str(s: &str) -> Result<Zone, UnknownZone> {
        let t = s.trim();
        Zone::ALL
            .into_iter()
            .find(|z| t.eq_ignore_ascii_case(z.abbreviation()) || t.eq_ignore_ascii_case(z.iana()))
            .ok_or_else(|| UnknownZone(s.to_string()))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbreviation())
    }
}

/// The loaded calendar: which days are working days, for a contiguous range of
/// years. Cloning is cheap (one `Arc`).
#[derive(Clone)]
pub struct Calendar {
    inner: Arc<Inner>,
}

struct Inner {
    first_year: i16,
    last_year: i16,
    /// January 1 of `first_year`: day index 0.
    first_date: Date,
    /// Days from 1970-01-01 to `first_date`.
    first_epoch_day: i64,
    /// Index of January 1 of each year, `first_year` first.
    year_start: Vec<usize>,
    /// `prefix[i]` = working days among day indices `0..i`; one entry per day, plus one.
    prefix: Vec<u32>,
    holidays: BTreeMap<Date, Holiday>,
    decrees: BTreeMap<i16, String>,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("years", &self.years())
            .field("holidays", &self.inner.holidays.len())
            .finish()
    }
}

/// The layout of one calendar file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDe {
    year: i16,
    #[serde(default)]
    decree: String,
    #[serde(default)]
    replace: bool,
    #[serde(default)]
    day: Vec<DayDe>,
}

/// One `[[day]]`; fields are checked by hand so that every bad day is reported, not only the first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DayDe {
    date: toml::Value,
    kind: String,
    name: String,
}

/// Days off and decree of one year while loading.
#[derive(Default)]
struct YearDe {
    decree: String,
    days: BTreeMap<Date, Holiday>,
}

impl Calendar {
    /// Loads the calendar from `sources`, in order: `"builtin"` stands for the
    /// shipped files ([`BUILTIN_HOLIDAYS`]), anything else is the path of an
    /// operator file of the same layout (see the module documentation for how
    /// files for the same year combine). Every problem found is returned, each
    /// naming its file, for `check-config`.
    pub fn load(sources: &[String]) -> Result<Calendar, Vec<String>> {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for source in sources {
            if source == "builtin" {
                for (path, text) in BUILTIN_HOLIDAYS {
                    files.push((format!("builtin {path}"), text.to_string()));
                }
            } else {
                match std::fs::read_to_string(source) {
                    Ok(text) => files.push((source.clone(), text)),
                    Err(e) => problems.push(format!("{source}: cannot read holiday calendar: {e}")),
                }
            }
        }
        match Calendar::from_texts(&files) {
            Ok(c) if problems.is_empty() => Ok(c),
            Ok(_) => Err(problems),
            Err(more) => {
                problems.extend(more);
                Err(problems)
            }
        }
    }

    /// The shipped calendar alone. It cannot fail: a test loads it.
    pub fn builtin() -> Calendar {
        Calendar::load(&["builtin".to_string()]).expect("the shipped holiday calendar loads")
    }

    /// Builds the calendar from `(origin, text)` pairs, in order.
    fn from_texts(files: &[(String, String)]) -> Result<Calendar, Vec<String>> {
        let mut problems = Vec::new();
        let mut years: BTreeMap<i16, YearDe> = BTreeMap::new();
        if files.is_empty() {
            problems.push(
                "no holiday calendar: list \"builtin\" and/or operator files of holidays"
                    .to_string(),
            );
        }
        for (origin, text) in files {
            add_file(&mut years, origin, text, &mut problems);
        }
        let (Some(&first_year), Some(&last_year)) = (years.keys().next(), years.keys().next_back())
        else {
            if problems.is_empty() {
                problems.push("the holiday calendar covers no year".to_string());
            }
            return Err(problems);
        };
        for y in first_year..=last_year {
            if !years.contains_key(&y) {
                problems.push(format!(
                    "the holiday calendar has {first_year} to {last_year} but no file for {y}: \
                     every year in between needs its list"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(build(years, first_year, last_year))
    }

    /// The years covered, first to last; computations outside them fail with
    /// [`CalendarError::NotCovered`].
    pub fn years(&self) -> RangeInclusive<i16> {
        self.inner.first_year..=self.inner.last_year
    }

    /// Whether offices are open on `date`: Monday to Friday and not a listed
    /// day off. A holiday on a weekend changes nothing.
    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        let year = date.year();
        if !self.years().contains(&year) {
            return Err(CalendarError::NotCovered { year });
        }
        let index = self.inner.year_start[(year - self.inner.first_year) as usize]
            + (date.day_of_year() - 1) as usize;
        Ok(self.inner.prefix[index + 1] > self.inner.prefix[index])
    }

    /// The listed day off on `date`, if any (whether or not it falls on a weekend).
    pub fn holiday(&self, date: Date) -> Option<&Holiday> {
        self.inner.holidays.get(&date)
    }

    /// Every listed day off, in date order.
    pub fn holidays(&self) -> impl Iterator<Item = &Holiday> {
        self.inner.holidays.values()
    }

    /// The decree a year's list comes from, as the last file naming one said.
    pub fn decree(&self, year: i16) -> Option<&str> {
        self.inner.decrees.get(&year).map(String::as_str)
    }

    /// The deadline `n` working days after the instant `from_ms` (Unix ms),
    /// counted in the local days of `tz`.
    ///
    /// The rule: take the local date of `from_ms`; that day itself never counts,
    /// whether or not it is a working day (a report received Monday 08:00 and
    /// one received Monday 23:00 have the same deadline). Walk forward to the
    /// `n`-th working day after it; the deadline is the **end** of that day,
    /// 23:59:59.999 local time, returned as Unix ms. So a report received on
    /// Friday with `n = 3` is due at the end of Wednesday if the week has no
    /// holiday.
    ///
    /// `n = 0` means "today, or if today is not a working day, the next one":
    /// the end of `from_ms`'s day when it is a working day, otherwise the same
    /// as `n = 1`.
    ///
    /// Fails with [`CalendarError::NotCovered`] when a day it must look at lies
    /// outside [`Calendar::years`].
    pub fn add_working_days(&self, from_ms: i64, n: u32, tz: Zone) -> Result<i64, CalendarError> {
        let day = tz.local_epoch_day(from_ms)? - self.inner.first_epoch_day;
        let first_examined = if n == 0 { day } else { day + 1 };
        let days = self.inner.prefix.len() as i64 - 1;
        if !(0..days).contains(&first_examined) {
            return Err(CalendarError::NotCovered {
                year: self.year_of(first_examined),
            });
        }
        let start = first_examined as usize;
        // prefix[start] counts the working days before the first examined day;
        // the deadline is the day d whose prefix[d + 1] first reaches target.
        let target = u64::from(self.inner.prefix[start]) + u64::from(n.max(1));
        let rest = &self.inner.prefix[start + 1..];
        let found = rest.partition_point(|&p| u64::from(p) < target);
        if found == rest.len() {
            return Err(CalendarError::NotCovered {
                year: self.inner.last_year + 1,
            });
        }
        self.end_of_day(start + found, tz)
    }

    /// The working days elapsed from the instant `from_ms` to `to_ms` in the
    /// local days of `tz`: the number of working days `d` with
    /// `from_day < d <= to_day`. This is the inverse of
    /// [`Calendar::add_working_days`]: for `n >= 1`,
    /// `working_days_between(t, add_working_days(t, n)) == n`. It is 0 when
    /// `to_ms` falls on the same local day as `from_ms` or before it.
    ///
    /// O(1): two lookups in a prefix count. Fails with
    /// [`CalendarError::NotCovered`] when a counted day lies outside
    /// [`Calendar::years`].
    pub fn working_days_between(
        &self,
        from_ms: i64,
        to_ms: i64,
        tz: Zone,
    ) -> Result<u32, CalendarError> {
        let from = tz.local_epoch_day(from_ms)? - self.inner.first_epoch_day;
        let to = tz.local_epoch_day(to_ms)? - self.inner.first_epoch_day;
        if to <= from {
            return Ok(0);
        }
        let days = self.inner.prefix.len() as i64 - 1;
        if from + 1 < 0 {
            return Err(CalendarError::NotCovered {
                year: self.year_of(from + 1),
            });
        }
        if to >= days {
            return Err(CalendarError::NotCovered {
                year: self.inner.last_year + 1,
            });
        }
        let prefix = &self.inner.prefix;
        Ok(prefix[(to + 1) as usize] - prefix[(from + 1) as usize])
    }

    /// The date of a day index (which may lie outside the table).
    fn date_at(&self, index: i64) -> Option<Date> {
        self.inner
            .first_date
            .checked_add(Span::new().try_days(index).ok()?)
            .ok()
    }

    fn year_of(&self, index: i64) -> i16 {
        match self.date_at(index) {
            Some(d) => d.year(),
            None if index < 0 => self.inner.first_year - 1,
            None => self.inner.last_year + 1,
        }
    }

    /// 23:59:59.999 local on the day at `index`: the instant before the next local midnight.
    fn end_of_day(&self, index: usize, tz: Zone) -> Result<i64, CalendarError> {
        let not_covered = CalendarError::NotCovered {
            year: self.inner.last_year + 1,
        };
        let next = self
            .date_at(index as i64 + 1)
            .ok_or_else(|| not_covered.clone())?;
        let midnight = next
            .to_zoned(tz.time_zone().clone())
            .map_err(|_| not_covered)?;
        Ok(midnight.timestamp().as_millisecond() - 1)
    }
}

/// Parses one file and merges it into `years`, recording its problems.
fn add_file(
    years: &mut BTreeMap<i16, YearDe>,
    origin: &str,
    text: &str,
    problems: &mut Vec<String>,
) {
    let file: FileDe = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("{origin}: {e}"));
            return;
        }
    };
    if !(1900..=9998).contains(&file.year) {
        problems.push(format!("{origin}: year {} is out of range", file.year));
        return;
    }
    let mut days: BTreeMap<Date, Holiday> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for (i, d) in file.day.into_iter().enumerate() {
        let at = format!("{origin}: [[day]] #{} (date {})", i + 1, show(&d.date));
        let Some(date) = parse_date(&d.date) else {
            problems.push(format!("{at}: not a date; write it as {}-08-17", file.year));
            continue;
        };
        let mut ok = true;
        if date.year() != file.year {
            problems.push(format!("{at}: not in the file's year {}", file.year));
            ok = false;
        }
        let kind = HolidayKind::parse(&d.kind);
        if kind.is_none() {
            problems.push(format!(
                "{at}: unknown kind {:?}, expected \"libur_nasional\" or \"cuti_bersama\"",
                d.kind
            ));
        }
        if d.name.trim().is_empty() {
            problems.push(format!("{at}: has no name"));
            ok = false;
        }
        if !seen.insert(date) {
            problems.push(format!("{at}: listed twice in this file"));
            ok = false;
        }
        if let (Some(kind), true) = (kind, ok) {
            let holiday = Holiday {
                date,
                kind,
                name: d.name.trim().to_string(),
                origin: origin.to_string(),
            };
            days.insert(date, holiday);
        }
    }
    let year = years.entry(file.year).or_default();
    if file.replace {
        year.days = days;
    } else {
        year.days.extend(days);
    }
    if !file.decree.trim().is_empty() {
        year.decree = file.decree.trim().to_string();
    }
}

/// A `date` value as the operator wrote it, for problems.
fn show(value: &toml::Value) -> String {
    match value {
        toml::Value::Datetime(dt) => dt.to_string(),
        toml::Value::String(s) => format!("{s:?}"),
        other => format!("of type {}", other.type_str()),
    }
}

/// A day's date: a TOML local date (`2026-08-17`) or a string holding one.
fn parse_date(value: &toml::Value) -> Option<Date> {
    match value {
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
            let d = dt.date?;
            Date::new(
                i16::try_from(d.year).ok()?,
                i8::try_from(d.month).ok()?,
                i8::try_from(d.day).ok()?,
            )
            .ok()
        }
        toml::Value::String(s) => {
            let s = s.trim();
            // Only a plain date: jiff would also take a datetime and drop its time.
            if s.len() != 10 {
                return None;
            }
            s.parse().ok()
        }
        _ => None,
    }
}

/// Builds the prefix table over `first_year..=last_year` (all present in `years`).
fn build(years: BTreeMap<i16, YearDe>, first_year: i16, last_year: i16) -> Calendar {
    let mut holidays = BTreeMap::new();
    let mut decrees = BTreeMap::new();
    for (y, year) in years {
        if !year.decree.is_empty() {
            decrees.insert(y, year.decree);
        }
        holidays.extend(year.days);
    }
    // Years were checked to lie in 1900..=9998, so these dates exist.
    let first_date = Date::new(first_year, 1, 1).expect("January 1 exists");
    let first_epoch_day = i64::from(
        Date::new(1970, 1, 1)
            .expect("the epoch exists")
            .until((Unit::Day, first_date))
            .expect("days between two dates of the supported range")
            .get_days(),
    );
    let mut prefix = vec![0u32];
    let mut year_start = Vec::new();
    let mut date = first_date;
    while date.year() <= last_year {
        if date.day_of_year() == 1 {
            year_start.push(prefix.len() - 1);
        }
        let weekday = date.weekday().to_monday_one_offset();
        let working = weekday <= 5 && !holidays.contains_key(&date);
        let last = *prefix.last().expect("prefix starts with 0");
        prefix.push(last + u32::from(working));
        date = date
            .tomorrow()
            .expect("December 31 of a year <= 9998 has a tomorrow");
    }
    Calendar {
        inner: Arc::new(Inner {
            first_year,
            last_year,
            first_date,
            first_epoch_day,
            year_start,
            prefix,
            holidays,
            decrees,
        }),
    }
}

#[cfg(test)]
mod tests;
