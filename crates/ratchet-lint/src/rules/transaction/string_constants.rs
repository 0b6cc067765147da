//! Every string constant (`A_Const` holding a string) anywhere in a parse tree.
//!
//! pg_query's own `nodes()` walker only descends into the places it needs for its table
//! lists (it skips `VALUES` lists, column defaults, `ALTER TABLE` commands, ...), and a
//! hand-written walker over PostgreSQL's hundreds of node types would miss some too. The
//! protobuf types all derive `serde::Serialize`, so a serializer that records `A_Const`s as
//! the tree is serialized visits every node, whatever the statement.

use std::fmt;

use serde::ser::{self, Serialize};

/// A string literal in expression position: its value and its byte offset in the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringConstant {
    pub location: i32,
    pub value: String,
}

/// The string constants in `node`, in tree order.
pub fn string_constants(node: &pg_query::NodeEnum) -> Vec<StringConstant> {
    let mut walker = Walker::default();
    // The walker never fails; an error could only come from a foreign `Serialize` impl.
    let _ = node.serialize(&mut walker);
    walker.found
}

#[derive(Default)]
struct Walker {
    found: Vec<StringConstant>,
    /// Names of the structs being serialized, innermost last.
    structs: Vec<&'static str>,
    /// The field whose value is being serialized.
    key: &'static str,
    /// The `A_Const` being serialized, if any (they do not nest).
    pending: Option<Pending>,
    /// Inside the `Sval` variant of the pending `A_Const`'s value.
    in_sval: bool,
}

struct Pending {
    location: i32,
    value: Option<String>,
}

impl Walker {
    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> fmt::Result {
        self.key = key;
        value.serialize(&mut *self)
    }

    fn end_struct(&mut self) {
        if self.structs.pop() == Some("AConst") {
            if let Some(Pending {
                location,
                value: Some(value),
            }) = self.pending.take()
            {
                self.found.push(StringConstant { location, value });
            }
        }
    }
}

macro_rules! ignore {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, _: $ty) -> fmt::Result { Ok(()) })*
    };
}

impl ser::Serializer for &mut Walker {
    type Ok = ();
    type Error = fmt::Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    ignore!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_f32: f32,
        serialize_f64: f64,
        serialize_char: char,
        serialize_bytes: &[u8],
        serialize_unit_struct: &'static str,
    );

    fn serialize_i32(self, v: i32) -> fmt::Result {
        if self.key == "location" && self.structs.last() == Some(&"AConst") {
            if let Some(pending) = &mut self.pending {
                pending.location = v;
            }
        }
        Ok(())
    }

    fn serialize_str(self, v: &str) -> fmt::Result {
        if self.in_sval && self.key == "sval" {
            if let Some(pending) = &mut self.pending {
                pending.value = Some(v.to_owned());
            }
        }
        Ok(())
    }

    fn serialize_none(self) -> fmt::Result {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> fmt::Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> fmt::Result {
        Ok(())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> fmt::Result {
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> fmt::Result {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> fmt::Result {
        let outer = self.in_sval;
        self.in_sval = self.pending.is_some() && variant == "Sval";
        let result = value.serialize(&mut *self);
        self.in_sval = outer;
        result
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, fmt::Error> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, fmt::Error> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, fmt::Error> {
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, fmt::Error> {
        Ok(self)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, fmt::Error> {
        Ok(self)
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Self, fmt::Error> {
        if name == "AConst" {
            self.pending = Some(Pending {
                location: -1,
                value: None,
            });
        }
        self.structs.push(name);
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, fmt::Error> {
        self.structs.push(variant);
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut Walker {
    type Ok = ();
    type Error = fmt::Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> fmt::Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> fmt::Result {
        Ok(())
    }
}

impl ser::SerializeTuple for &mut Walker {
    type Ok = ();
    type Error = fmt::Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> fmt::Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> fmt::Result {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for &mut Walker {
    type Ok = ();
    type Error = fmt::Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> fmt::Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> fmt::Result {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for &mut Walker {
    type Ok = ();
    type Error = fmt::Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> fmt::Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> fmt::Result {
        Ok(())
    }
}

impl ser::SerializeMap for &mut Walker {
    type Ok = ();
    type Error = fmt::Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> fmt::Result {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> fmt::Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> fmt::Result {
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Walker {
    type Ok = ();
    type Error = fmt::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> fmt::Result {
        self.field(key, value)
    }
    fn end(self) -> fmt::Result {
        self.end_struct();
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Walker {
    type Ok = ();
    type Error = fmt::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> fmt::Result {
        self.field(key, value)
    }
    fn end(self) -> fmt::Result {
        self.end_struct();
        Ok(())
    }
}
