//! The bytes a process pool moves: the subset of pickle protocol 4 (`Lib/pickle.py`) that a
//! chunk of integer arguments, argument pairs or results needs. Process strategies really
//! encode each chunk to these bytes on the way to the worker and decode them there, and the
//! same for the results on the way back, as CPython's `Pool` and `ProcessPoolExecutor` do.
//! The output is byte for byte what `pickle.dumps(list, protocol=4)` gives.

const PROTO: u8 = 0x80;
const FRAME: u8 = 0x95;
const EMPTY_LIST: u8 = b']';
const MEMOIZE: u8 = 0x94;
const MARK: u8 = b'(';
const APPENDS: u8 = b'e';
const STOP: u8 = b'.';
const BININT1: u8 = b'K';
const BININT2: u8 = b'M';
const BININT: u8 = b'J';
const LONG1: u8 = 0x8a;
const TUPLE2: u8 = 0x86;

fn push_int(out: &mut Vec<u8>, value: u64) {
    if value < 256 {
        out.extend([BININT1, value as u8]);
    } else if value < 65_536 {
        out.push(BININT2);
        out.extend((value as u16).to_le_bytes());
    } else if value <= i32::MAX as u64 {
        out.push(BININT);
        out.extend((value as i32).to_le_bytes());
    } else {
        // Two's complement, little-endian, as few bytes as keep the sign bit clear.
        let mut bytes = value.to_le_bytes().to_vec();
        while bytes.len() > 1 && bytes[bytes.len() - 1] == 0 && bytes[bytes.len() - 2] & 0x80 == 0 {
            bytes.pop();
        }
        if bytes[bytes.len() - 1] & 0x80 != 0 {
            bytes.push(0);
        }
        out.extend([LONG1, bytes.len() as u8]);
        out.extend(bytes);
    }
}

fn framed(body: Vec<u8>) -> Vec<u8> {
    let mut out = vec![PROTO, 4];
    // CPython frames only bodies of at least 4 bytes.
    if body.len() >= 4 {
        out.push(FRAME);
        out.extend((body.len() as u64).to_le_bytes());
    }
    out.extend(body);
    out
}

fn list_body(items: usize, push_items: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = vec![EMPTY_LIST, MEMOIZE];
    if items > 0 {
        body.push(MARK);
        push_items(&mut body);
        body.push(APPENDS);
    }
    body.push(STOP);
    body
}

/// `pickle.dumps([a, b, …], protocol=4)` for non-negative integers.
pub fn dumps_ints(values: &[u64]) -> Vec<u8> {
    framed(list_body(values.len(), |body| {
        values.iter().for_each(|&v| push_int(body, v));
    }))
}

/// `pickle.dumps([(a, b), …], protocol=4)` for pairs of non-negative integers (starmap).
pub fn dumps_pairs(pairs: &[(u64, u64)]) -> Vec<u8> {
    framed(list_body(pairs.len(), |body| {
        for &(a, b) in pairs {
            push_int(body, a);
            push_int(body, b);
            body.extend([TUPLE2, MEMOIZE]);
        }
    }))
}

/// One value read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    Int(u64),
    Pair(u64, u64),
}

/// Reads what [`dumps_ints`] or [`dumps_pairs`] wrote.
fn loads(bytes: &[u8]) -> Result<Vec<Value>, String> {
    let mut at = 0;
    let mut next = |n: usize| -> Result<&[u8], String> {
        let slice = bytes.get(at..at + n).ok_or("truncated pickle")?;
        at += n;
        Ok(slice)
    };
    if next(2)? != [PROTO, 4] {
        return Err("not a protocol 4 pickle".into());
    }
    let mut stack: Vec<Value> = Vec::new();
    loop {
        match next(1)?[0] {
            FRAME => {
                next(8)?;
            }
            EMPTY_LIST | MEMOIZE | MARK | APPENDS => {}
            BININT1 => stack.push(Value::Int(u64::from(next(1)?[0]))),
            BININT2 => {
                let b = next(2)?;
                stack.push(Value::Int(u64::from(u16::from_le_bytes([b[0], b[1]]))));
            }
            BININT => {
                let b = next(4)?;
                stack.push(Value::Int(
                    i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64
                ));
            }
            LONG1 => {
                let n = usize::from(next(1)?[0]);
                let b = next(n)?;
                let mut le = [0u8; 8];
                for (slot, byte) in le.iter_mut().zip(b) {
                    *slot = *byte;
                }
                stack.push(Value::Int(u64::from_le_bytes(le)));
            }
            TUPLE2 => match (stack.pop(), stack.pop()) {
                (Some(Value::Int(b)), Some(Value::Int(a))) => stack.push(Value::Pair(a, b)),
                _ => return Err("bad tuple".into()),
            },
            STOP => return Ok(stack),
            op => return Err(format!("unexpected opcode {op:#04x}")),
        }
    }
}

/// `pickle.loads` of a list of integers.
pub fn loads_ints(bytes: &[u8]) -> Result<Vec<u64>, String> {
    loads(bytes)?
        .into_iter()
        .map(|v| match v {
            Value::Int(i) => Ok(i),
            Value::Pair(..) => Err("expected integers".to_owned()),
        })
        .collect()
}

/// `pickle.loads` of a list of integer pairs.
pub fn loads_pairs(bytes: &[u8]) -> Result<Vec<(u64, u64)>, String> {
    loads(bytes)?
        .into_iter()
        .map(|v| match v {
            Value::Pair(a, b) => Ok((a, b)),
            Value::Int(_) => Err("expected pairs".to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_match_cpython_pickle_protocol_4() {
        // python3 -c "import pickle; print(pickle.dumps([1, 2, 3], protocol=4))"
        assert_eq!(
            dumps_ints(&[1, 2, 3]),
            b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02K\x03e."
        );
        assert_eq!(
            dumps_ints(&[1, 300, 70000, 1 << 40]),
            b"\x80\x04\x95\x17\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01M,\x01Jp\x11\x01\x00\x8a\x06\x00\x00\x00\x00\x00\x01e."
        );
        assert_eq!(
            dumps_pairs(&[(1, 2), (3, 2)]),
            b"\x80\x04\x95\x11\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02\x86\x94K\x03K\x02\x86\x94e."
        );
        assert_eq!(dumps_ints(&[]), b"\x80\x04]\x94.");
    }

    #[test]
    fn what_is_dumped_loads_back() {
        let values = [
            0,
            1,
            255,
            256,
            65_535,
            65_536,
            i32::MAX as u64,
            1 << 31,
            1 << 40,
            u64::MAX >> 1,
        ];
        assert_eq!(loads_ints(&dumps_ints(&values)).unwrap(), values);
        let pairs = [(1, 2), (70_000, 2), (1 << 35, 3)];
        assert_eq!(loads_pairs(&dumps_pairs(&pairs)).unwrap(), pairs);
        assert!(loads_ints(b"\x80\x04]\x94(K").is_err());
    }
}
