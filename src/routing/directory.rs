//! The agency directory: who can be sent a report. Loaded from TOML files in the
//! format of `config/agencies.toml` (the shipped directory is built in, and
//! operators add files for the institutions it lacks).

use std::collections::HashMap;

use serde::Deserialize;

/// The built-in directory.
pub const BUILTIN_AGENCIES: &str = include_str!("../../config/agencies.toml");

/// Kinds of agency in the directory.
pub const AGENCY_KINDS: [&str; 6] = [
    "kementerian",
    "lembaga",
    "pemda",
    "bumn",
    "perguruan_tinggi",
    "perwakilan_ri",
];

/// The time zones Indonesian agencies keep.
pub const TIME_ZONES: [&str; 3] = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub parent: String,
    pub timezone: String,
    #[serde(default)]
    pub handles: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Kemendagri region code, for local governments.
    #[serde(default)]
    pub region: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    agency: Vec<Agency>,
}

/// All agencies, by code, in load order.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub agencies: Vec<Agency>,
    pub by_code: HashMap<String, usize>,
}

impl Directory {
    pub fn get(&self, code: &str) -> Option<&Agency> {
        self.by_code.get(code).map(|&i| &self.agencies[i])
    }

    /// Adds the agencies of one file; `origin` names it in problems.
    pub fn add_toml(&mut self, origin: &str, text: &str) -> Result<(), Vec<String>> {
        let file: File = toml::from_str(text).map_err(|e| vec![format!("{origin}: {e}")])?;
        let mut problems = Vec::new();
        for a in file.agency {
            let valid_code = !a.code.is_empty()
                && a.code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            if !valid_code {
                problems.push(format!(
                    "{origin}: agency code {:?} must be lowercase letters, digits, - and .",
                    a.code
                ));
                continue;
            }
            if self.by_code.contains_key(&a.code) {
                problems.push(format!("{origin}: agency code {} defined twice", a.code));
                continue;
            }
            if !AGENCY_KINDS.contains(&a.kind.as_str()) {
                problems.push(format!(
                    "{origin}: agency {} has unknown kind {}",
                    a.code, a.kind
                ));
            }
            if !TIME_ZONES.contains(&a.timezone.as_str()) {
                problems.push(format!(
                    "{origin}: agency {} has time zone {}, not one of {}",
                    a.code,
                    a.timezone,
                    TIME_ZONES.join(", ")
                ));
            }
            if a.name.trim().is_empty() {
                problems.push(format!("{origin}: agency {} has no name", a.code));
            }
            self.by_code.insert(a.code.clone(), self.agencies.len());
            self.agencies.push(a);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Checks what needs the whole directory: every parent exists, no cycles.
    pub fn check_parents(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for a in &self.agencies {
            if !a.parent.is_empty() && self.get(&a.parent).is_none() {
                problems.push(format!("agency {} has unknown parent {}", a.code, a.parent));
            }
            let mut seen = 0;
            let mut cur = a;
            while !cur.parent.is_empty() {
                match self.get(&cur.parent) {
                    Some(p) => cur = p,
                    None => break,
                }
                seen += 1;
                if seen > self.agencies.len() {
                    problems.push(format!("agency {} is in a parent cycle", a.code));
                    break;
                }
            }
        }
        problems
    }

    /// True when `ancestor` is a parent, grandparent, … of `code`.
    pub fn is_ancestor(&self, ancestor: &str, code: &str) -> bool {
        let mut cur = self.get(code);
        let mut steps = 0;
        while let Some(a) = cur {
            if a.parent.is_empty() || steps > 16 {
                return false;
            }
            if a.parent == ancestor {
                return true;
            }
            cur = self.get(&a.parent);
            steps += 1;
        }
        false
    }

    /// The local government of a Kemendagri region code, or of the nearest
    /// enclosing region that has one ("32.73.01" → "32.73").
    pub fn by_region(&self, region: &str) -> Option<&Agency> {
        let mut r = region;
        loop {
            if let Some(a) = self.agencies.iter().find(|a| a.region == r) {
                return Some(a);
            }
            r = &r[..r.rfind('.')?];
        }
    }
}
