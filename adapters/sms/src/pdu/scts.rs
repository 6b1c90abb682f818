//! Time stamps (TP-SCTS, TP-DT, absolute TP-VP; TS 23.040 §9.2.3.11): seven semi-octet
//! swapped BCD octets, the last one the zone in quarter hours with the sign in bit 3 of
//! the octet as transmitted (0x8A = -07:00, 0x23 = +08:00, 0x40 = +01:00).
//!
//! Two-digit years pivot at 80: 00–79 are 2000–2079, 80–99 are 1980–1999 (SMS did not
//! exist before 1992 and this daemon will not run past 2079).

use super::reader::Reader;
use super::PduError;

/// A service-centre time stamp in the sender's local time plus its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scts {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Offset from UTC in quarter hours (+28 = +07:00 WIB, +32 = +08:00 WITA).
    pub tz_quarter_hours: i8,
}

fn swapped_bcd(b: u8) -> Option<u8> {
    let (lo, hi) = (b & 15, b >> 4);
    (lo <= 9 && hi <= 9).then_some(lo * 10 + hi)
}

fn to_swapped_bcd(v: u8) -> u8 {
    ((v % 10) << 4) | ((v / 10) % 10)
}

impl Scts {
    /// Reads 7 octets. Date and time digits must be BCD; the zone octet is read leniently
    /// (some networks put a non-BCD high nibble there, e.g. 0xC2 for +08:00).
    pub(crate) fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Scts, PduError> {
        let at = r.offset();
        let raw = r.take(7, what)?;
        let mut f = [0u8; 6];
        for (i, v) in f.iter_mut().enumerate() {
            *v = swapped_bcd(raw[i]).ok_or(PduError::BadValue {
                offset: at + i,
                expected: "BCD time-stamp digits",
                found: raw[i],
            })?;
        }
        let z = raw[6];
        let quarters = ((z & 7) * 10 + (z >> 4)) as i8;
        let year = if f[0] < 80 { 2000 } else { 1900 } + f[0] as u16;
        Ok(Scts {
            year,
            month: f[1],
            day: f[2],
            hour: f[3],
            minute: f[4],
            second: f[5],
            tz_quarter_hours: if z & 8 != 0 { -quarters } else { quarters },
        })
    }

    /// The 7 octets as transmitted.
    pub fn to_octets(&self) -> [u8; 7] {
        let q = self.tz_quarter_hours.unsigned_abs().min(79);
        let mut z = to_swapped_bcd(q);
        if self.tz_quarter_hours < 0 {
            z |= 8;
        }
        [
            to_swapped_bcd((self.year % 100) as u8),
            to_swapped_bcd(self.month),
            to_swapped_bcd(self.day),
            to_swapped_bcd(self.hour),
            to_swapped_bcd(self.minute),
            to_swapped_bcd(self.second),
            z,
        ]
    }

    /// Zone as "+07:00" / "-03:00" ("+00:00" for the "-0" some networks send).
    pub fn offset_string(&self) -> String {
        let m = self.tz_quarter_hours as i32 * 15;
        let sign = if m < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
    }

    /// RFC 3339 in the sender's local time, e.g. "2016-10-30T04:59:44+08:00".
    pub fn to_rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.offset_string()
        )
    }

    /// Seconds since 1970-01-01T00:00:00Z (out-of-range fields are not rejected; they
    /// simply roll over arithmetically).
    pub fn unix_seconds(&self) -> i64 {
        // Days from civil, Howard Hinnant's algorithm.
        let (m, d) = (self.month as i64, self.day as i64);
        let y = self.year as i64 - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let local =
            days * 86_400 + self.hour as i64 * 3600 + self.minute as i64 * 60 + self.second as i64;
        local - self.tz_quarter_hours as i64 * 900
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(hex: &str) -> Scts {
        let b = super::super::parse_hex(hex).unwrap();
        Scts::read(&mut Reader::new(&b, 0), "scts").unwrap()
    }

    #[test]
    fn zone_sign_is_bit_3_of_the_transmitted_octet() {
        assert_eq!(
            read("6060605130308A").to_rfc3339(),
            "2006-06-06T15:03:03-07:00"
        );
        assert_eq!(
            read("70402132522423").to_rfc3339(),
            "2007-04-12T23:25:42+08:00"
        );
        assert_eq!(
            read("90901071142340").to_rfc3339(),
            "2009-09-01T17:41:32+01:00"
        );
        assert_eq!(read("610103409544C2").tz_quarter_hours, 32);
        assert_eq!(
            read("11101021436500").to_rfc3339(),
            "2011-01-01T12:34:56+00:00"
        );
    }

    #[test]
    fn unix_time_and_round_trip() {
        let s = read("6060605130308A");
        assert_eq!(s.unix_seconds(), 1_149_631_383);
        assert_eq!(s.to_octets(), [0x60, 0x60, 0x60, 0x51, 0x30, 0x30, 0x8A]);
    }

    #[test]
    fn non_bcd_date_is_an_error_with_offset() {
        let b = super::super::parse_hex("5150F132200523").unwrap();
        let e = Scts::read(&mut Reader::new(&b, 7), "scts").unwrap_err();
        assert_eq!(e.offset(), 9);
    }
}
