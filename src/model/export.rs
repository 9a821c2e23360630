//! The exported trace, built lazily: a trace of a million tasks is tens of megabytes of JSON,
//! too much to build for every run when the caller may read only its wall time. The export
//! serialises the small fields at once and each per-task field only when it is read
//! ([`PER_TASK_FIELDS`], [`pick`]); read in full (`JSON.stringify`), it is the whole trace.

use serde::ser::{Error, Impossible, SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;

/// The trace's fields whose size grows with the number of tasks (or items, or hand-overs).
pub const PER_TASK_FIELDS: [&str; 7] = [
    "chunks",
    "arrived",
    "delivered",
    "delivered_ms",
    "queue_depth",
    "gil_slices",
    "results",
];

/// Serialises the fields of the struct `value` whose names `keep` accepts, as a map, with
/// `serializer`. Anything but a struct is refused.
pub fn pick<T: Serialize, S: Serializer>(
    value: &T,
    keep: &dyn Fn(&str) -> bool,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.serialize(Picker { serializer, keep })
}

struct Picker<'k, S> {
    serializer: S,
    keep: &'k dyn Fn(&str) -> bool,
}

/// The fields kept, written as the entries of a map.
struct Picked<'k, M> {
    map: M,
    keep: &'k dyn Fn(&str) -> bool,
}

impl<M: SerializeMap> SerializeStruct for Picked<'_, M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        if (self.keep)(key) {
            self.map.serialize_entry(key, value)?;
        }
        Ok(())
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.map.end()
    }
}

fn not_a_struct<E: Error>() -> E {
    E::custom("only the fields of a struct can be picked")
}

/// Refuses every kind of value but a struct.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, S::Error> {
            Err(not_a_struct())
        })*
    };
}

impl<'k, S: Serializer> Serializer for Picker<'k, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Picked<'k, S::SerializeMap>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(Picked {
            map: self.serializer.serialize_map(None)?,
            keep: self.keep,
        })
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }

    refuse! {
        serialize_bool(bool) -> S::Ok;
        serialize_i8(i8) -> S::Ok;
        serialize_i16(i16) -> S::Ok;
        serialize_i32(i32) -> S::Ok;
        serialize_i64(i64) -> S::Ok;
        serialize_u8(u8) -> S::Ok;
        serialize_u16(u16) -> S::Ok;
        serialize_u32(u32) -> S::Ok;
        serialize_u64(u64) -> S::Ok;
        serialize_f32(f32) -> S::Ok;
        serialize_f64(f64) -> S::Ok;
        serialize_char(char) -> S::Ok;
        serialize_str(&str) -> S::Ok;
        serialize_bytes(&[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(&'static str) -> S::Ok;
        serialize_unit_variant(&'static str, u32, &'static str) -> S::Ok;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::trace::tests::trace_of;
    use serde_json::{json, Value};

    fn picked(trace: &crate::model::trace::Trace, keep: &dyn Fn(&str) -> bool) -> Value {
        let mut out = Vec::new();
        pick(trace, keep, &mut serde_json::Serializer::new(&mut out)).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn the_small_part_and_the_per_task_fields_make_the_whole_trace() {
        let trace = trace_of(&[(0, 0, 0.0, 1.0), (1, 1, 0.5, 2.0)], &[0, 1]);
        let small = picked(&trace, &|key| !PER_TASK_FIELDS.contains(&key));
        assert_eq!(small["strategy"], json!("Pool.map"));
        assert_eq!(small["wall_ms"], json!(2.0));
        assert!(small.get("chunks").is_none() && small.get("arrived").is_none());
        let mut whole = small.as_object().unwrap().clone();
        for field in PER_TASK_FIELDS {
            let one = picked(&trace, &|key| key == field);
            assert_eq!(one.as_object().unwrap().len(), 1, "{field} is a field");
            whole.insert(field.to_owned(), one[field].clone());
        }
        assert_eq!(Value::Object(whole), serde_json::to_value(&trace).unwrap());
    }

    #[test]
    fn only_a_struct_can_be_picked() {
        let mut out = Vec::new();
        let refused = pick(
            &[1, 2],
            &|_| true,
            &mut serde_json::Serializer::new(&mut out),
        );
        assert!(refused.is_err());
    }
}
