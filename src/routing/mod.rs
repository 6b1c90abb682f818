//! Routing: which agency must act on a report, and how heavy it is.
//!
//! The directory (`directory`) and the rules (`rules`) are compiled into one
//! Aho-Corasick automaton (`matcher`), so a decision is one pass over the text
//! whatever the number of agencies and rules. The [`Decision`] carries the agency,
//! the weight, a confidence and the rules that fired; above the configured
//! threshold the intake forwards at once, below it the report waits for
//! verification with the ranked suggestions.

pub mod directory;
mod matcher;
pub mod rules;

use serde::{Deserialize, Serialize};

pub use directory::{Agency, Directory};
pub use matcher::Router;
pub use rules::Rules;

use crate::model::{Kind, Weight};
use crate::settings;

/// The loaded directory and rules.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub directory: Directory,
    pub rules: Rules,
}

impl Catalog {
    /// Loads the configured files. Problems come back as (key, message).
    pub fn load(cfg: &settings::Routing) -> Result<Catalog, Vec<(String, String)>> {
        let mut c = Catalog::default();
        let mut problems = Vec::new();
        for (i, entry) in cfg.agencies.iter().enumerate() {
            let key = format!("routing.agencies[{i}]");
            match read(entry, directory::BUILTIN_AGENCIES) {
                Ok((origin, text)) => {
                    if let Err(es) = c.directory.add_toml(&origin, &text) {
                        problems.extend(es.into_iter().map(|e| (key.clone(), e)));
                    }
                }
                Err(e) => problems.push((key, e)),
            }
        }
        for e in c.directory.check_parents() {
            problems.push(("routing.agencies".into(), e));
        }
        for (i, entry) in cfg.rules.iter().enumerate() {
            let key = format!("routing.rules[{i}]");
            match read(entry, rules::BUILTIN_RULES) {
                Ok((origin, text)) => {
                    if let Err(es) = c.rules.add_toml(&origin, &text) {
                        problems.extend(es.into_iter().map(|e| (key.clone(), e)));
                    }
                }
                Err(e) => problems.push((key, e)),
            }
        }
        for k in &c.rules.keyword {
            if c.directory.get(&k.agency).is_none() {
                problems.push((
                    "routing.rules".into(),
                    format!("keyword rule names unknown agency {}", k.agency),
                ));
            }
        }
        if problems.is_empty() {
            Ok(c)
        } else {
            Err(problems)
        }
    }
}

fn read(entry: &str, builtin: &str) -> Result<(String, String), String> {
    if entry == "builtin" {
        return Ok(("builtin".into(), builtin.to_string()));
    }
    std::fs::read_to_string(entry)
        .map(|t| (entry.to_string(), t))
        .map_err(|e| format!("cannot read {entry}: {e}"))
}

/// One ranked candidate agency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub agency: String,
    pub score: f64,
    /// The rules that pointed here, e.g. `mention:@kemenkes`, `place:bandung`.
    pub rules: Vec<String>,
}

/// What routing decided for one report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The best agency, if any rule pointed anywhere.
    pub agency: Option<String>,
    pub weight: Weight,
    pub kind: Kind,
    pub category: Option<String>,
    /// 0..1: how sure the decision is; compared with `routing.forward_threshold`.
    pub confidence: f64,
    /// The rule that decided (the strongest of the best agency), or "none".
    pub rule: String,
    /// Every candidate, best first.
    pub suggestions: Vec<Suggestion>,
}

/// What a report states about itself, which wins over guesses.
#[derive(Debug, Clone, Default)]
pub struct Stated<'a> {
    pub kind: Option<Kind>,
    pub category: Option<&'a str>,
    pub region_code: Option<&'a str>,
}
