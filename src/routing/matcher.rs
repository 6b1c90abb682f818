//! The compiled matcher: every handle, alias, place name and rule term in one
//! Aho-Corasick automaton, matched once over the text (ASCII case-insensitive,
//! whole words only), then scored per agency.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{Catalog, Decision, Stated, Suggestion};
use crate::model::{Kind, Weight};

/// Scores of the built-in signals (keyword rules carry their own).
const MENTION: f64 = 1.0; // @handle, #handle
const NAMED: f64 = 0.95; // an agency's code, handle or alias written out
const PLACE_FULL: f64 = 0.85; // "kota bandung", "kabupaten bandung"
const PLACE_BARE: f64 = 0.6; // "bandung"
const STATED_REGION: f64 = 0.7; // location.region_code given by the sender

#[derive(Debug, Clone)]
enum Action {
    Agency { agency: u32, score: f64, rule: u32 },
    Category(u32),
    Weight(Weight),
    Kind(Kind),
}

/// The compiled catalog.
pub struct Router {
    catalog: Catalog,
    automaton: AhoCorasick,
    /// Per pattern: what it means (one pattern may mean several things).
    actions: Vec<Vec<Action>>,
    /// Rule names, referred to by index from actions.
    rule_names: Vec<String>,
    /// The rule index of a region code stated by the sender.
    region_rule: u32,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("patterns", &self.actions.len())
            .finish()
    }
}

struct Builder {
    patterns: Vec<String>,
    index: HashMap<String, usize>,
    actions: Vec<Vec<Action>>,
    rule_names: Vec<String>,
}

impl Builder {
    fn add(&mut self, term: &str, action: Action) {
        let term = term.trim().to_ascii_lowercase();
        if term.len() < 2 {
            return;
        }
        let i = *self.index.entry(term.clone()).or_insert_with(|| {
            self.patterns.push(term);
            self.actions.push(Vec::new());
            self.patterns.len() - 1
        });
        self.actions[i].push(action);
    }

    fn rule(&mut self, name: String) -> u32 {
        self.rule_names.push(name);
        (self.rule_names.len() - 1) as u32
    }
}

fn is_place_prefix(alias: &str) -> bool {
    [
        "kota ",
        "kabupaten ",
        "kab. ",
        "kab ",
        "provinsi ",
        "prov. ",
    ]
    .iter()
    .any(|p| alias.starts_with(p))
}

impl Router {
    pub fn new(catalog: Catalog) -> Router {
        let mut b = Builder {
            patterns: Vec::new(),
            index: HashMap::new(),
            actions: Vec::new(),
            rule_names: Vec::new(),
        };
        for (i, a) in catalog.directory.agencies.iter().enumerate() {
            let agency = i as u32;
            for h in &a.handles {
                let h = h.trim_start_matches(['@', '#']);
                for prefix in ["@", "#"] {
                    let rule = b.rule(format!("mention:{prefix}{h}"));
                    b.add(
                        &format!("{prefix}{h}"),
                        Action::Agency {
                            agency,
                            score: MENTION,
                            rule,
                        },
                    );
                }
                let rule = b.rule(format!("name:{h}"));
                b.add(
                    h,
                    Action::Agency {
                        agency,
                        score: NAMED,
                        rule,
                    },
                );
            }
            let rule = b.rule(format!("code:{}", a.code));
            b.add(
                &a.code,
                Action::Agency {
                    agency,
                    score: NAMED,
                    rule,
                },
            );
            let rule = b.rule(format!("name:{}", a.name.to_lowercase()));
            b.add(
                &a.name,
                Action::Agency {
                    agency,
                    score: NAMED,
                    rule,
                },
            );
            for alias in &a.aliases {
                let lower = alias.to_lowercase();
                let (kind, score) = if a.kind != "pemda" {
                    ("alias", NAMED)
                } else if is_place_prefix(&lower) {
                    ("place", PLACE_FULL)
                } else {
                    ("place", PLACE_BARE)
                };
                let rule = b.rule(format!("{kind}:{lower}"));
                b.add(
                    &lower,
                    Action::Agency {
                        agency,
                        score,
                        rule,
                    },
                );
            }
        }
        for k in &catalog.rules.keyword {
            let Some(&agency) = catalog.directory.by_code.get(&k.agency) else {
                continue;
            };
            for t in &k.terms {
                let rule = b.rule(format!("keyword:{}", t.to_lowercase()));
                b.add(
                    t,
                    Action::Agency {
                        agency: agency as u32,
                        score: k.score,
                        rule,
                    },
                );
            }
        }
        for (i, c) in catalog.rules.category.iter().enumerate() {
            for t in &c.terms {
                b.add(t, Action::Category(i as u32));
            }
        }
        for w in &catalog.rules.weight {
            for t in &w.terms {
                b.add(t, Action::Weight(w.weight));
            }
        }
        for k in &catalog.rules.kind {
            for t in &k.terms {
                b.add(t, Action::Kind(k.kind));
            }
        }
        let region_rule = b.rule("region".into());
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&b.patterns)
            .expect("routing patterns compile");
        Router {
            catalog,
            automaton,
            actions: b.actions,
            rule_names: b.rule_names,
            region_rule,
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Decides for one report text.
    pub fn decide(&self, text: &str, stated: &Stated<'_>) -> Decision {
        let bytes = text.as_bytes();
        let dir = &self.catalog.directory;
        // (agency index) -> (noisy-or complement, best score, best rule, all rules)
        let mut cand: Vec<(u32, f64, f64, u32, Vec<u32>)> = Vec::new();
        let mut categories: Vec<(u32, u32)> = Vec::new();
        let mut heavy = false;
        let mut kind_hint: Option<Kind> = None;
        let add =
            |cand: &mut Vec<(u32, f64, f64, u32, Vec<u32>)>, agency: u32, score: f64, rule: u32| {
                match cand.iter_mut().find(|c| c.0 == agency) {
                    Some(c) => {
                        c.1 *= 1.0 - score;
                        if score > c.2 {
                            c.2 = score;
                            c.3 = rule;
                        }
                        if !c.4.contains(&rule) {
                            c.4.push(rule);
                        }
                    }
                    None => cand.push((agency, 1.0 - score, score, rule, vec![rule])),
                }
            };
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for m in self.automaton.find_overlapping_iter(bytes) {
            let (s, e) = (m.start(), m.end());
            let before_ok = s == 0 || !is_word(bytes[s - 1]) || !is_word(bytes[s]);
            let after_ok = e == bytes.len() || !is_word(bytes[e]) || !is_word(bytes[e - 1]);
            if before_ok && after_ok {
                found.push((s, e, m.pattern().as_usize()));
            }
        }
        // A term inside a longer matched term ("bandung" in "kota bandung") is
        // not a signal of its own.
        let covered = |&(s, e, _): &(usize, usize, usize)| {
            found
                .iter()
                .any(|&(s2, e2, _)| s2 <= s && e <= e2 && (e2 - s2) > (e - s))
        };
        let kept: Vec<(usize, usize, usize)> =
            found.iter().filter(|m| !covered(m)).copied().collect();
        for (_, _, pattern) in kept {
            let actions = &self.actions[pattern];
            // A bare place name shared by several local governments is split.
            let places = actions
                .iter()
                .filter(|a| matches!(a, Action::Agency { score, .. } if *score == PLACE_BARE))
                .count()
                .max(1) as f64;
            for a in actions {
                match *a {
                    Action::Agency {
                        agency,
                        score,
                        rule,
                    } => {
                        let s = if score == PLACE_BARE {
                            score / places
                        } else {
                            score
                        };
                        add(&mut cand, agency, s, rule);
                    }
                    Action::Category(c) => match categories.iter_mut().find(|x| x.0 == c) {
                        Some(x) => x.1 += 1,
                        None => categories.push((c, 1)),
                    },
                    Action::Weight(Weight::Berat) => heavy = true,
                    Action::Weight(_) => {}
                    Action::Kind(k) => {
                        kind_hint.get_or_insert(k);
                    }
                }
            }
        }
        if let Some(region) = stated.region_code {
            if let Some(a) = dir.by_region(region) {
                let idx = dir.by_code[&a.code] as u32;
                add(&mut cand, idx, STATED_REGION, self.region_rule);
            }
        }
        let name_of = |rule: u32| self.rule_names[rule as usize].clone();
        let mut suggestions: Vec<Suggestion> = cand
            .iter()
            .map(|(agency, complement, _, _, rules)| Suggestion {
                agency: dir.agencies[*agency as usize].code.clone(),
                score: round3(1.0 - complement),
                rules: rules.iter().map(|&r| name_of(r)).collect(),
            })
            .collect();
        suggestions.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.agency.cmp(&b.agency)));
        let best = suggestions.first();
        // The runner-up lowers confidence, unless it is only the best's parent
        // (a province named beside one of its cities).
        let rival = best.and_then(|b| {
            suggestions[1..]
                .iter()
                .find(|s| !dir.is_ancestor(&s.agency, &b.agency))
        });
        let confidence = match (best, rival) {
            (None, _) => 0.0,
            (Some(b), None) => b.score,
            (Some(b), Some(r)) => (b.score - r.score / 2.0).max(0.0),
        };
        // Two agencies named outright is a cross-sector report.
        let named = suggestions.iter().filter(|s| s.score >= 0.95).count();
        let kind = stated.kind.or(kind_hint).unwrap_or(Kind::Pengaduan);
        let weight = if heavy || named >= 2 {
            Weight::Berat
        } else if kind != Kind::Pengaduan {
            Weight::Ringan
        } else {
            Weight::Sedang
        };
        let category = match stated.category {
            Some(c) if self.catalog.rules.category_label(c).is_some() => Some(c.to_string()),
            _ => categories
                .iter()
                .max_by_key(|(i, n)| (*n, std::cmp::Reverse(*i)))
                .map(|(i, _)| self.catalog.rules.category[*i as usize].code.clone()),
        };
        let rule = best
            .and_then(|b| {
                cand.iter()
                    .find(|c| dir.agencies[c.0 as usize].code == b.agency)
                    .map(|c| name_of(c.3))
            })
            .unwrap_or_else(|| "none".into());
        Decision {
            agency: best.map(|b| b.agency.clone()),
            weight,
            kind,
            category,
            confidence: round3(confidence),
            rule,
            suggestions,
        }
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
