//! Reading a planned object's arguments and setting its computed attributes.

use std::collections::BTreeMap;

use strata_core::Value;
use strata_provider::ProviderError;

use crate::invalid;

/// A planned object being made into a recorded one.
pub(crate) struct Object {
    attrs: BTreeMap<String, Value>,
}

impl Object {
    pub fn new(planned: &Value) -> Result<Object, ProviderError> {
        match planned.peel() {
            Value::Map(m) => Ok(Object { attrs: m.clone().into_btree() }),
            _ => Err(invalid("the planned object is not an object")),
        }
    }

    /// An argument, its sensitive mark peeled; `None` when null or unknown.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name).map(Value::peel).filter(|v| !v.is_null() && !v.is_unknown())
    }

    pub fn string(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn number(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(Value::as_f64)
    }

    /// A whole number argument, checked.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ProviderError> {
        match self.number(name) {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(Some(n as i64)),
            Some(n) => Err(invalid(format!("{name} must be a whole number, not {n}"))),
        }
    }

    pub fn bool_or(&self, name: &str, default: bool) -> bool {
        self.get(name).and_then(Value::as_bool).unwrap_or(default)
    }

    pub fn set(&mut self, name: &str, value: Value) {
        self.attrs.insert(name.to_string(), value);
    }

    /// Attributes the plan left unknown take the prior object's values.
    pub fn keep_known_from(&mut self, prior: Option<&Value>) {
        let Some(Value::Map(prior)) = prior.map(Value::peel) else { return };
        for (k, v) in self.attrs.iter_mut() {
            if v.is_unknown()
                && let Some(p) = prior.get(k)
            {
                *v = p.clone();
            }
        }
    }

    /// The recorded object: what is still unknown is null.
    pub fn finish(self) -> Value {
        Value::Map(self.attrs.into_iter().map(|(k, v)| (k, if v.is_unknown() { Value::Null } else { v })).collect())
    }
}

impl Object {
    /// An attribute as planned, marks kept.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name)
    }
}
