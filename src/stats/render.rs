//! The published forms of [`Stats`]: JSON and CSV (RFC 4180, one header line,
//! the scope's line first and then, with `by=agency`, one line per agency).
//! Only counts, shares and medians appear: never a tracking ID or a text.

use serde_json::{json, Value};

use super::query::{Figures, Grouping, Stats};
use crate::routing::Directory;

/// The figure columns, in the order of [`figure_fields`].
pub const FIGURE_COLUMNS: [&str; 12] = [
    "received",
    "forwarded",
    "in_process",
    "closed",
    "rejected",
    "archived",
    "overdue",
    "deadlines",
    "on_time",
    "on_time_share",
    "median_working_days_to_first_response",
    "median_working_days_to_close",
];

/// The time zone days are counted in.
pub const TIME_ZONE: &str = "Asia/Jakarta";

fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

pub fn figure_fields(f: &Figures) -> Vec<String> {
    vec![
        f.received.to_string(),
        f.forwarded.to_string(),
        f.in_process.to_string(),
        f.closed.to_string(),
        f.rejected.to_string(),
        f.archived.to_string(),
        f.overdue.to_string(),
        f.deadlines.to_string(),
        f.on_time.to_string(),
        opt(f.on_time_share),
        opt(f.median_working_days_to_first_response),
        opt(f.median_working_days_to_close),
    ]
}

/// Appends one CSV line, quoting fields that need it.
pub fn csv_line(out: &mut String, fields: &[String]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
}

fn scope_json(s: &Stats, dir: &Directory) -> Value {
    match &s.grouping {
        Grouping::Overall => json!({"level": "overall"}),
        Grouping::Kind(k) => json!({"level": "kind", "kind": k}),
        Grouping::Agency(code) => {
            let a = dir.get(code);
            json!({
                "level": "agency",
                "agency": code,
                "name": a.map(|a| a.name.as_str()),
                "kind": a.map(|a| a.kind.as_str()),
            })
        }
    }
}

pub fn to_json(s: &Stats, dir: &Directory) -> Value {
    let mut v = json!({
        "period": {
            "from": s.period.from.to_string(),
            "to": s.period.to.to_string(),
            "timezone": TIME_ZONE,
        },
        "scope": scope_json(s, dir),
        "figures": s.figures,
    });
    if let Some(table) = &s.agencies {
        v["agencies"] = json!(table);
    }
    v
}

pub fn to_csv(s: &Stats, dir: &Directory) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = ["level", "agency", "name", "kind", "from", "to"]
        .iter()
        .map(|h| h.to_string())
        .collect();
    header.extend(FIGURE_COLUMNS.iter().map(|h| h.to_string()));
    csv_line(&mut out, &header);
    let (from, to) = (s.period.from.to_string(), s.period.to.to_string());
    let mut first = match &s.grouping {
        Grouping::Overall => vec![
            "overall".into(),
            String::new(),
            String::new(),
            String::new(),
        ],
        Grouping::Kind(k) => vec!["kind".into(), String::new(), String::new(), k.clone()],
        Grouping::Agency(code) => {
            let a = dir.get(code);
            vec![
                "agency".into(),
                code.clone(),
                a.map(|a| a.name.clone()).unwrap_or_default(),
                a.map(|a| a.kind.clone()).unwrap_or_default(),
            ]
        }
    };
    first.extend([from.clone(), to.clone()]);
    first.extend(figure_fields(&s.figures));
    csv_line(&mut out, &first);
    // An agency's own table is its first line again.
    let table = match s.grouping {
        Grouping::Agency(_) => None,
        _ => s.agencies.as_ref(),
    };
    for a in table.into_iter().flatten() {
        let mut line = vec![
            "agency".to_string(),
            a.agency.clone(),
            a.name.clone(),
            a.kind.clone(),
            from.clone(),
            to.clone(),
        ];
        line.extend(figure_fields(&a.figures));
        csv_line(&mut out, &line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut out = String::new();
        csv_line(
            &mut out,
            &["a".into(), "b,c".into(), "say \"hi\"".into(), String::new()],
        );
        assert_eq!(out, "a,\"b,c\",\"say \"\"hi\"\"\",\r\n");
    }
}
