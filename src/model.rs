//! The report model shared by every channel: states and their colours, kinds,
//! weights. Defined once here and used by every output (status API, agency
//! payloads, operator tools, statistics), so a colour can never disagree.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        // Serde spells each value exactly as `as_str` does ("abu-abu").
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} {other:?}; expected one of {}",
                        stringify!($name),
                        [$($s),+].join(", ")
                    )),
                }
            }
        }
    };
}

string_enum!(
    /// Where a report is in its life.
    State {
        Diterima = "diterima",
        MenungguInfo = "menunggu_info",
        Diteruskan = "diteruskan",
        Ditindaklanjuti = "ditindaklanjuti",
        MenungguPenutupan = "menunggu_penutupan",
        Selesai = "selesai",
        TidakDiproses = "tidak_diproses",
        Diarsipkan = "diarsipkan",
    }
);

string_enum!(
    /// The traffic-light indicator citizens see.
    Colour {
        Merah = "merah",
        Kuning = "kuning",
        Hijau = "hijau",
        AbuAbu = "abu-abu",
    }
);

string_enum!(
    /// What the reporter is doing.
    Kind {
        Pengaduan = "pengaduan",
        Aspirasi = "aspirasi",
        PermintaanInformasi = "permintaan_informasi",
        Apresiasi = "apresiasi",
    }
);

string_enum!(
    /// How heavy a report is; it sets the follow-up deadline.
    Weight {
        Ringan = "ringan",
        Sedang = "sedang",
        Berat = "berat",
    }
);

impl State {
    /// The colour of a state. The one place it is decided.
    pub fn colour(self) -> Colour {
        match self {
            State::Diterima | State::MenungguInfo | State::Diteruskan => Colour::Merah,
            State::Ditindaklanjuti | State::MenungguPenutupan => Colour::Kuning,
            State::Selesai => Colour::Hijau,
            State::TidakDiproses | State::Diarsipkan => Colour::AbuAbu,
        }
    }

    /// A short Indonesian description, for citizens.
    pub fn label(self) -> &'static str {
        match self {
            State::Diterima => "diterima, menunggu verifikasi",
            State::MenungguInfo => "menunggu informasi dari pelapor",
            State::Diteruskan => "diteruskan ke instansi",
            State::Ditindaklanjuti => "ditindaklanjuti instansi",
            State::MenungguPenutupan => "menunggu penutupan",
            State::Selesai => "selesai",
            State::TidakDiproses => "tidak diproses",
            State::Diarsipkan => "diarsipkan",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_the_documented_colour() {
        let expected = [
            ("diterima", "merah"),
            ("menunggu_info", "merah"),
            ("diteruskan", "merah"),
            ("ditindaklanjuti", "kuning"),
            ("menunggu_penutupan", "kuning"),
            ("selesai", "hijau"),
            ("tidak_diproses", "abu-abu"),
            ("diarsipkan", "abu-abu"),
        ];
        assert_eq!(State::ALL.len(), expected.len());
        for (s, c) in expected {
            assert_eq!(s.parse::<State>().unwrap().colour().as_str(), c, "{s}");
        }
    }

    #[test]
    fn serde_spells_values_as_citizens_see_them() {
        assert_eq!(
            serde_json::to_string(&Colour::AbuAbu).unwrap(),
            "\"abu-abu\""
        );
        assert_eq!(
            serde_json::from_str::<Kind>("\"permintaan_informasi\"").unwrap(),
            Kind::PermintaanInformasi
        );
        assert!(serde_json::from_str::<Weight>("\"heavy\"").is_err());
    }

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), *k);
        }
        for w in Weight::ALL {
            assert_eq!(w.as_str().parse::<Weight>().unwrap(), *w);
        }
        assert!("berat ".parse::<Weight>().is_err());
    }
}
