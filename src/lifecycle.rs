//! The life of a report under SP4N rules: who may move it, to which state,
//! with which deadlines, and who hears about it.
//!
//! Every action here is one [`Change`]: the report's row is updated only if it
//! is still in a state the action applies to, and its events, assignments,
//! agency queue items and the messages to the reporter (outbox) are written in
//! the same transaction. Two admins, or two daemons' schedulers, racing on the
//! same report: one wins, the other is told the report moved on.
//!
//! Deadlines are in working days ([`Calendar`]) in the agency's time zone
//! (WIB for a report not yet with an agency), against [`Clock`] — the system
//! clock, or a test time source.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use crate::calendar::{Calendar, CalendarError, Zone};
use crate::clock::Clock;
use crate::identity;
use crate::metrics::Metrics;
use crate::model::{Kind, State, Weight};
use crate::outbox;
use crate::privacy::KeyringHandle;
use crate::replies::{self, NotProcessedReason};
use crate::routing::Directory;
use crate::settings;
use crate::store::{
    Account, Change, Escalation, NewAssignment, NewEvent, NewOutbound, ReportRecord, ReportUpdate,
    Store, StoreError,
};
use crate::tracking::{Minter, TrackingId};

/// Why an action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no report with this tracking ID")]
    NotFound,
    /// The report is not in a state this action applies to (or moved on meanwhile).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// This account may not act on this report.
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type ActionResult<T> = Result<T, ActionError>;

/// Verify and forward: the admin's decision.
#[derive(Debug, Clone, Deserialize)]
pub struct Forward {
    /// One agency, or several for a cross-sector report (each its own clock).
    pub agencies: Vec<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub weight: Option<String>,
}

pub struct Lifecycle {
    pub store: Arc<dyn Store>,
    pub keys: Arc<KeyringHandle>,
    pub minter: Minter,
    /// The directory, the calendar and the deadlines in working days.
    pub rules: DeadlineRules,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// Webhook sources with a callback URL: their reports' notifications go
    /// back to them.
    pub callback_sources: std::collections::HashSet<String>,
    /// `http.public_url`, for links in notifications.
    pub public_url: String,
}

fn event(at: i64, actor: &str, action: &str, detail: serde_json::Value) -> NewEvent {
    NewEvent {
        at,
        actor: actor.to_string(),
        action: action.to_string(),
        detail: detail.to_string(),
    }
}

fn states(list: &[State]) -> Vec<String> {
    list.iter().map(|s| s.as_str().to_string()).collect()
}

pub fn actor_of(a: &Account) -> String {
    match &a.agency {
        Some(agency) => format!("{}:{}@{agency}", a.role, a.name),
        None => format!("{}:{}", a.role, a.name),
    }
}

impl Lifecycle {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn deadline(&self, from: i64, days: u32, agency: Option<&str>) -> ActionResult<i64> {
        self.rules
            .deadline(from, days, agency)
            .map_err(|e| ActionError::Invalid(format!("cannot compute the deadline: {e}")))
    }

    fn working_days(&self, from: i64, to: i64, agency: Option<&str>) -> Option<u32> {
        self.rules
            .calendar
            .working_days_between(from, to, self.rules.zone(agency))
            .ok()
    }

    pub async fn find(&self, id: TrackingId) -> ActionResult<ReportRecord> {
        crate::lookup::report(&*self.store, &self.minter, id)
            .await?
            .ok_or(ActionError::NotFound)
    }

    async fn apply(&self, change: Change, what: &str) -> ActionResult<()> {
        if self.store.apply_change(&change).await? {
            Ok(())
        } else {
            Err(ActionError::Conflict(format!(
                "the report is not (or no longer) in a state where it can be {what}"
            )))
        }
    }

    /// A message to the reporter on the channel the report came from, when
    /// that channel can carry one: an SMS to the citizen's number, or a
    /// signed callback to the partner system that submitted the report (when
    /// its source has a `callback_url`). Others come with their issues.
    async fn notify(
        &self,
        r: &ReportRecord,
        purpose: &str,
        cause: &str,
        body: impl FnOnce(TrackingId) -> String,
    ) -> Vec<NewOutbound> {
        let Ok(id) = crate::tracking::parse(&r.tracking_id) else {
            return vec![];
        };
        let keys = self.keys.get();
        let cause = format!("{purpose}:{}:{cause}", r.id);
        match r.channel.as_str() {
            "sms" => {
                let Some(to) = self.reporter_phone(r).await else {
                    return vec![];
                };
                vec![outbox::message(
                    &keys,
                    "sms",
                    Some(r.id),
                    purpose,
                    &cause,
                    &to,
                    body(id),
                )]
            }
            "webhook" => {
                let Some(source) = self.webhook_source(r) else {
                    return vec![];
                };
                if !self.callback_sources.contains(&source) {
                    return vec![];
                }
                let payload = json!({
                    "type": format!("report.{purpose}"),
                    "tracking_id": r.tracking_id,
                    "message": body(id),
                    "status_url": format!("{}/v1/reports/{}", self.public_url.trim_end_matches('/'), r.tracking_id),
                });
                vec![outbox::message(
                    &keys,
                    "webhook",
                    Some(r.id),
                    purpose,
                    &cause,
                    &source,
                    payload.to_string(),
                )]
            }
            _ => vec![],
        }
    }

    /// The webhook source a report came from (its message id is `source:webhook-id`).
    fn webhook_source(&self, r: &ReportRecord) -> Option<String> {
        let sealed = r.message_id_enc.as_ref()?;
        let keys = self.keys.get();
        let id = crate::privacy::cipher::open_string(
            &keys,
            crate::privacy::cipher::Field::MessageId,
            r.id,
            sealed,
        )
        .ok()?;
        id.split_once(':').map(|(s, _)| s.to_string())
    }

    async fn reporter_phone(&self, r: &ReportRecord) -> Option<String> {
        let rec = self.store.reporter(r.id).await.ok()??;
        let keys = self.keys.get();
        match identity::open(&keys, r.id, &rec) {
            Ok(i) if i.address_kind == "phone" => i.address,
            Ok(_) => None,
            Err(e) => {
                tracing::error!(tracking_id = %r.tracking_id, error = %e, "Cannot open the reporter's address to notify them.");
                None
            }
        }
    }

    // ----- admins -----

    pub async fn forward(&self, admin: &Account, id: TrackingId, f: Forward) -> ActionResult<()> {
        let r = self.find(id).await?;
        if f.agencies.is_empty() {
            return Err(ActionError::Invalid("name at least one agency".into()));
        }
        for a in &f.agencies {
            if self.rules.directory.get(a).is_none() {
                return Err(ActionError::Invalid(format!("unknown agency {a:?}")));
            }
        }
        let kind = match &f.kind {
            Some(k) => k
                .parse::<Kind>()
                .map_err(ActionError::Invalid)?
                .as_str()
                .to_string(),
            None => r.kind.clone(),
        };
        let weight = match &f.weight {
            Some(w) => w
                .parse::<Weight>()
                .map_err(ActionError::Invalid)?
                .as_str()
                .to_string(),
            None => r.weight.clone(),
        };
        let now = self.now();
        let days = self.rules.followup_days(&weight);
        let mut assignments = Vec::new();
        let mut due = serde_json::Map::new();
        for a in &f.agencies {
            let at = self.deadline(now, days, Some(a))?;
            due.insert(a.clone(), json!(at));
            assignments.push(NewAssignment {
                agency: a.clone(),
                forwarded_at: now,
                due_at: at,
            });
        }
        let primary = f.agencies[0].clone();
        let name = self
            .rules
            .directory
            .get(&primary)
            .map_or(primary.clone(), |a| a.name.clone());
        let outbox = self
            .notify(&r, "forwarded", "1", |tid| replies::forwarded(tid, &name))
            .await;
        self.apply(
            Change {
                report_id: r.id,
                at: now,
                from_states: states(&[State::Diterima, State::MenungguInfo]),
                update: ReportUpdate {
                    state: Some(State::Diteruskan.as_str().into()),
                    agency: Some(Some(primary)),
                    kind: Some(kind.clone()),
                    category: f.category.clone().map(Some),
                    weight: Some(weight.clone()),
                    verify_due_at: Some(None),
                    info_requested_at: Some(None),
                    archive_due_at: Some(None),
                    forwarded_at: Some(Some(now)),
                    ..Default::default()
                },
                events: vec![event(
                    now,
                    &actor_of(admin),
                    State::Diteruskan.as_str(),
                    json!({"agencies": f.agencies, "due": due, "kind": kind, "category": f.category, "weight": weight}),
                )],
                new_assignments: assignments,
                enqueue: f.agencies.clone(),
                outbox,
                ..Default::default()
            },
            "forwarded",
        )
        .await
    }

    pub async fn request_info(
        &self,
        admin: &Account,
        id: TrackingId,
        question: &str,
    ) -> ActionResult<()> {
        let r = self.find(id).await?;
        if question.trim().is_empty() {
            return Err(ActionError::Invalid("ask a question".into()));
        }
        let now = self.now();
        let archive = self.deadline(now, self.rules.cfg.archive_days, None)?;
        let max = self.rules.cfg.response_max_segments;
        let outbox = self
            .notify(&r, "info_request", &now.to_string(), |tid| {
                replies::info_request_sms(&tid.to_string(), question, max)
            })
            .await;
        self.apply(
            Change {
                report_id: r.id,
                at: now,
                from_states: states(&[State::Diterima]),
                update: ReportUpdate {
                    state: Some(State::MenungguInfo.as_str().into()),
                    info_requested_at: Some(Some(now)),
                    archive_due_at: Some(Some(archive)),
                    // The verification clock pauses until the reporter answers.
                    verify_due_at: Some(None),
                    ..Default::default()
                },
                events: vec![event(
                    now,
                    &actor_of(admin),
                    State::MenungguInfo.as_str(),
                    json!({"question": question}),
                )],
                outbox,
                ..Default::default()
            },
            "asked for information",
        )
        .await
    }

    pub async fn reject(&self, admin: &Account, id: TrackingId, reason: &str) -> ActionResult<()> {
        let r = self.find(id).await?;
        let code = NotProcessedReason::from_code(reason).ok_or_else(|| {
            ActionError::Invalid(format!(
                "unknown reason {reason:?}; one of {}",
                NotProcessedReason::ALL
                    .iter()
                    .map(|r| r.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let now = self.now();
        let outbox = self
            .notify(&r, "not_processed", "1", |tid| {
                replies::not_processed(tid, code)
            })
            .await;
        self.apply(
            Change {
                report_id: r.id,
                at: now,
                from_states: states(&[State::Diterima, State::MenungguInfo]),
                update: ReportUpdate {
                    state: Some(State::TidakDiproses.as_str().into()),
                    verify_due_at: Some(None),
                    archive_due_at: Some(None),
                    closed_at: Some(Some(now)),
                    ..Default::default()
                },
                events: vec![event(
                    now,
                    &actor_of(admin),
                    State::TidakDiproses.as_str(),
                    json!({"reason": code.code()}),
                )],
                outbox,
                ..Default::default()
            },
            "rejected",
        )
        .await
    }

    pub async fn archive(&self, admin: &Account, id: TrackingId) -> ActionResult<()> {
        let r = self.find(id).await?;
        self.archive_report(&r, &actor_of(admin), None).await
    }

    async fn archive_report(
        &self,
        r: &ReportRecord,
        actor: &str,
        guard: Option<String>,
    ) -> ActionResult<()> {
        let now = self.now();
        self.apply(
            Change {
                report_id: r.id,
                at: now,
                from_states: states(&[State::MenungguInfo]),
                guard,
                update: ReportUpdate {
                    state: Some(State::Diarsipkan.as_str().into()),
                    archive_due_at: Some(None),
                    closed_at: Some(Some(now)),
                    ..Default::default()
                },
                events: vec![event(now, actor, State::Diarsipkan.as_str(), json!({}))],
                ..Default::default()
            },
            "archived",
        )
        .await
    }

    pub async fn set_flags(
        &self,
        admin: &Account,
        id: TrackingId,
        anonymous: Option<bool>,
        confidential: Option<bool>,
    ) -> ActionResult<()> {
        let r = self.find(id).await?;
        let now = self.now();
        self.apply(
            Change {
                report_id: r.id,
                at: now,
                update: ReportUpdate {
                    anonymous,
                    confidential,
                    ..Default::default()
                },
                events: vec![event(
                    now,
                    &actor_of(admin),
                    "flags",
                    json!({"anonymous": anonymous, "confidential": confidential}),
                )],
                ..Default::default()
            },
            "changed",
        )
        .await
    }

    /// Closing by an admin: after the reporter declared satisfaction (rule 1),
    /// or an endless dispute (rule 4, with the reason recorded).
    pub async fn admin_close(
        &self,
        admin: &Account,
        id: TrackingId,
        reason: Option<&str>,
    ) -> ActionResult<()> {
        let r = self.find(id).await?;
        let state: State = r.state.parse().map_err(ActionError::Invalid)?;
        let rule = match (state, reason) {
            (State::MenungguPenutupan, _) => "puas",
            (State::Ditindaklanjuti, Some(x)) if !x.trim().is_empty() => "sengketa",
            (State::Ditindaklanjuti, _) => {
                return Err(ActionError::Invalid(
                    "closing a disputed report needs the reason (rule 4: an endless dispute)"
                        .into(),
                ))
            }
            _ => {
                return Err(ActionError::Conflict(
                    "only a report the agency responded to can be closed".into(),
                ))
            }
        };
        self.close(&r, &actor_of(admin), rule, reason, None).await
    }

    async fn close(
        &self,
        r: &ReportRecord,
        actor: &str,
        rule: &str,
        reason: Option<&str>,
        guard: Option<String>,
    ) -> ActionResult<()> {
        let mut change = self.closing_change(r, actor, rule, reason).await?;
        change.guard = guard;
        change.outbox = self.notify(r, "closed", "1", replies::closed).await;
        self.apply(change, "closed").await
    }

    /// Closing a responded report by `rule`: the state, its events, the end
    /// of every open assignment.
    async fn closing_change(
        &self,
        r: &ReportRecord,
        actor: &str,
        rule: &str,
        reason: Option<&str>,
    ) -> ActionResult<Change> {
        let now = self.now();
        let wd = self.working_days(r.received_at, now, r.agency.as_deref());
        let open: Vec<(String, String)> = self
            .store
            .assignments(r.id)
            .await?
            .into_iter()
            .filter(|a| a.ended_at.is_none())
            .map(|a| (a.agency, "selesai".to_string()))
            .collect();
        Ok(Change {
            report_id: r.id,
            at: now,
            from_states: states(&[State::Ditindaklanjuti, State::MenungguPenutupan]),
            update: ReportUpdate {
                state: Some(State::Selesai.as_str().into()),
                closed_at: Some(Some(now)),
                close_rule: Some(Some(rule.into())),
                autoclose_due_at: Some(None),
                ..Default::default()
            },
            events: vec![event(
                now,
                actor,
                State::Selesai.as_str(),
                json!({"rule": rule, "reason": reason, "working_days": wd}),
            )],
            end_assignments: open,
            ..Default::default()
        })
    }

    // ----- agency officers -----

    /// The report, if this officer's agency has it (now or before).
    pub async fn for_officer(
        &self,
        officer: &Account,
        id: TrackingId,
    ) -> ActionResult<ReportRecord> {
        let r = self.find(id).await?;
        let agency = officer.agency.as_deref().unwrap_or_default();
        let mine = self
            .store
            .assignments(r.id)
            .await?
            .iter()
            .any(|a| a.agency == agency);
        if !mine {
            // Indistinguishable from a report that does not exist.
            return Err(ActionError::NotFound);
        }
        Ok(r)
    }

    pub async fn respond(&self, officer: &Account, id: TrackingId, text: &str) -> ActionResult<()> {
        let r = self.for_officer(officer, id).await?;
        if text.trim().is_empty() {
            return Err(ActionError::Invalid("the response is empty".into()));
        }
        let agency = officer.agency.clone().unwrap_or_default();
        let a = self
            .store
            .assignments(r.id)
            .await?
            .into_iter()
            .find(|a| a.agency == agency && a.ended_at.is_none())
            .ok_or_else(|| {
                ActionError::Conflict("the report is no longer with this agency".into())
            })?;
        let now = self.now();
        let first = a.first_response_at.is_none();
        let wd = self.working_days(a.forwarded_at, now, Some(&agency));
        let autoclose = self.deadline(now, self.rules.cfg.autoclose_days, Some(&agency))?;
        let name = self
            .rules
            .directory
            .get(&agency)
            .map_or(agency.clone(), |a| a.name.clone());
        let max = self.rules.cfg.response_max_segments;
        let outbox = self
            .notify(&r, "response", &now.to_string(), |tid| {
                replies::agency_response_sms(&name, &tid.to_string(), text, max)
            })
            .await;
        let d = self.store.deadlines(r.id).await?.unwrap_or_default();
        self.apply(
            Change {
                report_id: r.id,
                at: now,
                from_states: states(&[State::Diteruskan, State::Ditindaklanjuti, State::MenungguPenutupan]),
                update: ReportUpdate {
                    state: Some(State::Ditindaklanjuti.as_str().into()),
                    first_response_at: d.first_response_at.is_none().then_some(Some(now)),
                    last_response_at: Some(Some(now)),
                    autoclose_due_at: Some(Some(autoclose)),
                    ..Default::default()
                },
                events: vec![event(
                    now,
                    &actor_of(officer),
                    "tanggapan",
                    json!({"agency": agency, "text": text, "first": first, "working_days": wd, "on_time": now <= a.due_at}),
                )],
                responded: Some(agency),
                outbox,
                ..Default::default()
            },
            "responded to",
        )
        .await
    }

    pub async fn pass_on(
        &self,
        officer: &Account,
        id: TrackingId,
        to: &str,
        reason: &str,
    ) -> ActionResult<()> {
        let r = self.for_officer(officer, id).await?;
        let from = officer.agency.clone().unwrap_or_default();
        if self.rules.directory.get(to).is_none() {
            return Err(ActionError::Invalid(format!("unknown agency {to:?}")));
        }
        if to == from {
            return Err(ActionError::Invalid(
                "the report is already with this agency".into(),
            ));
        }
        if reason.trim().is_empty() {
            return Err(ActionError::Invalid(
                "say why the report goes to another agency".into(),
            ));
        }
        let open = self.store.assignments(r.id).await?;
        if !open
            .iter()
            .any(|a| a.agency == from && a.ended_at.is_none())
        {
            return Err(ActionError::Conflict(
                "the report is no longer with this agency".into(),
            ));
        }
        let now = self.now();
        let due = self.deadline(now, self.rules.followup_days(&r.weight), Some(to))?;
        self.apply(
            Change {
                report_id: r.id,
                at: now,
                from_states: states(&[State::Diteruskan, State::Ditindaklanjuti]),
                update: ReportUpdate {
                    agency: (r.agency.as_deref() == Some(from.as_str()))
                        .then(|| Some(to.to_string())),
                    ..Default::default()
                },
                events: vec![event(
                    now,
                    &actor_of(officer),
                    "dilimpahkan",
                    json!({"from": from, "to": to, "reason": reason, "due": due}),
                )],
                end_assignments: vec![(from, "dilimpahkan".into())],
                new_assignments: vec![NewAssignment {
                    agency: to.to_string(),
                    forwarded_at: now,
                    due_at: due,
                }],
                enqueue: vec![to.to_string()],
                ..Default::default()
            },
            "passed on",
        )
        .await
    }

    // ----- the reporter -----

    /// The reporter wrote in the thread (an answer to a request for
    /// information, a reaction or an objection to a response).
    pub async fn reporter_message_change(
        &self,
        r: &ReportRecord,
        text: &str,
        channel: &str,
    ) -> ActionResult<Change> {
        let now = self.now();
        let state: State = r.state.parse().map_err(ActionError::Invalid)?;
        let public = matches!(
            state,
            State::Diteruskan | State::Ditindaklanjuti | State::MenungguPenutupan
        );
        let mut change = Change {
            report_id: r.id,
            at: now,
            from_states: vec![r.state.clone()],
            events: vec![event(
                now,
                "reporter",
                "pesan_pelapor",
                json!({"channel": channel, "text": text, "public": public}),
            )],
            ..Default::default()
        };
        match state {
            State::MenungguInfo => {
                // The answer resumes verification with the days that were left.
                let d = self.store.deadlines(r.id).await?.unwrap_or_default();
                let used = d
                    .info_requested_at
                    .and_then(|at| self.working_days(r.received_at, at, None))
                    .unwrap_or(0);
                let left = self.rules.cfg.verify_days.saturating_sub(used).max(1);
                change.update = ReportUpdate {
                    state: Some(State::Diterima.as_str().into()),
                    verify_due_at: Some(Some(self.deadline(now, left, None)?)),
                    info_requested_at: Some(None),
                    archive_due_at: Some(None),
                    ..Default::default()
                };
            }
            State::Ditindaklanjuti | State::MenungguPenutupan | State::Diteruskan => {
                // A reaction stops the automatic closing; the agency sees it.
                change.update.autoclose_due_at = Some(None);
                if state == State::MenungguPenutupan {
                    change.update.state = Some(State::Ditindaklanjuti.as_str().into());
                }
                let agencies = self
                    .store
                    .assignments(r.id)
                    .await?
                    .into_iter()
                    .filter(|a| a.ended_at.is_none())
                    .map(|a| a.agency);
                change.enqueue = agencies.collect();
            }
            _ => {}
        }
        Ok(change)
    }

    /// `PUAS`: the reporter is satisfied; an admin closes (rule 1).
    pub fn reporter_satisfied_change(&self, r: &ReportRecord) -> Change {
        let now = self.now();
        Change {
            report_id: r.id,
            at: now,
            from_states: states(&[State::Ditindaklanjuti]),
            update: ReportUpdate {
                state: Some(State::MenungguPenutupan.as_str().into()),
                autoclose_due_at: Some(None),
                ..Default::default()
            },
            events: vec![event(now, "reporter", "pelapor_puas", json!({}))],
            ..Default::default()
        }
    }

    /// `TUTUP`: the reporter closes it (rule 2).
    pub async fn reporter_close_change(&self, r: &ReportRecord) -> ActionResult<Change> {
        let mut change = self.closing_change(r, "reporter", "tutup", None).await?;
        change
            .events
            .insert(0, event(change.at, "reporter", "pelapor_tutup", json!({})));
        Ok(change)
    }

    // ----- the scheduler -----

    /// One pass over every deadline that passed. Each transition is applied
    /// under a guard, so it fires once however many daemons run this.
    pub async fn tick(&self) -> Result<u64, StoreError> {
        let now = self.now();
        let mut fired = 0;
        for id in self.store.due_verifications(now, 500).await? {
            let change = Change {
                report_id: id,
                at: now,
                from_states: states(&[State::Diterima]),
                guard: Some("verify_escalated = 0".into()),
                update: ReportUpdate {
                    verify_escalated: Some(1),
                    ..Default::default()
                },
                events: vec![event(
                    now,
                    "system:scheduler",
                    "verifikasi_terlambat",
                    json!({"to": "admins"}),
                )],
                ..Default::default()
            };
            if self.store.apply_change(&change).await? {
                fired += 1;
                self.metrics.add("lapord_verification_overdue_total", "", 1);
                let tracking = self
                    .store
                    .report_by_id(id)
                    .await?
                    .map(|r| r.tracking_id)
                    .unwrap_or_default();
                tracing::warn!(tracking_id = %tracking, "Verification deadline missed; escalated to the supervising admins.");
            }
        }
        for id in self.store.due_archives(now, 500).await? {
            if let Some(r) = self.store.report_by_id(id).await? {
                if self
                    .archive_report(
                        &r,
                        "system:scheduler",
                        Some(format!("archive_due_at < {now}")),
                    )
                    .await
                    .is_ok()
                {
                    fired += 1;
                }
            }
        }
        for id in self.store.due_autocloses(now, 500).await? {
            if let Some(r) = self.store.report_by_id(id).await? {
                match self
                    .close(
                        &r,
                        "system:scheduler",
                        "otomatis",
                        None,
                        Some(format!("autoclose_due_at < {now}")),
                    )
                    .await
                {
                    Ok(()) => {
                        fired += 1;
                        tracing::info!(tracking_id = %r.tracking_id, "Closed automatically: no reaction from the reporter since the agency's last response.");
                    }
                    Err(ActionError::Store(e)) => return Err(e),
                    Err(_) => {}
                }
            }
        }
        for a in self.store.due_escalations(now, 500).await? {
            let step = self.rules.cfg.escalation_step_days;
            let parent = self
                .rules
                .directory
                .get(&a.agency)
                .map(|x| x.parent.clone())
                .filter(|p| !p.is_empty());
            // Tier 1: the agency itself; tier 2: its parent (skipped when it
            // has none); tier 3: the admins.
            let (to_level, to, enqueue) = match (a.escalation_level, &parent) {
                (0, _) => (1, a.agency.clone(), vec![a.agency.clone()]),
                (1, Some(p)) => (2, p.clone(), vec![p.clone()]),
                _ => (3, "admins".to_string(), vec![]),
            };
            let next_at = if to_level < 3 {
                self.rules.deadline(now, step, Some(&a.agency)).ok()
            } else {
                None
            };
            let action = if to_level == 1 {
                "terlambat"
            } else {
                "eskalasi"
            };
            let e = Escalation {
                assignment_id: a.id,
                report_id: a.report_id,
                from_level: a.escalation_level,
                to_level,
                next_at,
                event: event(
                    now,
                    "system:scheduler",
                    action,
                    json!({"agency": a.agency, "level": to_level, "to": to, "due_at": a.due_at}),
                ),
                enqueue,
            };
            if self.store.escalate(&e).await? {
                fired += 1;
                self.metrics
                    .add("lapord_escalations_total", &to_level.to_string(), 1);
                tracing::warn!(agency = %a.agency, level = to_level, to = %to, "Follow-up deadline missed; escalated.");
            }
        }
        Ok(fired)
    }

    /// Runs the scheduler every `interval` until `stop`; catches up at start.
    pub fn spawn_scheduler(
        self: Arc<Self>,
        interval: std::time::Duration,
        stop: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.tick().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(transitions = n, "Scheduler fired deadlines."),
                    Err(e) => tracing::warn!(error = %e, "Scheduler pass failed; retrying."),
                }
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(interval) => {}
                }
            }
        })
    }
}

/// Deadlines in working days: the calendar, the agencies' time zones from the
/// directory, and the configured numbers of days. The intake sets a new
/// report's deadlines with it, the lifecycle every later one.
#[derive(Clone)]
pub struct DeadlineRules {
    pub calendar: Calendar,
    pub directory: Arc<Directory>,
    pub cfg: settings::Lifecycle,
}

impl std::fmt::Debug for DeadlineRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadlineRules")
            .field("calendar", &self.calendar)
            .finish_non_exhaustive()
    }
}

impl DeadlineRules {
    /// The time zone deadlines of `agency` are counted in (WIB without one).
    pub fn zone(&self, agency: Option<&str>) -> Zone {
        agency
            .and_then(|a| self.directory.get(a))
            .and_then(|a| a.timezone.parse().ok())
            .unwrap_or_default()
    }

    /// `days` working days after `from` in `agency`'s zone; an error (logged)
    /// when the calendar does not cover the years it runs into.
    pub fn deadline(
        &self,
        from: i64,
        days: u32,
        agency: Option<&str>,
    ) -> Result<i64, CalendarError> {
        self.calendar
            .add_working_days(from, days, self.zone(agency))
            .inspect_err(|e| {
                tracing::error!(error = %e, "Cannot compute a deadline: add the holiday calendar of that year ([calendar] holidays).");
            })
    }

    /// Working days an agency has to follow up a report of this weight.
    pub fn followup_days(&self, weight: &str) -> u32 {
        match weight.parse::<Weight>() {
            Ok(Weight::Ringan) => self.cfg.followup_days_ringan,
            Ok(Weight::Berat) => self.cfg.followup_days_berat,
            _ => self.cfg.followup_days_sedang,
        }
    }

    pub fn verify_due(&self, received_at: i64) -> Option<i64> {
        self.deadline(received_at, self.cfg.verify_days, None).ok()
    }

    pub fn followup_due(&self, forwarded_at: i64, agency: &str, weight: &str) -> Option<i64> {
        self.deadline(forwarded_at, self.followup_days(weight), Some(agency))
            .ok()
    }
}
