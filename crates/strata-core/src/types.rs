//! Type constraints (`string`, `list(object({a = optional(number, 1)}))`, `any`).

use std::collections::BTreeMap;
use std::fmt;

use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// `any`: no constraint (cty's DynamicPseudoType).
    Any,
    Bool,
    Number,
    String,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(BTreeMap<String, ObjectAttr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectAttr {
    pub ty: Type,
    /// `optional(type)` or `optional(type, default)`.
    pub optional: bool,
    pub default: Option<Value>,
}

impl ObjectAttr {
    pub fn required(ty: Type) -> ObjectAttr {
        ObjectAttr { ty, optional: false, default: None }
    }
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }

    /// A short name for messages: "string", "list of string", "object".
    pub fn friendly(&self) -> String {
        match self {
            Type::Any => "any".into(),
            Type::Bool => "bool".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::List(t) => format!("list of {}", t.friendly()),
            Type::Set(t) => format!("set of {}", t.friendly()),
            Type::Map(t) => format!("map of {}", t.friendly()),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
            Type::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (k, a)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if a.optional {
                        write!(f, "{k} = optional({})", a.ty)?;
                    } else {
                        write!(f, "{k} = {}", a.ty)?;
                    }
                }
                f.write_str("})")
            }
        }
    }
}
