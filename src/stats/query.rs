//! Statistics for a period, from the counters: the flows of the period are
//! the sum of the buckets that cover it ([`days::cover`]), and in_process at
//! its end is everything that came in minus everything that went out before
//! it (summed by the database over the buckets before the period) plus the
//! period's own balance. Per kind of agency, the agencies of that kind in the
//! directory are summed (their histograms merged, so medians stay exact).

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use super::days::{self, cover, date_number, number_date, EPOCH};
use super::{hist, Counts, Dim, Scope, StatsStore, DEADLINES, ON_TIME};
use crate::routing::directory::AGENCY_KINDS;
use crate::routing::Directory;
use crate::store::StoreError;

/// Days `from..=to`, WIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// The `n` days that end with `to`.
    pub fn ending(to: Date, n: i64) -> Period {
        let from = number_date(date_number(to) - (n - 1)).unwrap_or(to);
        Period { from, to }
    }

    /// The WIB day numbers of the first and last day.
    pub fn days(&self) -> (i64, i64) {
        (date_number(self.from), date_number(self.to))
    }
}

/// Whose figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    Overall,
    Agency(String),
    Kind(String),
}

/// The published figures of a scope and period (see the module `stats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub received: i64,
    pub forwarded: i64,
    pub in_process: i64,
    pub closed: i64,
    pub rejected: i64,
    pub archived: i64,
    pub overdue: i64,
    pub deadlines: i64,
    pub on_time: i64,
    /// on_time / deadlines to 4 decimal places; `None` without deadlines.
    pub on_time_share: Option<f64>,
    pub median_working_days_to_first_response: Option<f64>,
    pub median_working_days_to_close: Option<f64>,
}

impl Figures {
    pub fn from_counts(c: &Counts, in_process: i64) -> Figures {
        Figures {
            received: c.n[super::RECEIVED],
            forwarded: c.n[super::FORWARDED],
            in_process,
            closed: c.n[super::CLOSED],
            rejected: c.n[super::REJECTED],
            archived: c.n[super::ARCHIVED],
            overdue: c.n[super::OVERDUE],
            deadlines: c.n[DEADLINES],
            on_time: c.n[ON_TIME],
            on_time_share: (c.n[DEADLINES] > 0).then(|| {
                (c.n[ON_TIME] as f64 / c.n[DEADLINES] as f64 * 10_000.0).round() / 10_000.0
            }),
            median_working_days_to_first_response: hist::median(&c.first_response),
            median_working_days_to_close: hist::median(&c.close),
        }
    }
}

/// One agency's line of a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencyFigures {
    pub agency: String,
    /// From the directory ('' for a code it does not know).
    pub name: String,
    pub kind: String,
    pub figures: Figures,
}

/// An answer: the scope's figures and, when asked, one line per agency of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub period: Period,
    pub grouping: Grouping,
    pub figures: Figures,
    pub agencies: Option<Vec<AgencyFigures>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("unknown agency {0:?}")]
    UnknownAgency(String),
    #[error("unknown kind of agency {0:?}; expected one of {kinds}", kinds = AGENCY_KINDS.join(", "))]
    UnknownKind(String),
    #[error("the period ends before it starts")]
    EmptyPeriod,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn names(buckets: Vec<days::Bucket>) -> Vec<String> {
    buckets.iter().map(|b| b.to_string()).collect()
}

/// Figures of a scope for a period; with `by_agency`, also one line per
/// agency of the scope (every agency of the directory overall, those of the
/// kind for a kind).
pub async fn summary(
    store: &dyn StatsStore,
    dir: &Directory,
    period: Period,
    grouping: &Grouping,
    by_agency: bool,
) -> Result<Stats, StatsError> {
    let (from, to) = period.days();
    if from > to {
        return Err(StatsError::EmptyPeriod);
    }
    match grouping {
        Grouping::Agency(code) if dir.get(code).is_none() => {
            return Err(StatsError::UnknownAgency(code.clone()))
        }
        Grouping::Kind(kind) if !AGENCY_KINDS.contains(&kind.as_str()) => {
            return Err(StatsError::UnknownKind(kind.clone()))
        }
        _ => {}
    }
    let during = names(cover(from, to));
    let before = names(cover(EPOCH, from - 1));
    let one = |dim: Dim, code: &str| {
        let code = code.to_string();
        let (during, before) = (&during, &before);
        async move {
            let scope = Scope::One(dim, &code);
            let mut c = Counts::default();
            for row in store.stats_sums(during, scope).await? {
                c.add_row(&row)?;
            }
            let carried: i64 = store
                .stats_balance(before, scope)
                .await?
                .iter()
                .map(|r| r.2)
                .sum();
            let in_process = carried + c.balance(dim);
            Ok::<_, StoreError>(Figures::from_counts(&c, in_process))
        }
    };
    let (figures, agencies) = match grouping {
        Grouping::Overall if !by_agency => (one(Dim::All, "").await?, None),
        Grouping::Agency(code) => {
            let f = one(Dim::Agency, code).await?;
            let table = by_agency.then(|| vec![agency_line(dir, code, f.clone())]);
            (f, table)
        }
        Grouping::Overall | Grouping::Kind(_) => {
            let per = every_agency(store, &during, &before).await?;
            let kind = match grouping {
                Grouping::Kind(k) => Some(k.as_str()),
                _ => None,
            };
            let mut codes: Vec<&str> = dir
                .agencies
                .iter()
                .filter(|a| kind.is_none_or(|k| a.kind == k))
                .map(|a| a.code.as_str())
                .collect();
            if kind.is_none() {
                // Codes the events name that the directory no longer has.
                codes.extend(
                    per.keys()
                        .map(String::as_str)
                        .filter(|c| dir.get(c).is_none()),
                );
            }
            codes.sort_unstable();
            let mut total = Counts::default();
            let mut total_in_process = 0;
            let mut table = Vec::new();
            for code in codes {
                let (c, in_process) = per.get(code).cloned().unwrap_or_default();
                total.add(&c);
                total_in_process += in_process;
                table.push(agency_line(dir, code, Figures::from_counts(&c, in_process)));
            }
            let figures = match kind {
                Some(_) => Figures::from_counts(&total, total_in_process),
                None => one(Dim::All, "").await?,
            };
            (figures, by_agency.then_some(table))
        }
    };
    Ok(Stats {
        period,
        grouping: grouping.clone(),
        figures,
        agencies,
    })
}

fn agency_line(dir: &Directory, code: &str, figures: Figures) -> AgencyFigures {
    let a = dir.get(code);
    AgencyFigures {
        agency: code.to_string(),
        name: a.map(|a| a.name.clone()).unwrap_or_default(),
        kind: a.map(|a| a.kind.clone()).unwrap_or_default(),
        figures,
    }
}

/// Every agency's counts over `during` and in_process at its end.
async fn every_agency(
    store: &dyn StatsStore,
    during: &[String],
    before: &[String],
) -> Result<BTreeMap<String, (Counts, i64)>, StoreError> {
    let scope = Scope::Every(Dim::Agency);
    let mut per: BTreeMap<String, (Counts, i64)> = BTreeMap::new();
    for row in store.stats_sums(during, scope).await? {
        per.entry(row.code.clone()).or_default().0.add_row(&row)?;
    }
    for (_, code, carried) in store.stats_balance(before, scope).await? {
        per.entry(code).or_default().1 += carried;
    }
    for (c, in_process) in per.values_mut() {
        *in_process += c.balance(Dim::Agency);
    }
    Ok(per)
}

/// The operators' breakdown: which dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportDetail {
    /// Overall and every dimension below.
    Everything,
    Category,
    /// The regency ("32.73") of the report's region code.
    Region,
    Channel,
    Weight,
    Agency,
}

impl std::str::FromStr for ExportDetail {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "all" | "everything" => ExportDetail::Everything,
            "category" => ExportDetail::Category,
            "region" => ExportDetail::Region,
            "channel" => ExportDetail::Channel,
            "weight" => ExportDetail::Weight,
            "agency" => ExportDetail::Agency,
            other => {
                return Err(format!(
                    "unknown breakdown {other:?}; expected category, region, channel, weight, agency or all"
                ))
            }
        })
    }
}

/// Per day and per value of the chosen dimensions, CSV: a line for each day
/// on which something was counted for that value; in_process is as of the
/// end of that day (on days without a line it is the last line's). The
/// histograms are given as stored (`wd:n,…`), so that any range of days can be
/// re-aggregated exactly. Counts only: no report is identifiable.
pub async fn export(
    store: &dyn StatsStore,
    dir: &Directory,
    period: Period,
    detail: ExportDetail,
) -> Result<String, StatsError> {
    let (from, to) = period.days();
    if from > to {
        return Err(StatsError::EmptyPeriod);
    }
    let dims: &[Dim] = match detail {
        ExportDetail::Everything => &[
            Dim::All,
            Dim::Category,
            Dim::Region,
            Dim::Channel,
            Dim::Weight,
            Dim::Agency,
        ],
        ExportDetail::Category => &[Dim::Category],
        ExportDetail::Region => &[Dim::Region],
        ExportDetail::Channel => &[Dim::Channel],
        ExportDetail::Weight => &[Dim::Weight],
        ExportDetail::Agency => &[Dim::Agency],
    };
    let day_names: Vec<String> = (from..=to)
        .map(|d| days::buckets_of(d)[0].to_string())
        .collect();
    let before = names(cover(EPOCH, from - 1));
    let mut out = String::from("day,dimension,code,name");
    for m in super::render::FIGURE_COLUMNS {
        out.push(',');
        out.push_str(m);
    }
    out.push_str(",first_response_histogram,close_histogram\n");
    for &dim in dims {
        let scope = Scope::Every(dim);
        // code → day → counts
        let mut per: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
        for row in store.stats_rows(&day_names, scope).await? {
            per.entry(row.code.clone())
                .or_default()
                .entry(row.bucket.clone())
                .or_default()
                .add_row(&row)?;
        }
        let mut carried: BTreeMap<String, i64> = BTreeMap::new();
        for (_, code, n) in store.stats_balance(&before, scope).await? {
            carried.insert(code, n);
        }
        for (code, by_day) in per {
            let mut in_process = carried.get(&code).copied().unwrap_or(0);
            let name = match dim {
                Dim::Agency => dir.get(&code).map(|a| a.name.as_str()).unwrap_or(""),
                _ => "",
            };
            for (day, c) in by_day {
                in_process += c.balance(dim);
                let f = Figures::from_counts(&c, in_process);
                let mut fields = vec![
                    day.clone(),
                    dim.as_str().to_string(),
                    code.clone(),
                    name.to_string(),
                ];
                fields.extend(super::render::figure_fields(&f));
                fields.push(hist::encode(&c.first_response));
                fields.push(hist::encode(&c.close));
                super::render::csv_line(&mut out, &fields);
            }
        }
    }
    Ok(out)
}
