//! Routing rules: keywords that point at an agency, the category taxonomy, and
//! the terms that set a report's weight and kind. Loaded from TOML files in the
//! format of `config/routing.toml`.

use serde::Deserialize;

/// The built-in rules.
pub const BUILTIN_RULES: &str = include_str!("../../config/routing.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordRule {
    pub agency: String,
    pub terms: Vec<String>,
    pub score: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryRule {
    pub code: String,
    pub label: String,
    #[serde(default)]
    pub terms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightRule {
    pub weight: crate::model::Weight,
    pub terms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    pub kind: crate::model::Kind,
    pub terms: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub keyword: Vec<KeywordRule>,
    #[serde(default)]
    pub category: Vec<CategoryRule>,
    #[serde(default)]
    pub weight: Vec<WeightRule>,
    #[serde(default)]
    pub kind: Vec<KindRule>,
}

impl Rules {
    pub fn add_toml(&mut self, origin: &str, text: &str) -> Result<(), Vec<String>> {
        let more: Rules = toml::from_str(text).map_err(|e| vec![format!("{origin}: {e}")])?;
        let mut problems = Vec::new();
        for k in &more.keyword {
            if !(0.0..=1.0).contains(&k.score) {
                problems.push(format!(
                    "{origin}: keyword rule for {} has score {} outside 0..1",
                    k.agency, k.score
                ));
            }
        }
        for c in &more.category {
            if self.category.iter().any(|x| x.code == c.code) {
                problems.push(format!("{origin}: category {} defined twice", c.code));
            }
        }
        self.keyword.extend(more.keyword);
        self.category.extend(more.category);
        self.weight.extend(more.weight);
        self.kind.extend(more.kind);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    pub fn category_label(&self, code: &str) -> Option<&str> {
        self.category
            .iter()
            .find(|c| c.code == code)
            .map(|c| c.label.as_str())
    }
}
