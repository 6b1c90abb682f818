//! The fold of a batch of events over the state of their reports: which
//! counters each event moves, on which day, in which scopes. Pure: the
//! indexer ([`super::indexer`]) reads the events and states and writes what
//! comes out. The rules are the module `stats`'s definitions, event by event.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::days::{buckets_of, wib_day, Bucket};
use super::{
    AssignmentState, Counts, Dim, Dims, RawEvent, ReportState, ARCHIVED, CLOSED, DEADLINES,
    FORWARDED, ON_TIME, OVERDUE, RECEIVED, REJECTED,
};

/// Report flags: forwarded at least once.
pub const R_FORWARDED: i64 = 1;
/// Report flags: its first response is counted.
pub const R_RESPONDED: i64 = 2;
/// Report flags: its first `terlambat` is counted.
pub const R_OVERDUE: i64 = 4;
/// Report flags: ended (closed, rejected or archived); later events are ignored.
pub const R_ENDED: i64 = 8;
/// Assignment flags: the agency holds the report.
pub const A_OPEN: i64 = 1;
pub const A_RESPONDED: i64 = 2;
pub const A_OVERDUE: i64 = 4;
/// Assignment flags: counted in `deadlines` (or known never to be).
pub const A_DECIDED: i64 = 8;

/// The dimensions of a report as the export counts them.
pub fn dims(
    category: Option<String>,
    region_code: Option<String>,
    channel: String,
    weight: String,
) -> Dims {
    let region = region_code
        .map(|r| r.split('.').take(2).collect::<Vec<_>>().join("."))
        .unwrap_or_default();
    Dims {
        category: category.unwrap_or_default(),
        region,
        channel,
        weight,
    }
}

#[derive(Debug, Default, Deserialize)]
struct Detail {
    #[serde(default)]
    agencies: Vec<String>,
    agency: Option<String>,
    due: Option<Due>,
    from: Option<String>,
    to: Option<String>,
    working_days: Option<i64>,
    category: Option<String>,
    weight: Option<String>,
}

/// `due` is per agency in `diteruskan` and one instant in `dilimpahkan`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Due {
    At(i64),
    PerAgency(HashMap<String, i64>),
}

struct Report {
    flags: i64,
    received_day: i64,
    dims: Dims,
    assignments: BTreeMap<String, Assignment>,
    dirty: bool,
}

struct Assignment {
    due: Option<i64>,
    flags: i64,
    dirty: bool,
}

/// Counter increments per (day, scope) before they are spread over buckets.
/// Codes are numbered as they come, so that counting an event allocates
/// nothing.
#[derive(Default)]
struct DayDeltas {
    ids: HashMap<String, u32>,
    codes: Vec<String>,
    by_day: HashMap<(i64, Dim, u32), Counts>,
}

impl DayDeltas {
    fn at(&mut self, day: i64, dim: Dim, code: &str) -> &mut Counts {
        let id = match self.ids.get(code) {
            Some(&id) => id,
            None => {
                let id = self.codes.len() as u32;
                self.codes.push(code.to_string());
                self.ids.insert(code.to_string(), id);
                id
            }
        };
        self.by_day.entry((day, dim, id)).or_default()
    }
}
/// Counter increments per (bucket, scope).
pub(crate) type BucketDeltas = HashMap<(Bucket, Dim, String), Counts>;

/// The fold of a batch of events over the states of their reports. Pure.
pub(crate) struct Fold {
    reports: HashMap<i64, Report>,
    fresh_dims: HashMap<i64, Dims>,
    deltas: DayDeltas,
}

impl Fold {
    pub(crate) fn new(
        reports: Vec<ReportState>,
        assignments: Vec<AssignmentState>,
        fresh_dims: Vec<(i64, Dims)>,
    ) -> Fold {
        let mut map: HashMap<i64, Report> = reports
            .into_iter()
            .map(|r| {
                (
                    r.report_id,
                    Report {
                        flags: r.flags,
                        received_day: r.received_day,
                        dims: r.dims,
                        assignments: BTreeMap::new(),
                        dirty: false,
                    },
                )
            })
            .collect();
        for a in assignments {
            if let Some(r) = map.get_mut(&a.report_id) {
                r.assignments.insert(
                    a.agency,
                    Assignment {
                        due: a.due_at,
                        flags: a.flags,
                        dirty: false,
                    },
                );
            }
        }
        Fold {
            reports: map,
            fresh_dims: fresh_dims.into_iter().collect(),
            deltas: DayDeltas::default(),
        }
    }

    pub(crate) fn apply(&mut self, e: &RawEvent) {
        let day = wib_day(e.at);
        let deltas = &mut self.deltas;
        let report = match self.reports.get_mut(&e.report_id) {
            Some(r) => r,
            None if e.action == "diterima" => {
                let dims = self.fresh_dims.remove(&e.report_id).unwrap_or_default();
                let r = Report {
                    flags: 0,
                    received_day: day,
                    dims,
                    assignments: BTreeMap::new(),
                    dirty: true,
                };
                report_scopes(deltas, &r.dims, day, |c| c.n[RECEIVED] += 1);
                self.reports.insert(e.report_id, r);
                return;
            }
            // Statistics start at a report's `diterima`.
            None => return,
        };
        if report.flags & R_ENDED != 0 {
            return;
        }
        let detail = || -> Detail {
            if e.detail.is_empty() {
                return Detail::default();
            }
            serde_json::from_str(&e.detail).unwrap_or_else(|err| {
                tracing::warn!(event_id = e.id, action = %e.action, error = %err, "Event detail unreadable; counted without it.");
                Detail::default()
            })
        };
        match e.action.as_str() {
            "diteruskan" => {
                let d = detail();
                if report.flags & R_FORWARDED == 0 {
                    report.flags |= R_FORWARDED;
                    report.dirty = true;
                    // The verifier's category and weight: until now the
                    // report has only been counted as received.
                    for (dim, new) in [(Dim::Category, &d.category), (Dim::Weight, &d.weight)] {
                        let old = match dim {
                            Dim::Category => &mut report.dims.category,
                            _ => &mut report.dims.weight,
                        };
                        if let Some(new) = new.as_ref().filter(|n| *n != old) {
                            let was = std::mem::replace(old, new.clone());
                            scope(deltas, report.received_day, dim, &was, |c| {
                                c.n[RECEIVED] -= 1
                            });
                            scope(deltas, report.received_day, dim, new, |c| {
                                c.n[RECEIVED] += 1
                            });
                        }
                    }
                    report_scopes(deltas, &report.dims, day, |c| c.n[FORWARDED] += 1);
                }
                let mut agencies = d.agencies;
                if agencies.is_empty() {
                    agencies.extend(d.agency);
                }
                for agency in agencies {
                    let due = match &d.due {
                        Some(Due::PerAgency(m)) => m.get(&agency).copied(),
                        _ => None,
                    };
                    start(deltas, report, agency, due, day);
                }
            }
            "dilimpahkan" => {
                let d = detail();
                if let Some(from) = d.from {
                    end(deltas, report, &from, e.at, day, FORWARDED, None);
                }
                if let Some(to) = d.to {
                    let due = match d.due {
                        Some(Due::At(at)) => Some(at),
                        _ => None,
                    };
                    start(deltas, report, to, due, day);
                }
            }
            "tanggapan" => {
                let d = detail();
                let Some(agency) = d.agency else { return };
                let Some(a) = report.assignments.get_mut(&agency) else {
                    return;
                };
                if a.flags & A_OPEN == 0 || a.flags & A_RESPONDED != 0 {
                    return;
                }
                a.flags |= A_RESPONDED;
                a.dirty = true;
                if let Some(wd) = d.working_days {
                    scope(deltas, day, Dim::Agency, &agency, |c| {
                        *c.first_response.entry(wd).or_insert(0) += 1
                    });
                }
                if a.flags & A_DECIDED == 0 {
                    if let Some(due) = a.due {
                        a.flags |= A_DECIDED;
                        decide(deltas, &report.dims, &agency, due, e.at <= due);
                    }
                }
                if report.flags & R_RESPONDED == 0 {
                    report.flags |= R_RESPONDED;
                    report.dirty = true;
                    if let Some(wd) = d.working_days {
                        report_scopes(deltas, &report.dims, day, |c| {
                            *c.first_response.entry(wd).or_insert(0) += 1
                        });
                    }
                }
            }
            "terlambat" => {
                let d = detail();
                let Some(agency) = d.agency else { return };
                let Some(a) = report.assignments.get_mut(&agency) else {
                    return;
                };
                if a.flags & A_OPEN == 0 || a.flags & A_OVERDUE != 0 {
                    return;
                }
                a.flags |= A_OVERDUE;
                a.dirty = true;
                scope(deltas, day, Dim::Agency, &agency, |c| c.n[OVERDUE] += 1);
                if a.flags & A_DECIDED == 0 {
                    if let Some(due) = a.due {
                        a.flags |= A_DECIDED;
                        decide(deltas, &report.dims, &agency, due, false);
                    }
                }
                if report.flags & R_OVERDUE == 0 {
                    report.flags |= R_OVERDUE;
                    report.dirty = true;
                    report_scopes(deltas, &report.dims, day, |c| c.n[OVERDUE] += 1);
                }
            }
            action @ ("selesai" | "tidak_diproses" | "diarsipkan") => {
                let metric = match action {
                    "selesai" => CLOSED,
                    "tidak_diproses" => REJECTED,
                    _ => ARCHIVED,
                };
                let wd = if metric == CLOSED {
                    detail().working_days
                } else {
                    None
                };
                report.flags |= R_ENDED;
                report.dirty = true;
                report_scopes(deltas, &report.dims, day, |c| {
                    c.n[metric] += 1;
                    if let Some(wd) = wd {
                        *c.close.entry(wd).or_insert(0) += 1;
                    }
                });
                let open: Vec<String> = report
                    .assignments
                    .iter()
                    .filter(|(_, a)| a.flags & A_OPEN != 0)
                    .map(|(k, _)| k.clone())
                    .collect();
                for agency in open {
                    end(deltas, report, &agency, e.at, day, metric, wd);
                }
            }
            _ => {}
        }
    }

    /// The states to write and the increments per bucket.
    pub(crate) fn finish(self) -> (Vec<ReportState>, Vec<AssignmentState>, BucketDeltas) {
        let (mut reports, mut assignments) = (Vec::new(), Vec::new());
        for (id, r) in self.reports {
            for (agency, a) in r.assignments {
                if a.dirty {
                    assignments.push(AssignmentState {
                        report_id: id,
                        agency,
                        due_at: a.due,
                        flags: a.flags,
                    });
                }
            }
            if r.dirty {
                reports.push(ReportState {
                    report_id: id,
                    flags: r.flags,
                    received_day: r.received_day,
                    dims: r.dims,
                });
            }
        }
        let mut buckets = BucketDeltas::new();
        let codes = self.deltas.codes;
        for ((day, dim, id), c) in self.deltas.by_day {
            for b in buckets_of(day) {
                buckets
                    .entry((b, dim, codes[id as usize].clone()))
                    .or_default()
                    .add(&c);
            }
        }
        (reports, assignments, buckets)
    }
}

fn scope(deltas: &mut DayDeltas, day: i64, dim: Dim, code: &str, f: impl FnOnce(&mut Counts)) {
    f(deltas.at(day, dim, code));
}

/// The scopes a report counts in: overall and its dimensions.
fn report_scopes(deltas: &mut DayDeltas, dims: &Dims, day: i64, f: impl Fn(&mut Counts)) {
    for (dim, code) in [
        (Dim::All, ""),
        (Dim::Category, dims.category.as_str()),
        (Dim::Region, dims.region.as_str()),
        (Dim::Channel, dims.channel.as_str()),
        (Dim::Weight, dims.weight.as_str()),
    ] {
        f(deltas.at(day, dim, code));
    }
}

/// An assignment starts unless the agency holds the report already.
fn start(deltas: &mut DayDeltas, report: &mut Report, agency: String, due: Option<i64>, day: i64) {
    if report
        .assignments
        .get(&agency)
        .is_some_and(|a| a.flags & A_OPEN != 0)
    {
        return;
    }
    scope(deltas, day, Dim::Agency, &agency, |c| c.n[RECEIVED] += 1);
    report.assignments.insert(
        agency,
        Assignment {
            due,
            flags: A_OPEN,
            dirty: true,
        },
    );
}

/// An open assignment ends: passed on (`metric` FORWARDED) or with the report.
fn end(
    deltas: &mut DayDeltas,
    report: &mut Report,
    agency: &str,
    at: i64,
    day: i64,
    metric: usize,
    close_wd: Option<i64>,
) {
    let Some(a) = report.assignments.get_mut(agency) else {
        return;
    };
    if a.flags & A_OPEN == 0 {
        return;
    }
    a.flags &= !A_OPEN;
    a.dirty = true;
    scope(deltas, day, Dim::Agency, agency, |c| {
        c.n[metric] += 1;
        if let Some(wd) = close_wd {
            *c.close.entry(wd).or_insert(0) += 1;
        }
    });
    if a.flags & A_DECIDED == 0 {
        if let Some(due) = a.due {
            a.flags |= A_DECIDED;
            // Relieved before the deadline: not counted.
            if at > due {
                decide(deltas, &report.dims, agency, due, false);
            }
        }
    }
}

/// Counts a decided deadline on its day, for the agency and overall.
fn decide(deltas: &mut DayDeltas, dims: &Dims, agency: &str, due: i64, met: bool) {
    let day = wib_day(due);
    let f = |c: &mut Counts| {
        c.n[DEADLINES] += 1;
        if met {
            c.n[ON_TIME] += 1;
        }
    };
    scope(deltas, day, Dim::Agency, agency, f);
    report_scopes(deltas, dims, day, f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::hist;

    fn ev(id: i64, report_id: i64, at: i64, action: &str, detail: &str) -> RawEvent {
        RawEvent {
            id,
            report_id,
            at,
            action: action.into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn a_small_history_folds_as_documented() {
        let day0 = 1_767_200_400_000; // 2026-01-01 00:00 WIB
        let h = 3_600_000;
        let dims = Dims {
            category: "jalan".into(),
            region: "32.73".into(),
            channel: "sms".into(),
            weight: "sedang".into(),
        };
        let mut f = Fold::new(vec![], vec![], vec![(1, dims)]);
        let due = day0 + 48 * h;
        for e in [
            ev(1, 1, day0, "diterima", ""),
            ev(2, 9, day0, "tanggapan", r#"{"agency":"a"}"#), // unknown report: ignored
            ev(
                3,
                1,
                day0 + h,
                "diteruskan",
                &format!(r#"{{"agencies":["a","b"],"due":{{"a":{due},"b":{due}}}}}"#),
            ),
            ev(
                4,
                1,
                day0 + 2 * h,
                "diteruskan",
                &format!(r#"{{"agencies":["a"],"due":{{"a":{due}}}}}"#),
            ), // already open
            ev(
                5,
                1,
                day0 + 3 * h,
                "tanggapan",
                r#"{"agency":"a","first":true,"working_days":0}"#,
            ),
            ev(
                6,
                1,
                day0 + 4 * h,
                "tanggapan",
                r#"{"agency":"a","first":false,"working_days":1}"#,
            ),
            ev(7, 1, due + h, "terlambat", r#"{"agency":"b"}"#),
            ev(
                8,
                1,
                due + 2 * h,
                "dilimpahkan",
                &format!(r#"{{"from":"b","to":"c","due":{}}}"#, due + 72 * h),
            ),
            ev(
                9,
                1,
                due + 30 * h,
                "selesai",
                r#"{"rule":"puas","working_days":3}"#,
            ),
            ev(
                10,
                1,
                due + 31 * h,
                "tanggapan",
                r#"{"agency":"c","working_days":9}"#,
            ), // after the end
        ] {
            f.apply(&e);
        }
        let (reports, assignments, buckets) = f.finish();
        assert_eq!(reports.len(), 1);
        assert_eq!(
            reports[0].flags,
            R_FORWARDED | R_RESPONDED | R_OVERDUE | R_ENDED
        );
        assert_eq!(assignments.len(), 3);
        assert!(assignments.iter().all(|a| a.flags & A_OPEN == 0));
        let get = |bucket: &str, dim: Dim, code: &str| {
            buckets
                .iter()
                .find(|((b, d, c), _)| b.to_string() == bucket && *d == dim && c == code)
                .map(|(_, c)| c.clone())
                .unwrap_or_default()
        };
        let all = get("2026-01", Dim::All, "");
        assert_eq!(all.n, [1, 1, 1, 0, 0, 1, 2, 1]);
        assert_eq!(hist::encode(&all.first_response), "0:1");
        assert_eq!(hist::encode(&all.close), "3:1");
        assert_eq!(
            get("2026", Dim::Category, "jalan"),
            get("2026", Dim::All, "")
        );
        let a = get("2026-01", Dim::Agency, "a");
        assert_eq!(a.n, [1, 0, 1, 0, 0, 0, 1, 1]);
        let b = get("2026-01", Dim::Agency, "b");
        assert_eq!(b.n, [1, 1, 0, 0, 0, 1, 1, 0]);
        // c was relieved by the closing before its deadline: not a deadline.
        let c = get("2026-01", Dim::Agency, "c");
        assert_eq!(c.n, [1, 0, 1, 0, 0, 0, 0, 0]);
        assert_eq!(hist::encode(&c.close), "3:1");
        // The deadline counts on its own day (2026-01-03), the response on its.
        assert_eq!(get("2026-01-03", Dim::Agency, "a").n[DEADLINES], 1);
        assert_eq!(get("2026-01-01", Dim::Agency, "a").n[DEADLINES], 0);
    }
}
