//! The public endpoints, anonymous and cacheable:
//!
//! - `GET /v1/stats?from=YYYY-MM-DD&to=YYYY-MM-DD[&agency=code|&kind=pemda][&by=agency]` → JSON
//! - `GET /v1/stats.csv?…` → the same as CSV
//!
//! `to` defaults to today (WIB) and `from` to 29 days before `to`; a period is
//! at most ten years. Bad parameters are answered 400 with
//! `{"error": "invalid_parameter", "message": …}`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jiff::civil::Date;
use serde::Deserialize;

use super::days::{number_date, wib_day};
use super::query::{summary, Grouping, Period, Stats, StatsError};
use super::render;
use super::StatsStore;
use crate::clock::Clock;
use crate::http::{error, store_error};
use crate::routing::Directory;

/// Days in the default period.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest period answered, in days.
pub const MAX_DAYS: i64 = 3653;

/// What the statistics handlers share.
#[derive(Clone)]
pub struct StatsApi {
    pub store: Arc<dyn StatsStore>,
    pub directory: Arc<Directory>,
    /// Where "today" comes from, for the default period.
    pub clock: Clock,
}

/// The statistics routes, for any outer router state.
pub fn routes<S: Clone + Send + Sync + 'static>(api: StatsApi) -> Router<S> {
    Router::new()
        .route("/v1/stats", get(json_stats))
        .route("/v1/stats.csv", get(csv_stats))
        .with_state(api)
}

/// The query string.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub from: Option<String>,
    pub to: Option<String>,
    pub agency: Option<String>,
    pub kind: Option<String>,
    pub by: Option<String>,
}

/// A validated request.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRequest {
    pub period: Period,
    pub grouping: Grouping,
    pub by_agency: bool,
}

fn date(name: &str, s: &str) -> Result<Date, String> {
    let bad = || format!("{name}: expected a date YYYY-MM-DD, got {s:?}");
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(bad());
    }
    let (y, m, d) = (&s[0..4], &s[5..7], &s[8..10]);
    let d = Date::new(
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    )
    .map_err(|_| bad())?;
    if d.year() < 1970 {
        return Err(format!("{name}: no statistics before 1970"));
    }
    Ok(d)
}

/// Checks the parameters against the directory; `today` is the WIB date.
pub fn parse(p: &Params, today: Date, dir: &Directory) -> Result<StatsRequest, String> {
    let to = match &p.to {
        Some(s) => date("to", s)?,
        None => today,
    };
    let period = match &p.from {
        Some(s) => Period {
            from: date("from", s)?,
            to,
        },
        None => Period::ending(to, DEFAULT_DAYS),
    };
    let (from_n, to_n) = period.days();
    if from_n > to_n {
        return Err("from: the period ends before it starts".into());
    }
    if to_n - from_n + 1 > MAX_DAYS {
        return Err(format!("the period is longer than {MAX_DAYS} days"));
    }
    let grouping = match (&p.agency, &p.kind) {
        (Some(_), Some(_)) => return Err("give agency or kind, not both".into()),
        (Some(a), None) => {
            if dir.get(a).is_none() {
                return Err(format!("agency: unknown agency {a:?}"));
            }
            Grouping::Agency(a.clone())
        }
        (None, Some(k)) => {
            if !crate::routing::directory::AGENCY_KINDS.contains(&k.as_str()) {
                return Err(format!(
                    "kind: unknown kind {k:?}; expected one of {}",
                    crate::routing::directory::AGENCY_KINDS.join(", ")
                ));
            }
            Grouping::Kind(k.clone())
        }
        (None, None) => Grouping::Overall,
    };
    let by_agency = match p.by.as_deref() {
        None => false,
        Some("agency") => true,
        Some(other) => return Err(format!("by: expected \"agency\", got {other:?}")),
    };
    Ok(StatsRequest {
        period,
        grouping,
        by_agency,
    })
}

fn invalid(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_parameter", message)
}

async fn answer(
    api: &StatsApi,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Stats, Response> {
    let Query(params) = q.map_err(|e| invalid(e.body_text()))?;
    let today = number_date(wib_day(api.clock.now_ms())).unwrap_or(jiff::civil::date(2000, 1, 1));
    let req = parse(&params, today, &api.directory).map_err(invalid)?;
    summary(
        &*api.store,
        &api.directory,
        req.period,
        &req.grouping,
        req.by_agency,
    )
    .await
    .map_err(|e| match e {
        StatsError::Store(e) => store_error(e),
        other => invalid(other.to_string()),
    })
}

fn cacheable(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    r
}

async fn json_stats(
    State(api): State<StatsApi>,
    q: Result<Query<Params>, QueryRejection>,
) -> Response {
    match answer(&api, q).await {
        Ok(stats) => cacheable(Json(render::to_json(&stats, &api.directory)).into_response()),
        Err(r) => r,
    }
}

async fn csv_stats(
    State(api): State<StatsApi>,
    q: Result<Query<Params>, QueryRejection>,
) -> Response {
    match answer(&api, q).await {
        Ok(stats) => {
            let name = format!(
                "attachment; filename=\"lapor-stats_{}_{}.csv\"",
                stats.period.from, stats.period.to
            );
            let mut r = render::to_csv(&stats, &api.directory).into_response();
            let headers = r.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&name) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            cacheable(r)
        }
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Directory {
        let mut d = Directory::default();
        d.add_toml(
            "test",
            r#"
[[agency]]
code = "kemenkes"
name = "Kementerian Kesehatan"
kind = "kementerian"
timezone = "Asia/Jakarta"
"#,
        )
        .unwrap();
        d
    }

    fn params(q: &[(&str, &str)]) -> Params {
        let mut p = Params::default();
        for &(k, v) in q {
            let v = Some(v.to_string());
            match k {
                "from" => p.from = v,
                "to" => p.to = v,
                "agency" => p.agency = v,
                "kind" => p.kind = v,
                "by" => p.by = v,
                _ => unreachable!(),
            }
        }
        p
    }

    #[test]
    fn parameters_are_checked() {
        let today = jiff::civil::date(2026, 3, 10);
        let d = dir();
        let ok = parse(&params(&[]), today, &d).unwrap();
        assert_eq!(ok.period.from, jiff::civil::date(2026, 2, 9));
        assert_eq!(ok.period.to, today);
        assert_eq!(ok.grouping, Grouping::Overall);
        let ok = parse(
            &params(&[("from", "2025-01-01"), ("kind", "pemda"), ("by", "agency")]),
            today,
            &d,
        )
        .unwrap();
        assert_eq!(ok.period.from, jiff::civil::date(2025, 1, 1));
        assert_eq!(ok.grouping, Grouping::Kind("pemda".into()));
        assert!(ok.by_agency);
        for bad in [
            vec![("from", "2026-1-01")],
            vec![("from", "2026-02-30")],
            vec![("to", "20260101")],
            vec![("from", "+02026-01-01")],
            vec![("from", "2026-03-11")],
            vec![("from", "1969-12-31")],
            vec![("from", "2000-01-01")],
            vec![("agency", "nope")],
            vec![("kind", "desa")],
            vec![("agency", "kemenkes"), ("kind", "kementerian")],
            vec![("by", "kind")],
        ] {
            assert!(parse(&params(&bad), today, &d).is_err(), "{bad:?}");
        }
    }
}
