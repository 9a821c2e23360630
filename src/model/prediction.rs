//! Predict, then run: a guess of a run's wall time and of the order its results arrive in,
//! typed before the run, set against what the run's trace recorded afterwards. A guess is
//! optional and never stops a run: one that cannot be read is said so and left out.

use crate::model::trace::Trace;
use crate::model::words::{ms, number};

/// A guess, as read from its two boxes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Guess {
    /// The wall time guessed, ms.
    pub wall_ms: Option<f64>,
    /// The order guessed for the tasks' results to arrive in (task numbers, from 0).
    pub order: Option<Vec<usize>>,
}

/// The most task numbers an order guess holds.
pub const MOST_GUESSED: usize = 64;

impl Guess {
    /// Reads the two boxes: a wall time in ms (digits, an optional decimal part and an
    /// optional `ms`) and an order (task numbers separated by spaces or commas). An empty
    /// box is no guess; a box that cannot be read is refused with a message.
    pub fn read(wall_text: &str, order_text: &str) -> Result<Guess, String> {
        let wall = wall_text.trim();
        let wall = wall.strip_suffix("ms").unwrap_or(wall).trim();
        let wall_ms = if wall.is_empty() {
            None
        } else {
            let plain = wall.chars().all(|c| c.is_ascii_digit() || c == '.')
                && wall.chars().filter(|&c| c == '.').count() <= 1
                && wall.chars().any(|c| c.is_ascii_digit());
            match wall.parse::<f64>() {
                Ok(value) if plain && value > 0.0 && value.is_finite() => Some(value),
                Ok(_) | Err(_) => {
                    return Err(format!(
                        "the guessed time must be a number of milliseconds above 0, such as 500, not {}",
                        crate::model::config::quote(wall_text.trim())
                    ))
                }
            }
        };
        let words: Vec<&str> = order_text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect();
        let order = if words.is_empty() {
            None
        } else {
            if words.len() > MOST_GUESSED {
                return Err(format!(
                    "guess the order of at most {MOST_GUESSED} tasks (the first ones to arrive)"
                ));
            }
            let mut order = Vec::with_capacity(words.len());
            for word in words {
                let number = word
                    .parse::<usize>()
                    .ok()
                    .filter(|_| word.chars().all(|c| c.is_ascii_digit()))
                    .ok_or_else(|| {
                        format!(
                            "the guessed order is task numbers (0, 1, 2, …) separated by spaces or commas, not {}",
                            crate::model::config::quote(word)
                        )
                    })?;
                if order.contains(&number) {
                    return Err(format!("task {number} is guessed twice in the order"));
                }
                order.push(number);
            }
            Some(order)
        };
        Ok(Guess { wall_ms, order })
    }

    /// Whether anything was guessed.
    pub fn is_empty(&self) -> bool {
        self.wall_ms.is_none() && self.order.is_none()
    }

    /// The guess set against `trace`: a sentence for the wall time, one for the order.
    pub fn outcome(&self, trace: &Trace) -> Vec<String> {
        let mut said = Vec::new();
        if let Some(guess) = self.wall_ms {
            said.push(wall_sentence(guess, trace.wall_ms));
        }
        if let Some(order) = &self.order {
            said.push(order_sentence(order, &trace.arrived));
        }
        said
    }
}

/// `you guessed 500 ms; it took 812 ms, 1.6× longer`.
pub fn wall_sentence(guess_ms: f64, took_ms: f64) -> String {
    let decimals = if guess_ms.min(took_ms) < 10.0 { 1 } else { 0 };
    let head = format!(
        "You guessed {}; it took {}",
        ms(guess_ms, decimals),
        ms(took_ms, decimals)
    );
    let ratio = took_ms / guess_ms;
    if took_ms <= 0.0 || (ratio - 1.0).abs() < 0.05 {
        format!("{head}: spot on, within 5%.")
    } else if ratio > 1.0 {
        format!("{head}, {}× longer.", number(ratio, 1))
    } else {
        format!("{head}, {}× shorter.", number(1.0 / ratio, 1))
    }
}

/// How many of the guessed positions the real arrival order matched, and that order.
pub fn order_sentence(guess: &[usize], arrived: &[usize]) -> String {
    let compared = guess.len().min(arrived.len());
    let matched = guess.iter().zip(arrived).filter(|(g, a)| g == a).count();
    let shown: Vec<String> = arrived.iter().take(20).map(usize::to_string).collect();
    let more = if arrived.len() > shown.len() {
        ", …"
    } else {
        ""
    };
    if arrived.is_empty() {
        return "Order: no result arrived, so no position to compare.".to_owned();
    }
    let extra = if guess.len() > arrived.len() {
        format!(" (only {} arrived)", arrived.len())
    } else {
        String::new()
    };
    format!(
        "Order: {matched} of {compared} guessed positions matched{extra}; the results arrived as {}{more}.",
        shown.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;
    use crate::model::trace::tests::trace_for;

    #[test]
    fn a_guess_is_read_from_its_boxes_and_bad_text_is_refused_by_name() {
        assert_eq!(Guess::read("", " "), Ok(Guess::default()));
        assert!(Guess::read("", "").unwrap().is_empty());
        assert_eq!(
            Guess::read(" 500 ms", "3, 0 1 2").unwrap(),
            Guess {
                wall_ms: Some(500.0),
                order: Some(vec![3, 0, 1, 2])
            }
        );
        assert_eq!(Guess::read("12.5", "").unwrap().wall_ms, Some(12.5));
        for bad in ["-5", "0", "1e3", "fast", "5_0", "1.2.3", "NaN", "."] {
            let message = Guess::read(bad, "").unwrap_err();
            assert!(
                message.starts_with("the guessed time must be"),
                "{bad}: {message}"
            );
        }
        assert!(Guess::read("", "1 x 2").unwrap_err().contains("not 'x'"));
        assert!(Guess::read("", "-1").is_err());
        assert_eq!(
            Guess::read("", "1 2 1").unwrap_err(),
            "task 1 is guessed twice in the order"
        );
        let many: Vec<String> = (0..65).map(|i| i.to_string()).collect();
        assert!(Guess::read("", &many.join(" "))
            .unwrap_err()
            .contains("at most 64"));
    }

    #[test]
    fn the_guessed_time_is_set_against_the_wall_time() {
        assert_eq!(
            wall_sentence(500.0, 812.0),
            "You guessed 500 ms; it took 812 ms, 1.6× longer."
        );
        assert_eq!(
            wall_sentence(2000.0, 500.0),
            "You guessed 2,000 ms; it took 500 ms, 4.0× shorter."
        );
        assert_eq!(
            wall_sentence(100.0, 103.0),
            "You guessed 100 ms; it took 103 ms: spot on, within 5%."
        );
        assert_eq!(
            wall_sentence(5.0, 7.5),
            "You guessed 5.0 ms; it took 7.5 ms, 1.5× longer."
        );
    }

    #[test]
    fn the_guessed_order_counts_matching_positions_and_shows_the_real_one() {
        assert_eq!(
            order_sentence(&[0, 1, 2, 3], &[0, 2, 1, 3]),
            "Order: 2 of 4 guessed positions matched; the results arrived as 0, 2, 1, 3."
        );
        assert_eq!(
            order_sentence(&[3], &[0, 2, 1, 3]),
            "Order: 0 of 1 guessed positions matched; the results arrived as 0, 2, 1, 3."
        );
        assert_eq!(
            order_sentence(&[1, 0, 2], &[1, 0]),
            "Order: 2 of 2 guessed positions matched (only 2 arrived); the results arrived as 1, 0."
        );
    }

    #[test]
    fn a_guess_is_judged_by_the_trace() {
        let config = Inputs::from_query("strategy=Pool.map&workers=2&items=4&chunksize=1")
            .validate()
            .unwrap();
        let mut trace = trace_for(&config, 812.0);
        trace.arrived = vec![1, 0, 2, 3];
        let guess = Guess::read("500", "0 1 2 3").unwrap();
        assert_eq!(
            guess.outcome(&trace),
            [
                "You guessed 500 ms; it took 812 ms, 1.6× longer.",
                "Order: 2 of 4 guessed positions matched; the results arrived as 1, 0, 2, 3."
            ]
        );
        assert!(Guess::default().outcome(&trace).is_empty());
    }
}
