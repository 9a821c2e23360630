//! Why a run was refused: a message per control.

use std::collections::BTreeMap;
use std::fmt;

/// Why a run was refused: messages keyed by the control they belong to (`strategy`,
/// `workers`, …, or `run` for the run as a whole).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invalid {
    /// Message per key.
    pub messages: BTreeMap<String, String>,
}

impl Invalid {
    pub(super) fn add(&mut self, key: &str, message: String) {
        self.messages.entry(key.to_owned()).or_insert(message);
    }

    /// The message for one control, if any.
    pub fn for_key(&self, key: &str) -> Option<&str> {
        self.messages.get(key).map(String::as_str)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = self
            .messages
            .iter()
            .map(|(key, message)| format!("{key}: {message}"))
            .collect();
        f.write_str(&all.join("; "))
    }
}
