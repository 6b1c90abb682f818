//! Prometheus metrics, kept by hand: a few labelled counters and one latency
//! histogram are all lapord needs, and this avoids a metrics stack.
//!
//! Names: `lapord_reports_received_total{channel}`,
//! `lapord_reports_duplicate_total{channel}`, `lapord_routing_total{outcome}`,
//! `lapord_intake_batches_total`, `lapord_intake_batch_reports_total`,
//! `lapord_http_request_duration_seconds{route}` and, computed at scrape time,
//! `lapord_agency_queue_depth{agency}`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The process's metrics.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    modems: Mutex<Vec<lapor_sms::modem::ModemHandle>>,
}

impl Metrics {
    /// A modem whose state, signal and registration are rendered as gauges.
    pub fn register_modem(&self, modem: lapor_sms::modem::ModemHandle) {
        self.modems.lock().expect("metrics lock").push(modem);
    }

    /// Adds to a counter with one label value (or "" for none).
    pub fn add(&self, name: &'static str, label: &str, n: u64) {
        let mut c = self.counters.lock().expect("metrics lock");
        *c.entry((name, label.to_string())).or_default() += n;
    }

    pub fn get(&self, name: &'static str, label: &str) -> u64 {
        let c = self.counters.lock().expect("metrics lock");
        c.get(&(name, label.to_string())).copied().unwrap_or(0)
    }

    pub fn observe_request(&self, route: &str, took: Duration) {
        let secs = took.as_secs_f64();
        let mut h = self.latency.lock().expect("metrics lock");
        let h = h.entry(route.to_string()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Renders the text exposition format; `queue_depths` is read from the store.
    pub fn render(&self, queue_depths: &[(String, i64)]) -> String {
        let mut out = String::new();
        let counters = self.counters.lock().expect("metrics lock");
        let mut last = "";
        for ((name, label), v) in counters.iter() {
            if *name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            match label_name(name) {
                Some(l) => {
                    let _ = writeln!(out, "{name}{{{l}=\"{}\"}} {v}", escape(label));
                }
                None => {
                    let _ = writeln!(out, "{name} {v}");
                }
            }
        }
        drop(counters);
        let _ = writeln!(out, "# TYPE lapord_agency_queue_depth gauge");
        for (agency, depth) in queue_depths {
            let _ = writeln!(
                out,
                "lapord_agency_queue_depth{{agency=\"{}\"}} {depth}",
                escape(agency)
            );
        }
        let modems = self.modems.lock().expect("metrics lock").clone();
        if !modems.is_empty() {
            let _ = writeln!(out, "# TYPE lapord_modem_up gauge");
            let _ = writeln!(out, "# TYPE lapord_modem_registered gauge");
            let _ = writeln!(out, "# TYPE lapord_modem_signal_dbm gauge");
            let _ = writeln!(out, "# TYPE lapord_modem_storage_used gauge");
            for m in &modems {
                let s = m.status();
                let n = escape(m.name());
                let _ = writeln!(
                    out,
                    "lapord_modem_up{{modem=\"{n}\",state=\"{}\"}} {}",
                    s.state.as_str(),
                    u8::from(m.is_ready())
                );
                let _ = writeln!(
                    out,
                    "lapord_modem_registered{{modem=\"{n}\"}} {}",
                    u8::from(s.registered)
                );
                if let Some(dbm) = s.signal_dbm {
                    let _ = writeln!(out, "lapord_modem_signal_dbm{{modem=\"{n}\"}} {dbm}");
                }
                if let Some(used) = s.storage_used {
                    let _ = writeln!(out, "lapord_modem_storage_used{{modem=\"{n}\"}} {used}");
                }
                let c = s.counters;
                for (name, v) in [
                    ("received", c.received),
                    ("deleted", c.deleted),
                    ("sent", c.sent),
                    ("send_errors", c.send_errors),
                    ("timeouts", c.timeouts),
                    ("reinits", c.reinits),
                    ("reopens", c.reopens),
                ] {
                    let _ = writeln!(out, "lapord_modem_{name}_total{{modem=\"{n}\"}} {v}");
                }
            }
        }
        let _ = writeln!(out, "# TYPE lapord_http_request_duration_seconds histogram");
        for (route, h) in self.latency.lock().expect("metrics lock").iter() {
            let r = escape(route);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "lapord_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "lapord_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "lapord_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "lapord_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
        out
    }
}

fn label_name(metric: &str) -> Option<&'static str> {
    match metric {
        "lapord_reports_received_total" | "lapord_reports_duplicate_total" => Some("channel"),
        "lapord_routing_total" => Some("outcome"),
        "lapord_http_requests_total" => Some("status"),
        "lapord_sms_received_total" | "lapord_sms_quarantined_total" => Some("modem"),
        "lapord_outbox_sent_total"
        | "lapord_outbox_failed_total"
        | "lapord_outbox_retries_total" => Some("channel"),
        "lapord_sms_commands_total" => Some("purpose"),
        "lapord_sms_delivery_reports_total" => Some("outcome"),
        _ => None,
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_gauges_and_histograms() {
        let m = Metrics::default();
        m.add("lapord_reports_received_total", "webhook", 2);
        m.add("lapord_intake_batches_total", "", 1);
        m.observe_request("/healthz", Duration::from_millis(3));
        let text = m.render(&[("kemenkes".into(), 4)]);
        assert!(text.contains("lapord_reports_received_total{channel=\"webhook\"} 2"));
        assert!(text.contains("lapord_intake_batches_total 1"));
        assert!(text.contains("lapord_agency_queue_depth{agency=\"kemenkes\"} 4"));
        assert!(text.contains(
            "lapord_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "lapord_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0025\"} 0"
        ));
    }
}
