//! A generated, realistic history of reports for the statistics tests:
//! rejections and archives at verification, reports still being verified,
//! forwards to one agency or several (cross-sector), responses early, at the
//! deadline to the millisecond and late, missed deadlines, passes on (also
//! back to an agency that had the report), closures by each rule, repeated
//! forwards, a forward in the old one-agency form without a deadline, events
//! after the end, noise events that change no figure, anonymous and
//! confidential reports, and events on both sides of WIB midnight. Seeded, so
//! a failure repeats.

pub const H: i64 = 3_600_000;
pub const D: i64 = 86_400_000;
/// 2025-12-01 00:00 WIB.
pub const START: i64 = 1_764_522_000_000;

/// Agencies the history forwards to: every kind, and one code the directory
/// does not know (an agency since removed).
pub const AGENCIES: [&str; 12] = [
    "kemenko-pmk",
    "kemenko-perekonomian",
    "polri",
    "kpk",
    "pln",
    "kai",
    "prov-11",
    "prov-12",
    "prov-13",
    "ui",
    "kbri-riyadh",
    "dinas-lama",
];

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: i64) -> i64 {
        (self.next() % n.max(1) as u64) as i64
    }
    pub fn chance(&mut self, percent: i64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as i64) as usize]
    }
}

pub struct Report {
    pub id: i64,
    pub channel: &'static str,
    pub category: Option<&'static str>,
    pub region: Option<&'static str>,
    pub weight: &'static str,
    pub anonymous: bool,
    pub confidential: bool,
    pub received_at: i64,
}

pub struct Event {
    pub report: i64,
    pub at: i64,
    pub action: &'static str,
    pub detail: String,
}

pub struct History {
    pub reports: Vec<Report>,
    /// In the order they are appended to the log.
    pub events: Vec<Event>,
}

struct Gen<'a> {
    rng: &'a mut Rng,
    report: i64,
    out: Vec<Event>,
}

impl Gen<'_> {
    fn ev(&mut self, at: i64, action: &'static str, detail: String) {
        self.out.push(Event {
            report: self.report,
            at,
            action,
            detail,
        });
    }

    fn wd(&mut self, max: i64) -> String {
        if self.rng.chance(3) {
            "null".into()
        } else {
            self.rng.below(max + 1).to_string()
        }
    }

    /// One agency's handling from `start`; returns when it last acted.
    fn handle(&mut self, agency: &'static str, start: i64, due: Option<i64>, depth: u32) -> i64 {
        let window = due.map_or(10 * D, |d| d - start).max(H);
        let outcome = self.rng.below(10);
        match outcome {
            0..=4 => {
                let at = if self.rng.chance(10) {
                    due.unwrap_or(start + window)
                } else {
                    start + 1 + self.rng.below(window)
                };
                let wd = self.wd(9);
                self.ev(
                    at,
                    "tanggapan",
                    format!(r#"{{"agency":"{agency}","text":"ditangani","first":true,"working_days":{wd},"on_time":true}}"#),
                );
                if self.rng.chance(40) {
                    let later = at + 1 + self.rng.below(4 * D);
                    self.ev(
                        later,
                        "tanggapan",
                        format!(r#"{{"agency":"{agency}","text":"lanjutan","first":false,"working_days":12}}"#),
                    );
                    return later;
                }
                at
            }
            5..=7 => {
                let late_at = start + window + 1 + self.rng.below(2 * H);
                self.ev(
                    late_at,
                    "terlambat",
                    format!(
                        r#"{{"agency":"{agency}","level":1,"to":"{agency}","due_at":{}}}"#,
                        start + window
                    ),
                );
                if self.rng.chance(30) {
                    self.ev(
                        late_at + H,
                        "eskalasi",
                        format!(r#"{{"agency":"{agency}","level":2}}"#),
                    );
                }
                if outcome == 7 {
                    return late_at;
                }
                let at = late_at + 1 + self.rng.below(5 * D);
                let wd = self.wd(25);
                self.ev(
                    at,
                    "tanggapan",
                    format!(r#"{{"agency":"{agency}","first":true,"working_days":{wd},"on_time":false}}"#),
                );
                at
            }
            8 if depth < 2 => {
                // Passed on, before or after the deadline.
                let at = start + 1 + self.rng.below(window * 3 / 2);
                let to: &'static str = if depth == 1 && self.rng.chance(50) {
                    // Back to where it came from (set by the caller's agency list).
                    AGENCIES[(self.report as usize) % 4]
                } else {
                    self.rng.pick(&AGENCIES[..11])
                };
                let due2 = at + (5 + self.rng.below(10)) * D;
                self.ev(
                    at,
                    "dilimpahkan",
                    format!(r#"{{"from":"{agency}","to":"{to}","reason":"bukan kewenangan","due":{due2}}}"#),
                );
                if self.rng.chance(25) {
                    // The agency that passed it on still answers, or its
                    // deadline fires: it no longer holds the report.
                    let late = at.max(start + window) + H;
                    if self.rng.chance(50) {
                        self.ev(
                            late,
                            "terlambat",
                            format!(r#"{{"agency":"{agency}","level":1}}"#),
                        );
                    } else {
                        self.ev(
                            late,
                            "tanggapan",
                            format!(r#"{{"agency":"{agency}","first":true,"working_days":4}}"#),
                        );
                    }
                }
                self.handle(to, at, Some(due2), depth + 1)
            }
            _ => start,
        }
    }

    fn forwarded(&mut self, t0: i64) -> i64 {
        let tf = t0 + self.rng.below(3 * D);
        let n = if self.rng.chance(25) {
            2 + self.rng.below(2)
        } else {
            1
        };
        let mut agencies: Vec<&'static str> = Vec::new();
        // The first agency of a report is one a pass-back can return to.
        agencies.push(AGENCIES[(self.report as usize) % 4]);
        if self.report % 23 == 0 {
            agencies.push("dinas-lama");
        }
        while agencies.len() < n as usize {
            let a = self.rng.pick(&AGENCIES);
            if !agencies.contains(&a) {
                agencies.push(a);
            }
        }
        let mut dues = Vec::new();
        if self.rng.chance(4) {
            // Written by lapord before the lifecycle: one agency, no deadline.
            agencies.truncate(1);
            dues.push(None);
            self.ev(
                tf,
                "diteruskan",
                format!(
                    r#"{{"agency":"{}","rule":"keyword","confidence":0.9}}"#,
                    agencies[0]
                ),
            );
        } else {
            let mut due_json = Vec::new();
            for a in &agencies {
                let due = tf + (5 + self.rng.below(10)) * D + self.rng.below(D);
                dues.push(Some(due));
                due_json.push(format!(r#""{a}":{due}"#));
            }
            let list: Vec<String> = agencies.iter().map(|a| format!("\"{a}\"")).collect();
            let category = match self.rng.below(4) {
                0 => "null".to_string(),
                1 => "\"jalan\"".into(),
                2 => "\"kesehatan\"".into(),
                _ => "\"pendidikan\"".into(),
            };
            let weight = self.rng.pick(&["ringan", "sedang", "berat"]).to_string();
            self.ev(
                tf,
                "diteruskan",
                format!(
                    r#"{{"agencies":[{}],"due":{{{}}},"kind":"pengaduan","category":{category},"weight":"{weight}"}}"#,
                    list.join(","),
                    due_json.join(",")
                ),
            );
            if self.rng.chance(5) {
                // Forwarded again to an agency that has it: changes nothing.
                let a = agencies[0];
                self.ev(
                    tf + H,
                    "diteruskan",
                    format!(r#"{{"agencies":["{a}"],"due":{{"{a}":{}}}}}"#, tf + 30 * D),
                );
            }
        }
        let mut last = tf;
        for (a, due) in agencies.iter().zip(dues) {
            last = last.max(self.handle(a, tf, due, 0));
        }
        if self.rng.chance(5) {
            // A response from an agency that does not have the report.
            self.ev(
                tf + D,
                "tanggapan",
                r#"{"agency":"kai","first":true,"working_days":1}"#.into(),
            );
        }
        last
    }

    fn close(&mut self, after: i64) {
        let c = self.rng.below(100);
        let at = after + 1 + self.rng.below(10 * D);
        match c {
            0..=59 => {
                let rule = self
                    .rng
                    .pick(&["puas", "tutup", "otomatis", "sengketa", "admin"]);
                let wd = self.wd(40);
                self.ev(
                    at,
                    "selesai",
                    format!(r#"{{"rule":"{rule}","reason":null,"working_days":{wd}}}"#),
                );
            }
            60..=64 => self.ev(
                at,
                "tidak_diproses",
                r#"{"reason":"bukan_pengaduan"}"#.into(),
            ),
            65..=67 => self.ev(at, "diarsipkan", "{}".into()),
            _ => return,
        }
        if self.rng.chance(10) {
            // After the end: changes nothing.
            self.ev(
                at + H,
                "tanggapan",
                format!(
                    r#"{{"agency":"{}","first":false,"working_days":3}}"#,
                    AGENCIES[0]
                ),
            );
            self.ev(
                at + 2 * H,
                "terlambat",
                format!(r#"{{"agency":"{}"}}"#, AGENCIES[0]),
            );
            let a = AGENCIES[5];
            self.ev(
                at + 3 * H,
                "diteruskan",
                format!(r#"{{"agencies":["{a}"],"due":{{"{a}":{}}}}}"#, at + 9 * D),
            );
        }
    }
}

pub fn generate(seed: u64, n: i64) -> History {
    let mut rng = Rng::new(seed);
    let mut reports = Vec::new();
    let mut events: Vec<(i64, usize, Event)> = Vec::new();
    for id in 1..=n {
        let mut t0 = START + rng.below(95 * D);
        if id % 37 == 0 {
            t0 = START + (t0 - START) / D * D; // at WIB midnight
        } else if id % 41 == 0 {
            t0 = START + (t0 - START) / D * D - 1; // the last millisecond of a day
        }
        let report = Report {
            id,
            channel: rng.pick(&["sms", "webhook", "email", "twitter", "web"]),
            category: rng.pick(&[None, Some("jalan"), Some("kesehatan")]),
            region: rng.pick(&[None, Some("32.73.01"), Some("31.71"), Some("91.01.02.2001")]),
            weight: rng.pick(&["ringan", "sedang", "berat"]),
            anonymous: rng.chance(20),
            confidential: rng.chance(10),
            received_at: t0 - rng.below(5 * 60_000),
        };
        let mut g = Gen {
            rng: &mut rng,
            report: id,
            out: Vec::new(),
        };
        g.ev(
            t0,
            "diterima",
            format!(r#"{{"channel":"{}"}}"#, report.channel),
        );
        if g.rng.chance(2) {
            g.ev(t0 + 60_000, "diterima", r#"{"channel":"web"}"#.into());
        }
        if g.rng.chance(15) {
            g.ev(t0 + 5 * 60_000, "flags", r#"{"spam":false}"#.into());
        }
        match g.rng.below(100) {
            0..=7 => {
                let at = t0 + 1 + g.rng.below(3 * D);
                g.ev(at, "tidak_diproses", r#"{"reason":"tidak_jelas"}"#.into());
            }
            8..=13 => {
                g.ev(
                    t0 + 2 * H,
                    "menunggu_info",
                    r#"{"question":"lokasi?"}"#.into(),
                );
                let at = t0 + (10 + g.rng.below(10)) * D;
                g.ev(at, "diarsipkan", "{}".into());
                g.ev(at + D, "pesan_pelapor", "{}".into());
            }
            14..=19 => {
                if g.rng.chance(50) {
                    g.ev(t0 + H, "menunggu_info", r#"{"question":"kapan?"}"#.into());
                }
            }
            _ => {
                let last = g.forwarded(t0);
                if g.rng.chance(10) {
                    g.ev(last + H, "pelapor_puas", "{}".into());
                }
                g.close(last);
            }
        }
        let out = g.out;
        for e in out {
            events.push((e.at, events.len(), e));
        }
        reports.push(report);
    }
    // The log is appended in time order (ties in the order they were made).
    events.sort_by_key(|(at, i, _)| (*at, *i));
    History {
        reports,
        events: events.into_iter().map(|(_, _, e)| e).collect(),
    }
}
