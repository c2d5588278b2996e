//! Usage figures for the usage-priced parts of resources (`--usage-file`).
//!
//! The file is YAML: a map from a resource type, a resource address or an
//! instance address to the figures for it, all monthly. A type's figures apply
//! to every resource of the type; an address's figures override them key by
//! key, and an instance's (`aws_lb.web[0]`) override its resource's:
//!
//! ```yaml
//! aws_nat_gateway:                      # every NAT gateway
//!   monthly_data_processed_gb: 50
//! module.network.aws_nat_gateway.this:  # this one (all its instances)
//!   monthly_data_processed_gb: 400
//! aws_lb.web:
//!   monthly_lcu_hours: 1460             # an average of 2 LCUs over 730 hours
//! aws_db_instance.primary:
//!   monthly_backup_storage_gb: 50       # backup storage beyond the free allowance
//! ```
//!
//! The keys each type takes are in [`USAGE_KEYS`].

use std::collections::BTreeMap;
use std::str::FromStr;

use strata_core::{Address, Diagnostic, Diagnostics, FileId, Mode, Span, did_you_mean};

/// The usage keys strata understands, per resource type.
pub const USAGE_KEYS: &[(&str, &[&str])] = &[
    ("aws_db_instance", &["monthly_backup_storage_gb", "monthly_io_requests_million"]),
    ("aws_ebs_volume", &["monthly_io_requests_million"]),
    ("aws_instance", &["monthly_io_requests_million"]),
    ("aws_lb", &["monthly_lcu_hours"]),
    ("aws_nat_gateway", &["monthly_data_processed_gb"]),
];

/// The usage figures of one resource, by usage key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageFigures(pub BTreeMap<String, f64>);

impl UsageFigures {
    pub fn get(&self, key: &str) -> Option<f64> {
        self.0.get(key).copied()
    }
}

/// A parsed and checked usage file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    by_type: BTreeMap<String, UsageFigures>,
    /// Keyed by the address as strata prints it (resource or instance).
    by_address: BTreeMap<String, UsageFigures>,
}

type RawUsage = BTreeMap<String, Option<BTreeMap<String, serde_norway::Value>>>;

impl Usage {
    /// Parse a usage file. `file` is the file's id in the source map, for labels.
    pub fn from_yaml(text: &str, file: FileId) -> Result<Usage, Diagnostics> {
        const CODE: &str = "strata::cost::bad_usage_file";
        let raw: Option<RawUsage> = serde_norway::from_str(text).map_err(|e| {
            let span = e.location().map(|l| Span::new(file, l.index()..l.index() + 1));
            let help = "a usage file maps a resource type or address to monthly figures, e.g. `aws_nat_gateway.main: { monthly_data_processed_gb: 100 }`";
            Diagnostics(vec![Diagnostic::error(CODE, format!("invalid usage file: {e}")).with_label(span, "here").with_help(help)])
        })?;
        let mut usage = Usage::default();
        let mut diags = Diagnostics::new();
        let types: Vec<&str> = USAGE_KEYS.iter().map(|(t, _)| *t).collect();
        for (entry, figures) in raw.unwrap_or_default() {
            let entry_at = text.find(&format!("{entry}:"));
            let label = |at: Option<usize>, len: usize| at.map(|i| Span::new(file, i..i + len));
            let (ty, is_address) = if entry.contains('.') {
                match Address::from_str(&entry) {
                    Ok(a) if a.mode == Mode::Managed => (a.ty.clone(), true),
                    Ok(_) => {
                        diags.push(
                            Diagnostic::error(CODE, format!("`{entry}` is a data source; only managed resources have usage"))
                                .with_label(label(entry_at, entry.len()), "data source"),
                        );
                        continue;
                    }
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(CODE, format!("`{entry}` is neither a resource type nor a resource address: {e}"))
                                .with_label(label(entry_at, entry.len()), "not an address"),
                        );
                        continue;
                    }
                }
            } else {
                (entry.clone(), false)
            };
            let Some((_, keys)) = USAGE_KEYS.iter().find(|(t, _)| *t == ty) else {
                let mut d = Diagnostic::error(CODE, format!("{ty} has no usage-priced parts"))
                    .with_label(label(entry_at, entry.len()), "no usage figures for this type");
                d = match did_you_mean(&ty, &types) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("types with usage figures: {}", types.join(", "))),
                };
                diags.push(d);
                continue;
            };
            let mut out = UsageFigures::default();
            for (key, value) in figures.unwrap_or_default() {
                let key_at = entry_at.and_then(|e| text[e..].find(&format!("{key}:")).map(|i| e + i));
                if !keys.contains(&key.as_str()) {
                    let mut d = Diagnostic::error(CODE, format!("unknown usage key `{key}` for {ty}"))
                        .with_label(label(key_at, key.len()), "unknown key");
                    d = match did_you_mean(&key, keys.iter()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!("{ty} takes: {}", keys.join(", "))),
                    };
                    diags.push(d);
                    continue;
                }
                match value.as_f64().filter(|n| n.is_finite() && *n >= 0.0) {
                    Some(n) => {
                        out.0.insert(key, n);
                    }
                    None => diags.push(
                        Diagnostic::error(CODE, format!("`{entry}.{key}` must be a number of zero or more"))
                            .with_label(label(key_at, key.len()), "not a usage figure"),
                    ),
                }
            }
            if is_address {
                let canonical = Address::from_str(&entry).map(|a| a.to_string()).unwrap_or(entry);
                usage.by_address.insert(canonical, out);
            } else {
                usage.by_type.insert(ty, out);
            }
        }
        if diags.has_errors() { Err(diags) } else { Ok(usage) }
    }

    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty() && self.by_address.is_empty()
    }

    /// Addresses of the file that name no resource or instance among
    /// `addresses` (those priced), each with the nearest one, if any.
    pub fn unmatched(&self, addresses: &[String]) -> Vec<(String, Option<String>)> {
        let resources: Vec<String> = addresses.iter().filter_map(|a| Address::from_str(a).ok()).map(|a| a.resource().to_string()).collect();
        self.by_address
            .keys()
            .filter(|k| !addresses.contains(k) && !resources.contains(k))
            .map(|k| {
                let names = addresses.iter().chain(&resources).map(String::as_str);
                (k.clone(), did_you_mean(k, names).map(|s| s.to_string()))
            })
            .collect()
    }

    /// The figures for one instance: its type's, overridden by its
    /// resource's, overridden by its own.
    pub fn figures(&self, address: &str, ty: &str) -> UsageFigures {
        let mut out = self.by_type.get(ty).cloned().unwrap_or_default();
        if let Ok(a) = Address::from_str(address)
            && a.key.is_some()
            && let Some(f) = self.by_address.get(&a.resource().to_string())
        {
            out.0.extend(f.0.clone());
        }
        if let Some(f) = self.by_address.get(address) {
            out.0.extend(f.0.clone());
        }
        out
    }
}
