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
//! The keys each type takes are its price model's ([`USAGE_KEYS`], [`usage_keys`]).
//!
//! Infracost's usage file is read too: `version: 0.1` with the figures under
//! `resource_usage:` (by address; `[*]` names every instance) and
//! `resource_type_default_usage:` (by type). Its key names are mapped to
//! strata's where they mean the same figure ([`INFRACOST_KEYS`]); keys and
//! types strata does not price are warnings, not errors, since such a file
//! is usually written for more than strata prices. The format is described
//! in `docs/usage-file.md`.

use std::collections::BTreeMap;
use std::str::FromStr;

use strata_core::{Address, Diagnostic, Diagnostics, FileId, Mode, Span, did_you_mean, format_number};
use strata_provider::{PriceModel, Pricing};

/// The usage keys strata understands, per price model: a type takes the
/// keys of the model its schema prices it with ([`usage_keys`]), so old
/// names priced alike (`aws_alb`) take them too.
pub const USAGE_KEYS: &[(PriceModel, &[&str])] = &[
    (PriceModel::DbInstance, &["monthly_backup_storage_gb", "monthly_io_requests_million"]),
    (PriceModel::EbsVolume, &["monthly_io_requests_million"]),
    (PriceModel::Instance, &["monthly_io_requests_million"]),
    (PriceModel::LoadBalancer, &["monthly_lcu_hours"]),
    (PriceModel::NatGateway, &["monthly_data_processed_gb"]),
];

/// The price model of a resource type, from its schema.
pub fn price_model(ty: &str) -> Option<PriceModel> {
    match strata_provider::aws::schema().resource(ty)?.pricing {
        Some(Pricing::Catalog(model)) => Some(model),
        _ => None,
    }
}

/// The usage keys of a resource type (none for a type without usage-priced parts).
pub fn usage_keys(ty: &str) -> &'static [&'static str] {
    price_model(ty).and_then(|m| USAGE_KEYS.iter().find(|(k, _)| *k == m)).map_or(&[], |(_, keys)| keys)
}

/// The resource types that take usage keys, in order.
pub fn usage_types() -> Vec<&'static str> {
    strata_provider::aws::schema().resources.keys().map(String::as_str).filter(|ty| !usage_keys(ty).is_empty()).collect()
}

/// What each usage key measures, for the template `--sync-usage-file` writes.
pub const USAGE_KEY_DOCS: &[(&str, &str)] = &[
    ("monthly_backup_storage_gb", "GB-months of backup storage beyond the free allowance"),
    ("monthly_data_processed_gb", "GB processed a month"),
    ("monthly_io_requests_million", "millions of I/O requests a month (magnetic volumes and Aurora-style storage)"),
    ("monthly_lcu_hours", "load balancer capacity unit hours a month (an average of 2 LCUs is 1460)"),
];

/// Infracost's usage keys that strata reads under another name:
/// (price model, Infracost key, strata key, factor to strata's unit).
pub const INFRACOST_KEYS: &[(PriceModel, &str, &str, f64)] = &[
    (PriceModel::DbInstance, "additional_backup_storage_gb", "monthly_backup_storage_gb", 1.0),
    (PriceModel::DbInstance, "monthly_standard_io_requests", "monthly_io_requests_million", 1e-6),
    (PriceModel::EbsVolume, "monthly_standard_io_requests", "monthly_io_requests_million", 1e-6),
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
    /// What an Infracost file gives that strata does not use.
    warnings: Vec<Diagnostic>,
}

type RawUsage = BTreeMap<String, Option<BTreeMap<String, serde_norway::Value>>>;

const CODE: &str = "strata::cost::bad_usage_file";
const UNUSED: &str = "strata::cost::usage_unused";

/// The file's text and id, to label entries and keys.
struct Cx<'a> {
    text: &'a str,
    file: FileId,
}

impl Cx<'_> {
    fn find(&self, needle: &str) -> Option<usize> {
        self.text.find(needle)
    }

    fn label(&self, at: Option<usize>, len: usize) -> Option<Span> {
        at.map(|i| Span::new(self.file, i..i + len))
    }
}

impl Usage {
    /// Parse a usage file, strata's or Infracost's. `file` is the file's id
    /// in the source map, for labels.
    pub fn from_yaml(text: &str, file: FileId) -> Result<Usage, Diagnostics> {
        let raw: Option<BTreeMap<String, serde_norway::Value>> = serde_norway::from_str(text).map_err(|e| {
            let span = e.location().map(|l| Span::new(file, l.index()..l.index() + 1));
            let help = "a usage file maps a resource type or address to monthly figures, e.g. `aws_nat_gateway.main: { monthly_data_processed_gb: 100 }`";
            Diagnostics(vec![Diagnostic::error(CODE, format!("invalid usage file: {e}")).with_label(span, "here").with_help(help)])
        })?;
        let raw = raw.unwrap_or_default();
        let mut usage = Usage::default();
        let mut diags = Diagnostics::new();
        let cx = Cx { text, file };
        if raw.contains_key("resource_usage") || raw.contains_key("version") {
            // Infracost's format.
            for (key, value) in raw {
                match key.as_str() {
                    "version" => {}
                    "resource_usage" | "resource_type_default_usage" => {
                        let entries: RawUsage = match serde_norway::from_value(value) {
                            Ok(e) => e,
                            Err(e) => {
                                diags.push(
                                    Diagnostic::error(CODE, format!("`{key}` must map addresses to figures: {e}"))
                                        .with_label(cx.label(cx.find(&format!("{key}:")), key.len()), "here"),
                                );
                                continue;
                            }
                        };
                        for (entry, figures) in entries {
                            let entry = entry.strip_suffix("[*]").map(str::to_string).unwrap_or(entry);
                            usage.add(&cx, &entry, figures, true, &mut diags);
                        }
                    }
                    other => usage.warnings.push(
                        Diagnostic::warning(
                            UNUSED,
                            format!("`{other}` is not read: strata reads `resource_usage` and `resource_type_default_usage`"),
                        )
                        .with_label(cx.label(cx.find(&format!("{other}:")), other.len()), "not read"),
                    ),
                }
            }
        } else {
            for (entry, figures) in raw {
                match serde_norway::from_value::<Option<BTreeMap<String, serde_norway::Value>>>(figures) {
                    Ok(figures) => usage.add(&cx, &entry, figures, false, &mut diags),
                    Err(e) => diags.push(
                        Diagnostic::error(CODE, format!("`{entry}` must map usage keys to figures: {e}"))
                            .with_label(cx.label(cx.find(&format!("{entry}:")), entry.len()), "here"),
                    ),
                }
            }
        }
        if diags.has_errors() { Err(diags) } else { Ok(usage) }
    }

    /// Add one entry's figures. `lenient` (an Infracost file): types and
    /// keys strata does not price are warnings.
    fn add(
        &mut self,
        cx: &Cx,
        entry: &str,
        figures: Option<BTreeMap<String, serde_norway::Value>>,
        lenient: bool,
        diags: &mut Diagnostics,
    ) {
        let types = usage_types();
        let entry_at = cx.find(&format!("{entry}:"));
        let (ty, is_address) = if entry.contains('.') {
            match Address::from_str(entry) {
                Ok(a) if a.mode == Mode::Managed => (a.ty.clone(), true),
                Ok(_) => {
                    diags.push(
                        Diagnostic::error(CODE, format!("`{entry}` is a data source; only managed resources have usage"))
                            .with_label(cx.label(entry_at, entry.len()), "data source"),
                    );
                    return;
                }
                Err(e) => {
                    diags.push(
                        Diagnostic::error(CODE, format!("`{entry}` is neither a resource type nor a resource address: {e}"))
                            .with_label(cx.label(entry_at, entry.len()), "not an address"),
                    );
                    return;
                }
            }
        } else {
            (entry.to_string(), false)
        };
        let keys = usage_keys(&ty);
        if keys.is_empty() {
            if lenient {
                self.warnings.push(
                    Diagnostic::warning(
                        UNUSED,
                        format!("{ty} has no usage-priced parts in strata; the figures for `{entry}` are not used"),
                    )
                    .with_label(cx.label(entry_at, entry.len()), "not used")
                    .with_help(format!("types with usage figures: {}", types.join(", "))),
                );
                return;
            }
            let mut d = Diagnostic::error(CODE, format!("{ty} has no usage-priced parts"))
                .with_label(cx.label(entry_at, entry.len()), "no usage figures for this type");
            d = match did_you_mean(&ty, &types) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("types with usage figures: {}", types.join(", "))),
            };
            diags.push(d);
            return;
        }
        let mut out = UsageFigures::default();
        for (key, value) in figures.unwrap_or_default() {
            let key_at = entry_at.and_then(|e| cx.text[e..].find(&format!("{key}:")).map(|i| e + i));
            let model = price_model(&ty);
            let mapped = INFRACOST_KEYS.iter().find(|(m, k, _, _)| Some(*m) == model && *k == key).filter(|_| lenient);
            let (name, factor) = match mapped {
                Some((_, _, strata, factor)) => (strata.to_string(), *factor),
                None => (key.clone(), 1.0),
            };
            if !keys.contains(&name.as_str()) {
                let help = match did_you_mean(&key, keys.iter()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("{ty} takes: {}", keys.join(", ")),
                };
                if lenient {
                    self.warnings.push(
                        Diagnostic::warning(
                            UNUSED,
                            format!("usage key `{key}` of `{entry}` is not used: strata does not price it for {ty}"),
                        )
                        .with_label(cx.label(key_at, key.len()), "not used")
                        .with_help(help),
                    );
                } else {
                    diags.push(
                        Diagnostic::error(CODE, format!("unknown usage key `{key}` for {ty}"))
                            .with_label(cx.label(key_at, key.len()), "unknown key")
                            .with_help(help),
                    );
                }
                continue;
            }
            match value.as_f64().filter(|n| n.is_finite() && *n >= 0.0) {
                Some(n) => {
                    out.0.insert(name, n * factor);
                }
                None => diags.push(
                    Diagnostic::error(CODE, format!("`{entry}.{key}` must be a number of zero or more"))
                        .with_label(cx.label(key_at, key.len()), "not a usage figure"),
                ),
            }
        }
        let slot = if is_address {
            let canonical = Address::from_str(entry).map(|a| a.to_string()).unwrap_or_else(|_| entry.to_string());
            self.by_address.entry(canonical).or_default()
        } else {
            self.by_type.entry(ty).or_default()
        };
        slot.0.extend(out.0);
    }

    /// What the file gives that strata does not use (Infracost's keys and
    /// types strata does not price).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
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

/// The usage file `strata cost --sync-usage-file` writes, in strata's format:
/// every resource of `resources` (address, type) whose type has
/// usage-priced parts, each key with its figure where `existing` gives one
/// for that address, else commented out (a part without a figure "depends
/// on usage"). Type-wide figures, and addresses of `existing` that are not
/// listed (a whole resource, a resource no longer configured), are kept.
pub fn usage_template(resources: &[(String, String)], existing: &Usage) -> String {
    let mut out = String::from(
        "# Usage figures for strata's cost estimates: monthly figures for the\n\
         # usage-priced parts of resources (the format: docs/usage-file.md in strata).\n\
         # Written by `strata cost --sync-usage-file`, which keeps the figures given\n\
         # here; a key left commented out is \"depends on usage\" in the estimate.\n",
    );
    let doc = |key: &str| USAGE_KEY_DOCS.iter().find(|(k, _)| *k == key).map_or("", |(_, d)| d);
    let write_entry = |out: &mut String, name: &str, keys: &[&str], figures: Option<&UsageFigures>| {
        out.push('\n');
        out.push_str(&yaml_key(name));
        out.push_str(":\n");
        for key in keys {
            match figures.and_then(|f| f.get(key)) {
                Some(n) => out.push_str(&format!("  {key}: {}  # {}\n", format_number(n), doc(key))),
                None => out.push_str(&format!("  # {key}: 0  # {}\n", doc(key))),
            }
        }
        if let Some(f) = figures {
            for (key, n) in f.0.iter().filter(|(k, _)| !keys.contains(&k.as_str())) {
                out.push_str(&format!("  {key}: {}\n", format_number(*n)));
            }
        }
    };
    let keys_of = usage_keys;
    for (ty, figures) in &existing.by_type {
        write_entry(&mut out, ty, keys_of(ty), Some(figures));
    }
    let mut listed = std::collections::BTreeSet::new();
    for (address, ty) in resources {
        let keys = keys_of(ty);
        if keys.is_empty() || !listed.insert(address.clone()) {
            continue;
        }
        write_entry(&mut out, address, keys, existing.by_address.get(address));
    }
    let kept: Vec<(&String, &UsageFigures)> = existing.by_address.iter().filter(|(a, _)| !listed.contains(*a)).collect();
    if !kept.is_empty() {
        out.push_str("\n# Kept from the file: addresses not listed above.\n");
        for (address, figures) in kept {
            let ty = Address::from_str(address).map(|a| a.ty).unwrap_or_default();
            write_entry(&mut out, address, keys_of(&ty), Some(figures));
        }
    }
    out
}

/// An address as a YAML mapping key: quoted when it has brackets or quotes.
fn yaml_key(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}
