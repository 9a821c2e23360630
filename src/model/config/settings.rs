//! Every setting a strategy reads, parsed to its type ([`Settings`]), each value that does
//! not parse named on its own control; the settings a strategy does not read hold their
//! defaults.

use super::inputs::Inputs;
use super::invalid::Invalid;
use super::run_config::{FetchConfig, RunConfig};
use super::value::parse_urls;
use crate::model::field::Field;
use crate::model::machine::cpu_count;
use crate::model::raising::{parse_raise_at, RaiseCost, Raises};
use crate::model::strategy::{Strategy, WorkerCount};
use crate::model::workload::{Shape, Workload, WorkloadKind};

/// Every setting parsed to its type, before the settings are checked together. A setting
/// the strategy does not read holds its default.
pub(super) struct Settings {
    workers: Option<u64>,
    chunksize: Option<u64>,
    items: u64,
    kind: WorkloadKind,
    cost: u64,
    shape: Shape,
    seed: u64,
    gil: bool,
    requests: u64,
    latency_ms: u64,
    limit: Option<u64>,
    timeout_ms: Option<u64>,
    return_exceptions: bool,
    urls: Vec<String>,
    raise_at: Vec<u32>,
    raise_cost: RaiseCost,
}

/// Reads the text of the settings a strategy reads, noting each value that does not parse.
struct Reader<'a> {
    inputs: &'a Inputs,
    reads: &'static [Field],
    invalid: &'a mut Invalid,
}

impl Reader<'_> {
    /// A setting parsed by `parse`: its text if the strategy reads it, else its default;
    /// `None` (and a message on its control) when it does not parse.
    fn read<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = if self.reads.contains(&field) {
            self.inputs.get(field)
        } else {
            field.default_text()
        };
        parse(text)
            .map_err(|message| self.invalid.add(field.key(), message))
            .ok()
    }

    /// A number that may be left empty (`Some(None)` when it is).
    fn optional_number(&mut self, field: Field) -> Option<Option<u64>> {
        self.read(field, |text| field.parse_number(text))
    }

    /// A number that must be given.
    fn number(&mut self, field: Field) -> Option<u64> {
        self.optional_number(field).flatten()
    }

    /// One of a list of names, as the item of `all` at its place.
    fn choice<T: Copy>(&mut self, field: Field, all: &[T]) -> Option<T> {
        self.read(field, |text| field.parse_choice(text).map(|i| all[i]))
    }

    /// `true` or `false`.
    fn flag(&mut self, field: Field) -> Option<bool> {
        self.read(field, |text| field.parse_flag(text))
    }
}

impl Settings {
    /// Parses every setting (all of them, so that each problem is named at once); `None`
    /// when one does not parse, its message then in `invalid`.
    pub(super) fn read(inputs: &Inputs, strategy: Strategy, invalid: &mut Invalid) -> Option<Self> {
        let mut reader = Reader {
            inputs,
            reads: strategy.fields(),
            invalid,
        };
        let workers = reader.optional_number(Field::Workers);
        let chunksize = reader.optional_number(Field::Chunksize);
        let items = reader.number(Field::Items);
        let cost = reader.number(Field::Cost);
        let seed = reader.number(Field::Seed);
        let requests = reader.number(Field::Requests);
        let latency_ms = reader.number(Field::LatencyMs);
        let limit = reader.optional_number(Field::Limit);
        let timeout_ms = reader.optional_number(Field::TimeoutMs);
        let kind = reader.choice(Field::Workload, &WorkloadKind::ALL);
        let shape = reader.choice(Field::Shape, &Shape::ALL);
        let gil = reader.flag(Field::Gil);
        let return_exceptions = reader.flag(Field::ReturnExceptions);
        let urls = reader.read(Field::Urls, parse_urls);
        let raise_cost = reader.choice(Field::RaiseCost, &RaiseCost::ALL);
        // Item numbers are checked against the items (all of them when Items is bad).
        let item_count = items.map_or(usize::MAX, |n| n as usize);
        let raise_at = reader.read(Field::RaiseAt, |text| parse_raise_at(text, item_count));
        Some(Self {
            workers: workers?,
            chunksize: chunksize?,
            items: items?,
            kind: kind?,
            cost: cost?,
            shape: shape?,
            seed: seed?,
            gil: gil?,
            requests: requests?,
            latency_ms: latency_ms?,
            limit: limit?,
            timeout_ms: timeout_ms?,
            return_exceptions: return_exceptions?,
            urls: urls?,
            raise_at: raise_at?,
            raise_cost: raise_cost?,
        })
    }

    /// The run these settings describe (not yet checked together).
    pub(super) fn into_config(self, strategy: Strategy, inputs: &Inputs) -> RunConfig {
        let items = self.items as usize;
        let rule = strategy.rule();
        let workers = match (rule.workers, self.workers) {
            (WorkerCount::OnePerItem, _) => items,
            (WorkerCount::Setting | WorkerCount::EventLoop, Some(given)) => given as usize,
            // Left out: the library's default on this machine, within what the page runs.
            (WorkerCount::Setting | WorkerCount::EventLoop, None) => rule
                .default_workers
                .resolve(cpu_count())
                .min(Field::Workers.range().1 as usize),
        };
        RunConfig {
            strategy,
            workers,
            chunksize: self.chunksize.map(|c| c as usize),
            items,
            workload: Workload {
                kind: self.kind,
                cost: self.cost as u32,
                shape: self.shape,
                seed: self.seed,
                items,
                raises: Raises::new(&self.raise_at, self.raise_cost),
            },
            gil: self.gil,
            fetch: FetchConfig {
                requests: if self.urls.is_empty() {
                    self.requests as usize
                } else {
                    self.urls.len()
                },
                latency_ms: self.latency_ms as u32,
                limit: self.limit.map(|l| l as usize),
                timeout_ms: self.timeout_ms.map(|t| t as u32),
                return_exceptions: self.return_exceptions,
                urls: self.urls,
            },
            given: inputs.given.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::config::Inputs;

    fn inputs(query: &str) -> Inputs {
        Inputs::from_query(query)
    }

    #[test]
    fn bad_values_get_a_message_on_their_own_control() {
        let invalid =
            inputs("workers=0&chunksize=abc&items=2000000&cost=-1&shape=wavy&workload=disk")
                .validate()
                .unwrap_err();
        assert_eq!(
            invalid.for_key("workers"),
            Some("Workers must be a whole number from 1 to 16")
        );
        assert!(invalid
            .for_key("chunksize")
            .unwrap()
            .contains("'abc' is not a whole number"));
        assert_eq!(
            invalid.for_key("items"),
            Some("Items must be a whole number from 1 to 1,000,000")
        );
        assert!(invalid
            .for_key("cost")
            .unwrap()
            .contains("'-1' is not a whole number"));
        assert_eq!(
            invalid.for_key("shape"),
            Some("Cost shape must be one of uniform, increasing, random, heavy, straggler, not 'wavy'")
        );
        assert!(invalid
            .for_key("workload")
            .unwrap()
            .contains("one of cpu, io"));
        let strategy = inputs("strategy=Pool.zap").validate().unwrap_err();
        assert!(strategy
            .for_key("strategy")
            .unwrap()
            .contains("unknown strategy 'Pool.zap'"));
        let flag = inputs("strategy=queue.Queue&gil=maybe")
            .validate()
            .unwrap_err();
        assert_eq!(
            flag.for_key("gil"),
            Some("GIL must be true or false, not 'maybe'")
        );
    }

    #[test]
    fn chunksize_zero_is_refused_and_empty_items_is_required() {
        let invalid = inputs("chunksize=0&items=").validate().unwrap_err();
        assert!(invalid.for_key("chunksize").unwrap().contains("from 1 to"));
        assert_eq!(invalid.for_key("items"), Some("Items is required"));
        let imap = inputs("strategy=Pool.imap&chunksize=0")
            .validate()
            .unwrap_err();
        assert!(imap.for_key("chunksize").unwrap().contains("from 1 to"));
    }
}
