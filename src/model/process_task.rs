//! What crosses to a process and back, and what a process does with it: the task message
//! ([`encode_task`]) carries the function (the run's workload) and the chunk's arguments
//! pickled (protocol 4, [`crate::model::pickle`]); the process unpickles them, computes each
//! item with [`Workload::run_item`] and pickles the results ([`serve_task`], run inside the
//! process by `runtime::process`). The parent side is [`crate::model::process_pool`].

use crate::model::item_work::item_value;
use crate::model::pickle;
use crate::model::pool_map::Chunk;
use crate::model::raising::{RaiseCost, Raises, MAX_RAISING_ITEMS};
use crate::model::run_control::RunControl;
use crate::model::workload::{Shape, Workload, WorkloadKind};

/// Bytes before the pickled arguments: kind, shape, pairs flag, cost (u32), seed (u64),
/// items (u64), how long a failing item works, how many items raise and their numbers (u32
/// each, [`MAX_RAISING_ITEMS`] of them), little-endian.
pub(crate) const HEADER: usize = 3 + 4 + 8 + 8 + 2 + 4 * MAX_RAISING_ITEMS;

/// The message that sends `chunk` to a process: which function to apply (the workload; a
/// pickled function reference in CPython) and the chunk's arguments pickled, as `[x, …]` or,
/// for `starmap`, `[(x, 2), …]`.
pub fn encode_task(workload: &Workload, pairs: bool, chunk: Chunk) -> Vec<u8> {
    let kind = WorkloadKind::ALL.iter().position(|&k| k == workload.kind);
    let shape = Shape::ALL.iter().position(|&s| s == workload.shape);
    let mut message = Vec::with_capacity(HEADER + 12 + chunk.len * 5);
    message.push(kind.unwrap_or_default() as u8);
    message.push(shape.unwrap_or_default() as u8);
    message.push(u8::from(pairs));
    message.extend(workload.cost.to_le_bytes());
    message.extend(workload.seed.to_le_bytes());
    message.extend((workload.items as u64).to_le_bytes());
    let raise_cost = RaiseCost::ALL
        .iter()
        .position(|&c| c == workload.raises.cost);
    message.push(raise_cost.unwrap_or_default() as u8);
    let raising = workload.raises.numbers();
    message.push(raising.len() as u8);
    for slot in 0..MAX_RAISING_ITEMS {
        message.extend(raising.get(slot).copied().unwrap_or(0).to_le_bytes());
    }
    if pairs {
        let args: Vec<(u64, u64)> = chunk.items().map(|p| (item_value(p), 2)).collect();
        message.extend(pickle::dumps_pairs(&args));
    } else {
        let args: Vec<u64> = chunk.items().map(item_value).collect();
        message.extend(pickle::dumps_ints(&args));
    }
    message
}

/// Reads a task message: the workload and the input positions of its arguments.
fn decode_task(message: &[u8]) -> Result<(Workload, Vec<usize>), String> {
    let header = message
        .get(..HEADER)
        .ok_or("the task message is shorter than its header")?;
    let kind = *WorkloadKind::ALL
        .get(usize::from(header[0]))
        .ok_or("unknown workload kind")?;
    let shape = *Shape::ALL
        .get(usize::from(header[1]))
        .ok_or("unknown workload shape")?;
    let number = |at: usize, len: usize| {
        let mut bytes = [0u8; 8];
        bytes[..len].copy_from_slice(&header[at..at + len]);
        u64::from_le_bytes(bytes)
    };
    let raise_cost = *RaiseCost::ALL
        .get(usize::from(header[23]))
        .ok_or("unknown raise cost")?;
    let raising = usize::from(header[24]).min(MAX_RAISING_ITEMS);
    let numbers: Vec<u32> = (0..raising)
        .map(|slot| number(25 + 4 * slot, 4) as u32)
        .collect();
    let workload = Workload {
        kind,
        shape,
        cost: number(3, 4) as u32,
        seed: number(7, 8),
        items: usize::try_from(number(15, 8)).map_err(|_| "too many items")?,
        raises: Raises::new(&numbers, raise_cost),
    };
    let body = &message[HEADER..];
    let values: Vec<u64> = if header[2] == 1 {
        pickle::loads_pairs(body)?
            .into_iter()
            .map(|(x, _)| x)
            .collect()
    } else {
        pickle::loads_ints(body)?
    };
    let positions = values
        .into_iter()
        .map(|x| {
            usize::try_from(x)
                .ok()
                .filter(|&x| (1..=workload.items).contains(&x))
                .map(|x| x - 1)
                .ok_or_else(|| format!("argument {x} is not an item of the input"))
        })
        .collect::<Result<_, _>>()?;
    Ok((workload, positions))
}

/// What a process hands back for one task.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessReply {
    /// The results, pickled (`[r, …]`); an empty list's pickle when the task failed.
    pub results: Vec<u8>,
    /// When the arguments were unpickled and computing began, ms.
    pub compute_start_ms: f64,
    /// When computing ended (before the results were pickled), ms.
    pub compute_end_ms: f64,
    /// Why the task failed, if it did (a message the process could not read).
    pub error: Option<String>,
    /// The item (`1..=n`) whose call raised `ValueError`, if one did: `results` then holds the
    /// items before it, and the items after it never ran (CPython's `mapstar` stops there).
    pub raised: Option<u64>,
    /// When the results were pickled and the process was free to read its next task, ms.
    pub sent_ms: f64,
}

/// Bytes before the pickled results in a reply message: three times (f64), a flags byte
/// (1: an item raised, 2: the task failed), the item that raised (u64) and the length of
/// the failure's message (u32), little-endian; the message itself follows, then the results.
const REPLY_HEADER: usize = 3 * 8 + 1 + 8 + 4;

impl ProcessReply {
    /// The reply as the one message of bytes a process sends back (its times as they are,
    /// on the shared clock), read by [`ProcessReply::decode`].
    pub fn encode(&self) -> Vec<u8> {
        let error = self.error.as_deref().unwrap_or_default().as_bytes();
        let mut bytes = Vec::with_capacity(REPLY_HEADER + error.len() + self.results.len());
        for time in [self.compute_start_ms, self.compute_end_ms, self.sent_ms] {
            bytes.extend(time.to_le_bytes());
        }
        bytes.push(u8::from(self.raised.is_some()) | (u8::from(self.error.is_some()) << 1));
        bytes.extend(self.raised.unwrap_or_default().to_le_bytes());
        bytes.extend((error.len() as u32).to_le_bytes());
        bytes.extend(error);
        bytes.extend(&self.results);
        bytes
    }

    /// Reads a reply message, or says why it cannot be read.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let header = bytes
            .get(..REPLY_HEADER)
            .ok_or("the reply is shorter than its header")?;
        let field = |at: usize| -> [u8; 8] { header[at..at + 8].try_into().unwrap_or_default() };
        let time = |at: usize| f64::from_le_bytes(field(at));
        let flags = header[24];
        let error_len = u32::from_le_bytes(header[33..37].try_into().unwrap_or_default());
        let results_at = REPLY_HEADER + error_len as usize;
        let error = bytes
            .get(REPLY_HEADER..results_at)
            .ok_or("the reply's error is cut short")?;
        Ok(Self {
            compute_start_ms: time(0),
            compute_end_ms: time(8),
            sent_ms: time(16),
            raised: (flags & 1 != 0).then(|| u64::from_le_bytes(field(25))),
            error: (flags & 2 != 0).then(|| String::from_utf8_lossy(error).into_owned()),
            results: bytes[results_at..].to_vec(),
        })
    }
}

/// Runs one task message in a process: unpickles its arguments, computes each item with the
/// workload, pickles the results. `now_ms` reads the shared clock; `item_done(n)` is told
/// after each item how many are done (for the page's progress, not part of the protocol).
/// Never panics: a message that cannot be read is answered with the error.
pub fn serve_task(
    message: &[u8],
    now_ms: &dyn Fn() -> f64,
    item_done: &mut dyn FnMut(usize),
) -> ProcessReply {
    let fail = |why: String| {
        let at = now_ms();
        ProcessReply {
            results: pickle::dumps_ints(&[]),
            compute_start_ms: at,
            compute_end_ms: at,
            error: Some(why),
            raised: None,
            sent_ms: at,
        }
    };
    let (workload, positions) = match decode_task(message) {
        Ok(task) => task,
        Err(why) => return fail(why),
    };
    if workload.kind == WorkloadKind::Fetch {
        return fail("a process runs only the cpu and io workloads".to_owned());
    }
    // A process is stopped by terminating it: its own control is never asked to stop.
    let control = RunControl::default();
    let compute_start_ms = now_ms();
    let mut results = Vec::with_capacity(positions.len());
    let mut raised = None;
    for (done, position) in positions.into_iter().enumerate() {
        // cpu and io items fail only by raising (`raise_at`), which ends the chunk.
        let result = workload.run_item(position, None, now_ms, None, &control);
        item_done(done + 1);
        match result {
            Ok(result) => results.push(result),
            Err(error) => {
                raised = error.raised_item();
                break;
            }
        }
    }
    let compute_end_ms = now_ms();
    let results = pickle::dumps_ints(&results);
    ProcessReply {
        results,
        compute_start_ms,
        compute_end_ms,
        error: None,
        raised,
        sent_ms: now_ms(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_message_is_the_pickled_chunk_and_comes_back_as_pickled_squares() {
        let workload = Workload::cpu(10, 14);
        let chunk = Chunk {
            index: 4,
            first_item: 12,
            len: 2,
        };
        let message = encode_task(&workload, false, chunk);
        assert_eq!(
            &message[HEADER..],
            pickle::dumps_ints(&[13, 14]),
            "the arguments are pickle.dumps([13, 14], protocol=4)"
        );
        let reply = serve_task(&message, &|| 1.0, &mut |_| {});
        assert_eq!(pickle::loads_ints(&reply.results).unwrap(), [169, 196]);
        let pairs = encode_task(&workload, true, chunk);
        assert_eq!(&pairs[HEADER..], pickle::dumps_pairs(&[(13, 2), (14, 2)]));
        assert_eq!(
            pickle::loads_ints(&serve_task(&pairs, &|| 1.0, &mut |_| {}).results).unwrap(),
            [169, 196]
        );
    }

    #[test]
    fn a_reply_crosses_as_one_message_of_bytes_and_reads_back_the_same() {
        let replies = [
            ProcessReply {
                results: pickle::dumps_ints(&[169, 196]),
                compute_start_ms: 1_764_470_000_123.25,
                compute_end_ms: 1_764_470_000_125.5,
                error: None,
                raised: None,
                sent_ms: 1_764_470_000_125.75,
            },
            ProcessReply {
                results: pickle::dumps_ints(&[4]),
                compute_start_ms: 2.0,
                compute_end_ms: 3.0,
                error: None,
                raised: Some(3),
                sent_ms: 3.5,
            },
            ProcessReply {
                results: pickle::dumps_ints(&[]),
                compute_start_ms: 0.0,
                compute_end_ms: 0.0,
                error: Some("unknown workload kind ✗".to_owned()),
                raised: None,
                sent_ms: 0.0,
            },
        ];
        for reply in replies {
            assert_eq!(ProcessReply::decode(&reply.encode()), Ok(reply));
        }
        let failed = replies_cut_short();
        assert!(failed.iter().all(Result::is_err), "{failed:?}");
    }

    /// Replies cut short in their header and in their error.
    fn replies_cut_short() -> Vec<Result<ProcessReply, String>> {
        let reply = ProcessReply {
            results: Vec::new(),
            compute_start_ms: 0.0,
            compute_end_ms: 0.0,
            error: Some("why".to_owned()),
            raised: None,
            sent_ms: 0.0,
        }
        .encode();
        [10, REPLY_HEADER + 1]
            .iter()
            .map(|&len| ProcessReply::decode(&reply[..len]))
            .collect()
    }

    #[test]
    fn a_message_a_process_cannot_read_is_answered_with_why() {
        let workload = Workload::cpu(10, 3);
        let good = encode_task(
            &workload,
            false,
            Chunk {
                index: 0,
                first_item: 0,
                len: 3,
            },
        );
        for (bad, why) in [
            (vec![], "shorter than its header"),
            (good[..HEADER + 3].to_vec(), "truncated pickle"),
            (
                [&good[..HEADER], &pickle::dumps_ints(&[4])[..]].concat(),
                "argument 4 is not an item",
            ),
            ([&[9], &good[1..]].concat(), "unknown workload kind"),
        ] {
            let reply = serve_task(&bad, &|| 0.0, &mut |_| {});
            assert!(
                reply.error.as_deref().is_some_and(|e| e.contains(why)),
                "{:?} should say {why}",
                reply.error
            );
        }
    }
}
