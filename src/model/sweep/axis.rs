//! A sweep's axis: one numeric setting and the values it takes, read from a JS array or
//! from the sweep form's text.

use super::MAX_SWEEP_POINTS;
use crate::model::config::ConfigValue;
use crate::model::field::{Field, FieldKind};

/// One setting swept over a list of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// The setting (a numeric one the strategy reads).
    pub field: Field,
    /// Its values, in the order given, without repeats.
    pub values: Vec<u64>,
}

impl Axis {
    /// An axis from a JS array's values (`{ workers: [1, 2, 4] }`): each a whole number in
    /// the setting's range, given as a number or as its digits.
    pub fn from_values(key: &str, values: Vec<ConfigValue>) -> Result<Self, String> {
        let field = numeric_field(key)?;
        if values.is_empty() {
            return Err(format!("the {key} axis is empty: give at least one value"));
        }
        let mut parsed = Vec::new();
        for value in values {
            let text = match value {
                ConfigValue::Number(n) => field.number_text(n),
                ConfigValue::Text(text) => Ok(text),
                other @ (ConfigValue::Missing
                | ConfigValue::Flag(_)
                | ConfigValue::Other(_)
                | ConfigValue::Unreadable(_)) => {
                    Err(format!("expected a number, not {}", other.describe()))
                }
            };
            let value = text
                .and_then(|text| field.parse_number(&text))
                .map_err(|why| format!("{key}: {why}"))?
                .ok_or_else(|| format!("{key}: an empty value is not a point"))?;
            if !parsed.contains(&value) {
                parsed.push(value);
            }
        }
        Ok(Self {
            field,
            values: parsed,
        })
    }

    /// An axis from the sweep form's text: values separated by spaces or commas, and
    /// `a..b` for every whole number from `a` to `b` (`1..4` is 1, 2, 3, 4).
    pub fn from_text(key: &str, text: &str) -> Result<Self, String> {
        let mut values = Vec::new();
        for word in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
        {
            match word.split_once("..") {
                Some((low, high)) => {
                    let field = numeric_field(key)?;
                    let bound = |text: &str| {
                        field
                            .parse_number(text)
                            .map_err(|why| format!("{key}: {why}"))?
                            .ok_or_else(|| format!("{key}: {word} needs both ends"))
                    };
                    let (low, high) = (bound(low)?, bound(high)?);
                    if high < low || high - low >= MAX_SWEEP_POINTS as u64 {
                        return Err(format!(
                            "{key}: {word} must go up, over at most {MAX_SWEEP_POINTS} values"
                        ));
                    }
                    values.extend((low..=high).map(|v| ConfigValue::Number(v as f64)));
                }
                None => values.push(ConfigValue::Text(word.to_owned())),
            }
        }
        Self::from_values(key, values)
    }
}

/// The numeric setting named `key`, or why it cannot be an axis.
fn numeric_field(key: &str) -> Result<Field, String> {
    let numeric: Vec<&str> = Field::ALL
        .into_iter()
        .filter(|f| matches!(f.kind(), FieldKind::Number { .. }))
        .map(Field::key)
        .collect();
    Field::ALL
        .into_iter()
        .find(|f| f.key() == key && matches!(f.kind(), FieldKind::Number { .. }))
        .ok_or_else(|| {
            format!(
                "{key} cannot be swept: sweep one of the numeric settings ({})",
                numeric.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sweep::test_support::numbers;

    #[test]
    fn bad_values_are_refused_with_a_clear_message() {
        let empty = Axis::from_values("workers", vec![]).unwrap_err();
        assert_eq!(empty, "the workers axis is empty: give at least one value");
        let not_number = Axis::from_values("workers", vec![ConfigValue::Flag(true)]).unwrap_err();
        assert_eq!(not_number, "workers: expected a number, not true");
        let fraction = Axis::from_values("chunksize", numbers(&[1.5])).unwrap_err();
        assert!(fraction.contains("1.5 is not a whole number"), "{fraction}");
        let out_of_range = Axis::from_values("workers", numbers(&[99.0])).unwrap_err();
        assert!(
            out_of_range.contains("Workers must be a whole number from 1 to 16"),
            "{out_of_range}"
        );
        let not_numeric = Axis::from_values("shape", numbers(&[1.0])).unwrap_err();
        assert!(
            not_numeric.starts_with("shape cannot be swept"),
            "{not_numeric}"
        );
    }

    #[test]
    fn text_axes_take_lists_and_ranges() {
        assert_eq!(
            Axis::from_text("workers", "1, 2 4..6 2").unwrap().values,
            [1, 2, 4, 5, 6]
        );
        assert!(Axis::from_text("workers", "4..2")
            .unwrap_err()
            .contains("must go up"));
        assert!(Axis::from_text("workers", "")
            .unwrap_err()
            .contains("empty"));
        assert!(Axis::from_text("workers", "two")
            .unwrap_err()
            .contains("'two' is not a whole number"));
    }
}
