//! Pricing one side (before or after) of one resource.
//!
//! Each priced type reads the attributes its price depends on (named as in
//! the hashicorp/aws provider), looks each rate up in the catalog and returns
//! the components. A rate the catalog lacks, or an attribute that is unknown
//! until apply or sensitive, makes the whole resource "not priced" with the
//! reason: a partial figure would understate the total.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use strata_core::{Type, Value};
use strata_provider::{PriceModel, Pricing as Declared};

use crate::catalog::{Catalog, PriceKey, PriceRow};
use crate::usage::UsageFigures;
use crate::{HOURS_PER_MONTH, money};

/// The reason given for a resource of a type strata does not support.
pub const UNSUPPORTED: &str = "unsupported type, not priced";

const EC2: &str = "AmazonEC2";
const RDS: &str = "AmazonRDS";
const ELB: &str = "AWSELB";
const ROUTE53: &str = "AmazonRoute53";
const VPC: &str = "AmazonVPC";

/// Whether a resource could be priced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CostStatus {
    Priced,
    Free,
    NotPriced { reason: String },
}

/// One priced part of a resource: `730 hours × $0.0104 = $7.59`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// `compute`, `storage gp3`, `provisioned IOPS`, `throughput`, `data processed`, `LCU`, ...
    pub name: String,
    /// What the part belongs to: `t3.micro`, `root volume`, `/dev/sdf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `None` when it depends on usage the usage file does not give.
    pub quantity: Option<f64>,
    /// The unit of the quantity and of `unit_usd`: `hours`, `GB-months`, `GB`, ...
    pub unit: String,
    pub unit_usd: f64,
    /// `None` means "depends on usage".
    pub monthly_usd: Option<f64>,
    /// Where the unit price was read: repository, commit, path and date, or
    /// the offer file.
    pub source: String,
    /// The id of the source in the embedded catalog's source table (`s528`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// A URL of the source data, pinned to a commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// The date of the source data (`2025-06-13`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_date: Option<String>,
}

impl Component {
    /// A part with its unit price and where that price was read.
    fn new(name: &str, detail: Option<String>, quantity: Option<f64>, unit: &str, row: &PriceRow) -> Component {
        Component {
            name: name.into(),
            detail,
            quantity,
            unit: unit.into(),
            unit_usd: row.usd_per_unit,
            monthly_usd: quantity.map(|q| money(q * row.usd_per_unit)),
            source: row.source.text.clone(),
            source_id: row.source.id.clone(),
            source_url: row.source.url.clone(),
            source_date: row.source.date.clone(),
        }
    }
}

impl Component {
    pub fn depends_on_usage(&self) -> bool {
        self.monthly_usd.is_none()
    }
}

/// The price of one side of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceCost {
    pub status: CostStatus,
    #[serde(default)]
    pub components: Vec<Component>,
    /// Assumptions and caveats (`root volume not configured: 8 GiB gp3 assumed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ResourceCost {
    pub fn free() -> ResourceCost {
        ResourceCost { status: CostStatus::Free, components: Vec::new(), notes: Vec::new() }
    }

    pub fn not_priced(reason: impl Into<String>) -> ResourceCost {
        ResourceCost { status: CostStatus::NotPriced { reason: reason.into() }, components: Vec::new(), notes: Vec::new() }
    }

    /// The monthly figure: the sum of the components with figures (usage
    /// parts without figures add nothing), 0 when free, `None` when not priced.
    pub fn monthly_usd(&self) -> Option<f64> {
        match self.status {
            CostStatus::Priced => Some(money(self.components.iter().filter_map(|c| c.monthly_usd).sum())),
            CostStatus::Free => Some(0.0),
            CostStatus::NotPriced { .. } => None,
        }
    }

    pub fn not_priced_reason(&self) -> Option<&str> {
        match &self.status {
            CostStatus::NotPriced { reason } => Some(reason),
            _ => None,
        }
    }
}

/// What pricing needs besides the resource's value.
#[derive(Debug, Clone, Copy)]
pub struct PriceContext<'a> {
    pub catalog: &'a Catalog,
    /// The provider's region; `None` when it is not known.
    pub region: Option<&'a str>,
    /// The resource's usage figures, if a usage file gives any.
    pub usage: Option<&'a UsageFigures>,
}

/// Price one side of a resource whose attributes are `value`, as its
/// type's schema declares (`pricing`; `None`: the type is not supported).
pub fn price(pricing: Option<&Declared>, value: &Value, cx: &PriceContext) -> ResourceCost {
    let model = match pricing {
        None => return ResourceCost::not_priced(UNSUPPORTED),
        Some(Declared::Free { note }) => {
            let mut cost = ResourceCost::free();
            cost.notes.extend(note.map(str::to_string));
            return cost;
        }
        Some(Declared::NotPriced { reason }) => return ResourceCost::not_priced(*reason),
        Some(Declared::Catalog(model)) => *model,
    };
    let attrs = match value {
        Value::Map(m) => Obj(m),
        Value::Sensitive(_) => {
            return ResourceCost::not_priced("the resource's value is sensitive; strata never prices from sensitive values");
        }
        Value::Unknown(_) => return ResourceCost::not_priced("the resource's value is known only after apply"),
        other => return ResourceCost::not_priced(format!("unexpected {} value for a resource", other.type_name())),
    };
    let region = match (model, cx.region) {
        (PriceModel::HostedZone, _) => "global",
        (_, Some(r)) => r,
        (_, None) => return ResourceCost::not_priced("the provider region is not known (set `region` in the provider block)"),
    };
    let mut p = Pricing { cx, region, components: Vec::new(), notes: Vec::new() };
    let priced = match model {
        PriceModel::Instance => p.instance(&attrs),
        PriceModel::EbsVolume => p.ebs_volume(&attrs),
        PriceModel::DbInstance => p.db_instance(&attrs),
        PriceModel::LoadBalancer => p.load_balancer(&attrs),
        PriceModel::NatGateway => p.nat_gateway(),
        PriceModel::ElasticIp => p.eip(&attrs),
        PriceModel::HostedZone => p.hosted_zone(),
    };
    match priced {
        Ok(()) => ResourceCost { status: CostStatus::Priced, components: p.components, notes: p.notes },
        Err(reason) => ResourceCost { notes: p.notes, ..ResourceCost::not_priced(reason) },
    }
}

/// How an attribute reads for pricing.
enum Field<T> {
    /// Absent or null: the AWS default applies.
    Unset,
    /// Known only after apply.
    Unknown,
    Known(T),
}

/// A resource or nested block's attributes.
struct Obj<'a>(&'a BTreeMap<String, Value>);

impl<'a> Obj<'a> {
    /// Sensitive values are an error: pricing must never depend on them.
    fn field(&self, name: &str) -> Result<Field<&'a Value>, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(Field::Unset),
            Some(Value::Unknown(_)) => Ok(Field::Unknown),
            Some(Value::Sensitive(_)) => Err(format!("{name} is sensitive; strata never prices from sensitive values")),
            Some(v) => Ok(Field::Known(v)),
        }
    }

    /// A known value read with `read`; a value it rejects is an error saying it is not `what`.
    fn read<T>(&self, name: &str, what: &str, read: impl FnOnce(&'a Value) -> Option<T>) -> Result<Field<T>, String> {
        Ok(match self.field(name)? {
            Field::Known(v) => Field::Known(read(v).ok_or_else(|| format!("{name} is not {what}"))?),
            Field::Unset => Field::Unset,
            Field::Unknown => Field::Unknown,
        })
    }

    fn str(&self, name: &str) -> Result<Field<&'a str>, String> {
        self.read(name, "a string", Value::as_str)
    }

    fn num(&self, name: &str) -> Result<Field<f64>, String> {
        self.read(name, "a number of zero or more", |v| v.convert(&Type::Number).ok()?.as_f64().filter(|n| n.is_finite() && *n >= 0.0))
    }

    fn bool(&self, name: &str) -> Result<Field<bool>, String> {
        self.read(name, "a bool", Value::to_bool)
    }

    /// A nested block: a list or set of objects.
    fn blocks(&self, name: &str) -> Result<Field<Vec<Obj<'a>>>, String> {
        let items = match self.field(name)? {
            Field::Known(v) => v.as_seq().ok_or_else(|| format!("{name} is not a list of blocks"))?,
            Field::Unset => return Ok(Field::Unset),
            Field::Unknown => return Ok(Field::Unknown),
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::Map(m) => out.push(Obj(m)),
                Value::Unknown(_) => return Ok(Field::Unknown),
                Value::Sensitive(_) => return Err(format!("{name} is sensitive; strata never prices from sensitive values")),
                _ => return Err(format!("{name} is not a list of blocks")),
            }
        }
        Ok(Field::Known(out))
    }

    /// An attribute the price cannot do without.
    fn required_str(&self, name: &str) -> Result<&'a str, String> {
        match self.str(name)? {
            Field::Known(s) => Ok(s),
            Field::Unset => Err(format!("{name} is not set")),
            Field::Unknown => Err(format!("{name} is known only after apply")),
        }
    }

    fn required_num(&self, name: &str) -> Result<f64, String> {
        match self.num(name)? {
            Field::Known(n) => Ok(n),
            Field::Unset => Err(format!("{name} is not set")),
            Field::Unknown => Err(format!("{name} is known only after apply")),
        }
    }

    /// A number that may be left to AWS (IOPS, throughput): `None` when unset or unknown.
    fn optional_num(&self, name: &str) -> Result<Option<f64>, String> {
        Ok(match self.num(name)? {
            Field::Known(n) => Some(n),
            Field::Unset | Field::Unknown => None,
        })
    }
}

/// An EBS volume as pricing sees it.
struct Volume<'a> {
    /// `root volume`, `/dev/sdf`, or `None` for an `aws_ebs_volume`.
    detail: Option<String>,
    kind: &'a str,
    size_gb: f64,
    iops: Option<f64>,
    throughput: Option<f64>,
}

/// The components and notes of one resource being priced.
struct Pricing<'a> {
    cx: &'a PriceContext<'a>,
    region: &'a str,
    components: Vec<Component>,
    notes: Vec<String>,
}

impl<'a> Pricing<'a> {
    /// A catalog rate in the expected unit, or the reason there is none.
    fn rate(&self, key: PriceKey, unit: &str, what: &str) -> Result<&'a PriceRow, String> {
        let region = if &*key.region == "global" { String::new() } else { format!(" in {}", key.region) };
        let row = self.cx.catalog.get(&key).ok_or_else(|| format!("no price for {what}{region} in the catalog"))?;
        if &*row.unit != unit {
            return Err(format!("the catalog prices {what} per {}, not per {unit}", row.unit));
        }
        Ok(row)
    }

    fn fixed(&mut self, name: &str, detail: Option<String>, quantity: f64, unit: &str, row: &PriceRow) {
        self.components.push(Component::new(name, detail, Some(quantity), unit, row));
    }

    /// A part priced by usage: with a figure from the usage file, or "depends on usage".
    fn usage(&mut self, name: &str, usage_key: &str, unit: &str, row: &PriceRow) {
        let quantity = self.cx.usage.and_then(|u| u.get(usage_key));
        self.components.push(Component::new(name, None, quantity, unit, row));
    }

    /// A usage part whose rate may be missing: without usage figures the gap
    /// is a note; with figures the user expects a number, so it is an error.
    fn usage_or_note(&mut self, name: &str, usage_key: &str, unit: &str, rate: Result<&PriceRow, String>) -> Result<(), String> {
        match rate {
            Ok(row) => self.usage(name, usage_key, unit, row),
            Err(reason) if self.cx.usage.and_then(|u| u.get(usage_key)).is_some() => return Err(reason),
            Err(reason) => self.notes.push(format!("{name} is billed by usage: {reason}")),
        }
        Ok(())
    }

    fn instance(&mut self, o: &Obj) -> Result<(), String> {
        let ty = o.required_str("instance_type")?;
        if let Field::Known(t) = o.str("tenancy")?
            && t != "default"
        {
            return Err(format!("{t} tenancy is not in the catalog (shared tenancy only)"));
        }
        if let Field::Known(blocks) = o.blocks("instance_market_options")? {
            for b in blocks {
                if let Field::Known("spot") = b.str("market_type")? {
                    return Err("spot instances are not priced (the catalog has on-demand prices)".into());
                }
            }
        }
        let row = self.rate(PriceKey::new(EC2, self.region, ty), "Hrs", &format!("{ty} (Linux, shared tenancy)"))?;
        self.fixed("compute", Some(format!("{ty}, Linux on-demand")), HOURS_PER_MONTH, "hours", row);
        // Unset (or computed, so unknown until apply), the subnet decides
        // (`map_public_ip_on_launch`), which pricing one resource cannot see.
        // Anything but a known `true` (unknown, or not a bool as a hand-made
        // state may hold) leaves the address out rather than the instance.
        if let Ok(Field::Known(true)) = o.bool("associate_public_ip_address") {
            self.public_ipv4(1.0, "in use")?;
        }

        let root = match o.blocks("root_block_device")? {
            Field::Known(mut blocks) if !blocks.is_empty() => self.block_volume(&blocks.swap_remove(0), "root volume".into(), true)?,
            known => {
                let why = if matches!(known, Field::Unknown) { "known only after apply" } else { "not configured" };
                self.notes.push(format!("root volume {why}: an 8 GiB gp3 volume is assumed (the AMI decides)"));
                Volume { detail: Some("root volume".into()), kind: "gp3", size_gb: 8.0, iops: None, throughput: None }
            }
        };
        let mut magnetic = root.kind == "standard";
        self.volume(&root)?;
        match o.blocks("ebs_block_device")? {
            Field::Known(blocks) => {
                for b in blocks {
                    let device = match b.str("device_name")? {
                        Field::Known(d) => d.to_string(),
                        _ => "EBS volume".into(),
                    };
                    let v = self.block_volume(&b, device, false)?;
                    magnetic |= v.kind == "standard";
                    self.volume(&v)?;
                }
            }
            Field::Unknown => self.notes.push("ebs_block_device is known only after apply: attached volumes are not included".into()),
            Field::Unset => {}
        }
        if magnetic {
            let row = self.rate(PriceKey::new(EC2, self.region, "ebs-standard-io"), "1M requests", "magnetic volume I/O requests");
            self.usage_or_note("I/O requests", "monthly_io_requests_million", "million requests", row)?;
        }
        Ok(())
    }

    /// Read a `root_block_device` or `ebs_block_device` block.
    fn block_volume<'o>(&mut self, b: &Obj<'o>, detail: String, root: bool) -> Result<Volume<'o>, String> {
        let kind = match b.str("volume_type")? {
            Field::Known(t) => t,
            Field::Unset | Field::Unknown if root => {
                self.notes.push("root volume_type not set: gp3 is assumed (the AMI decides)".into());
                "gp3"
            }
            Field::Unset | Field::Unknown => {
                self.notes.push(format!("{detail} volume_type not set: gp2 is assumed (the AWS default)"));
                "gp2"
            }
        };
        let size_gb = match b.num("volume_size")? {
            Field::Known(n) => n,
            Field::Unset | Field::Unknown if root => {
                self.notes.push("root volume_size not set: 8 GiB is assumed (the AMI decides)".into());
                8.0
            }
            Field::Unset | Field::Unknown => return Err(format!("the size of {detail} is known only after apply")),
        };
        Ok(Volume { detail: Some(detail), kind, size_gb, iops: b.optional_num("iops")?, throughput: b.optional_num("throughput")? })
    }

    fn ebs_volume(&mut self, o: &Obj) -> Result<(), String> {
        let kind = match o.str("type")? {
            Field::Known(t) => t,
            Field::Unset => "gp2",
            Field::Unknown => {
                self.notes.push("type is known only after apply: gp2 is assumed (the AWS default)".into());
                "gp2"
            }
        };
        let size_gb = match o.num("size")? {
            Field::Known(n) => n,
            Field::Unset | Field::Unknown if matches!(o.field("snapshot_id")?, Field::Known(_) | Field::Unknown) => {
                return Err("size is known only after apply (it comes from the snapshot)".into());
            }
            Field::Unset => return Err("size is not set".into()),
            Field::Unknown => return Err("size is known only after apply".into()),
        };
        let v = Volume { detail: None, kind, size_gb, iops: o.optional_num("iops")?, throughput: o.optional_num("throughput")? };
        self.volume(&v)?;
        if kind == "standard" {
            let row = self.rate(PriceKey::new(EC2, self.region, "ebs-standard-io"), "1M requests", "magnetic volume I/O requests");
            self.usage_or_note("I/O requests", "monthly_io_requests_million", "million requests", row)?;
        }
        Ok(())
    }

    /// Storage, and IOPS and throughput beyond what the volume type includes.
    fn volume(&mut self, v: &Volume) -> Result<(), String> {
        let kind = v.kind;
        if !matches!(kind, "gp2" | "gp3" | "io1" | "io2" | "st1" | "sc1" | "standard") {
            return Err(format!("unknown EBS volume type {kind:?}"));
        }
        let storage = self.rate(PriceKey::new(EC2, self.region, &format!("ebs-{kind}")), "GB-Mo", &format!("{kind} EBS storage"))?;
        self.fixed(&format!("storage {kind}"), v.detail.clone(), v.size_gb, "GB-months", storage);
        match kind {
            "gp3" => {
                let extra_iops = v.iops.unwrap_or(0.0) - 3000.0;
                if extra_iops > 0.0 {
                    let row = self.rate(PriceKey::new(EC2, self.region, "ebs-gp3-iops"), "IOPS-Mo", "gp3 IOPS above 3,000")?;
                    self.fixed("provisioned IOPS", v.detail.clone(), extra_iops, "IOPS-months", row);
                }
                let extra_throughput = v.throughput.unwrap_or(0.0) - 125.0;
                if extra_throughput > 0.0 {
                    let row =
                        self.rate(PriceKey::new(EC2, self.region, "ebs-gp3-throughput"), "MiBps-Mo", "gp3 throughput above 125 MiB/s")?;
                    self.fixed("throughput", v.detail.clone(), extra_throughput, "MiB/s-months", row);
                }
            }
            "io1" => {
                let what = v.detail.as_deref().map_or(String::new(), |d| format!(" of {d}"));
                let iops = v.iops.ok_or_else(|| format!("the provisioned IOPS{what} are known only after apply"))?;
                let row = self.rate(PriceKey::new(EC2, self.region, "ebs-io1-iops"), "IOPS-Mo", "io1 provisioned IOPS")?;
                self.fixed("provisioned IOPS", v.detail.clone(), iops, "IOPS-months", row);
            }
            "io2" => {
                let what = v.detail.as_deref().map_or(String::new(), |d| format!(" of {d}"));
                let iops = v.iops.ok_or_else(|| format!("the provisioned IOPS{what} are known only after apply"))?;
                // io2 IOPS are priced in tiers: up to 32,000, up to 64,000, above.
                for (resource, from, to, label) in [
                    ("ebs-io2-iops", 0.0, 32000.0, "provisioned IOPS"),
                    ("ebs-io2-iops-tier2", 32000.0, 64000.0, "provisioned IOPS 32,001-64,000"),
                    ("ebs-io2-iops-tier3", 64000.0, f64::INFINITY, "provisioned IOPS above 64,000"),
                ] {
                    let part = iops.min(to) - from;
                    if part > 0.0 || from == 0.0 {
                        let row = self.rate(PriceKey::new(EC2, self.region, resource), "IOPS-Mo", &format!("io2 {label}"))?;
                        self.fixed(label, v.detail.clone(), part.max(0.0), "IOPS-months", row);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn db_instance(&mut self, o: &Obj) -> Result<(), String> {
        let class = o.required_str("instance_class")?;
        let engine_name = o.required_str("engine")?;
        let engine = rds_engine(engine_name)?;
        let multi_az = match o.bool("multi_az")? {
            Field::Known(b) => b,
            Field::Unset => false,
            Field::Unknown => {
                self.notes.push("multi_az is known only after apply: Single-AZ is assumed".into());
                false
            }
        };
        let deployment = if multi_az { "Multi-AZ" } else { "Single-AZ" };
        let key = PriceKey::new(RDS, self.region, class).engine(engine).deployment(deployment);
        let row = if multi_az {
            // Multi-AZ is not always twice Single-AZ (db.t4g.small MySQL: 0.032 and 0.065), so a missing row is never guessed.
            self.rate(key, "Hrs", &format!("Multi-AZ {class} {engine}"))
                .map_err(|e| format!("{e} (strata does not derive Multi-AZ prices)"))?
        } else {
            self.rate(key, "Hrs", &format!("{class} {engine}"))?
        };
        let detail = if multi_az { format!("{class} {engine}, Multi-AZ") } else { format!("{class} {engine}") };
        self.fixed("compute", Some(detail), HOURS_PER_MONTH, "hours", row);

        let iops = o.optional_num("iops")?;
        let storage_type = match o.str("storage_type")? {
            Field::Known(t) => t,
            Field::Unset if iops.is_some() => "io1",
            Field::Unset => "gp2",
            Field::Unknown => {
                self.notes.push("storage_type is known only after apply: gp2 is assumed (the AWS default)".into());
                "gp2"
            }
        };
        let size_gb = o.required_num("allocated_storage")?;
        let storage = |kind: &str| PriceKey::new(RDS, self.region, kind).deployment(deployment);
        let az = if multi_az { "Multi-AZ " } else { "" };
        match storage_type {
            "gp2" | "gp3" | "io1" | "io2" | "standard" => {}
            other => return Err(format!("unknown storage_type {other:?}")),
        }
        let resource = if storage_type == "standard" { "storage-magnetic".to_string() } else { format!("storage-{storage_type}") };
        let row = self.rate(storage(&resource), "GB-Mo", &format!("{az}RDS {storage_type} storage"))?;
        self.fixed(&format!("storage {storage_type}"), None, size_gb, "GB-months", row);
        match storage_type {
            "gp3" => {
                // gp3 includes 3,000 IOPS and 125 MiB/s, or 12,000 IOPS and
                // 500 MiB/s from 400 GB for the open-source engines.
                let large = size_gb >= 400.0 && matches!(engine, "PostgreSQL" | "MySQL" | "MariaDB");
                let (base_iops, base_throughput) = if large { (12000.0, 500.0) } else { (3000.0, 125.0) };
                let extra_iops = iops.unwrap_or(0.0) - base_iops;
                if extra_iops > 0.0 {
                    let row =
                        self.rate(storage("storage-gp3-iops"), "IOPS-Mo", &format!("{az}RDS gp3 IOPS above the included {base_iops}"))?;
                    self.fixed("provisioned IOPS", None, extra_iops, "IOPS-months", row);
                }
                let extra_throughput = o.optional_num("storage_throughput")?.unwrap_or(0.0) - base_throughput;
                if extra_throughput > 0.0 {
                    let row = self.rate(
                        storage("storage-gp3-throughput"),
                        "MiBps-Mo",
                        &format!("{az}RDS gp3 throughput above the included {base_throughput} MiB/s"),
                    )?;
                    self.fixed("throughput", None, extra_throughput, "MiB/s-months", row);
                }
            }
            "io1" | "io2" => {
                let iops = iops.ok_or("iops is known only after apply")?;
                let row = self.rate(
                    storage(&format!("storage-{storage_type}-iops")),
                    "IOPS-Mo",
                    &format!("{az}RDS {storage_type} provisioned IOPS"),
                )?;
                self.fixed("provisioned IOPS", None, iops, "IOPS-months", row);
            }
            "standard" => {
                let row = self.rate(storage("storage-magnetic-io"), "1M requests", "RDS magnetic storage I/O requests");
                self.usage_or_note("I/O requests", "monthly_io_requests_million", "million requests", row)?;
            }
            _ => {}
        }
        let row = self.rate(PriceKey::new(RDS, self.region, "backup-storage"), "GB-Mo", "RDS backup storage");
        self.usage_or_note("backup storage", "monthly_backup_storage_gb", "GB-months", row)
    }

    fn load_balancer(&mut self, o: &Obj) -> Result<(), String> {
        let kind = match o.str("load_balancer_type")? {
            Field::Known(k) => k,
            Field::Unset | Field::Unknown => "application",
        };
        let lcu = match kind {
            "application" => "LCU",
            "network" => "NLCU",
            "gateway" => "GLCU",
            other => return Err(format!("unknown load_balancer_type {other:?}")),
        };
        let row =
            self.rate(PriceKey::new(ELB, self.region, &format!("{kind}-load-balancer")), "Hrs", &format!("{kind} load balancer hours"))?;
        self.fixed("load balancer", Some(kind.into()), HOURS_PER_MONTH, "hours", row);
        if kind != "gateway" && !matches!(o.bool("internal")?, Field::Known(true)) {
            self.load_balancer_ipv4(o, kind)?;
        }
        let row = self.rate(
            PriceKey::new(ELB, self.region, &format!("{kind}-load-balancer-lcu")),
            "LCU-Hrs",
            &format!("{kind} load balancer {lcu}s"),
        );
        self.usage_or_note(lcu, "monthly_lcu_hours", &format!("{lcu}-hours"), row)
    }

    /// An internet-facing load balancer has a public IPv4 address in each
    /// subnet, billed at the in-use rate, except subnet mappings that bring
    /// their own Elastic IP (priced as that `aws_eip`).
    fn load_balancer_ipv4(&mut self, o: &Obj, kind: &str) -> Result<(), String> {
        // AWS requires two subnets (in two zones) for an ALB, one for an NLB.
        let least = if kind == "application" { 2 } else { 1 };
        let (count, uncertain) = match (o.field("subnets")?, o.blocks("subnet_mapping")?) {
            (Field::Known(v), _) if v.as_seq().is_some_and(|s| !s.is_empty()) => {
                let items = v.as_seq().unwrap_or_default();
                // A set of IDs known only after apply holds one unknown for them all.
                let unknown = matches!(v, Value::Set(_)) && items.iter().any(Value::is_unknown);
                (items.len(), unknown)
            }
            (_, Field::Known(mappings)) if !mappings.is_empty() => {
                let mut own = 0usize;
                for m in &mappings {
                    if let Field::Unset = m.field("allocation_id")? {
                        own += 1;
                    }
                }
                (own, false)
            }
            (Field::Unknown, _) | (_, Field::Unknown) => (0, true),
            _ => (0, false),
        };
        if uncertain {
            let n = count.max(least);
            self.notes.push(format!(
                "the subnets are known only after apply: {n} public IPv4 address{} assumed (one per subnet)",
                if n == 1 { " is" } else { "es are" }
            ));
            return self.public_ipv4(n as f64, "one per subnet");
        }
        match count {
            0 => Ok(()),
            n => self.public_ipv4(n as f64, "one per subnet"),
        }
    }

    fn nat_gateway(&mut self) -> Result<(), String> {
        let row = self.rate(PriceKey::new(EC2, self.region, "nat-gateway"), "Hrs", "a NAT gateway")?;
        self.fixed("NAT gateway", None, HOURS_PER_MONTH, "hours", row);
        let row = self.rate(PriceKey::new(EC2, self.region, "nat-gateway-data"), "GB", "NAT gateway data processing");
        self.usage_or_note("data processed", "monthly_data_processed_gb", "GB", row)
    }

    /// Public IPv4 addresses in use (attached to an instance, a NAT gateway,
    /// a load balancer) are billed by the hour.
    fn public_ipv4(&mut self, count: f64, detail: &str) -> Result<(), String> {
        let row = self.rate(PriceKey::new(VPC, self.region, "public-ipv4-in-use"), "Hrs", "an in-use public IPv4 address")?;
        let name = if count == 1.0 { "public IPv4 address" } else { "public IPv4 addresses" };
        self.fixed(name, Some(detail.into()), count * HOURS_PER_MONTH, "hours", row);
        Ok(())
    }

    /// An Elastic IP is billed by the hour at the in-use or the idle rate.
    /// Whether a NAT gateway or load balancer will use it is not visible on
    /// the address itself; where both rates are the same that does not matter.
    fn eip(&mut self, o: &Obj) -> Result<(), String> {
        let mut attached = false;
        for name in ["instance", "network_interface", "associate_with_private_ip"] {
            attached |= matches!(o.field(name)?, Field::Known(_));
        }
        if attached {
            return self.public_ipv4(1.0, "in use");
        }
        let idle = self.rate(PriceKey::new(VPC, self.region, "public-ipv4-idle"), "Hrs", "an unattached public IPv4 address")?;
        let in_use = self.cx.catalog.get(&PriceKey::new(VPC, self.region, "public-ipv4-in-use"));
        if in_use.is_some_and(|r| r.usd_per_unit == idle.usd_per_unit && &*r.unit == "Hrs") {
            self.fixed("public IPv4 address", Some("in use or unattached: one rate".into()), HOURS_PER_MONTH, "hours", idle);
        } else {
            self.fixed("public IPv4 address", Some("unattached".into()), HOURS_PER_MONTH, "hours", idle);
            self.notes.push(
                "priced at the unattached-address rate; an address a NAT gateway or load balancer uses is billed at the in-use rate".into(),
            );
        }
        Ok(())
    }

    fn hosted_zone(&mut self) -> Result<(), String> {
        // Offer files spell the hosted-zone unit in their own way, so no unit is checked.
        let key = PriceKey::new(ROUTE53, "global", "hosted-zone");
        let row = self.cx.catalog.get(&key).ok_or("no price for a Route 53 hosted zone in the catalog")?;
        self.fixed("hosted zone", None, 1.0, "zone-months", row);
        Ok(())
    }
}

/// The price list's `databaseEngine` for a Terraform `engine`.
fn rds_engine(engine: &str) -> Result<&'static str, String> {
    Ok(match engine {
        "postgres" => "PostgreSQL",
        "mysql" => "MySQL",
        "mariadb" => "MariaDB",
        "aurora-mysql" | "aurora" => "Aurora MySQL",
        "aurora-postgresql" => "Aurora PostgreSQL",
        e if e.starts_with("oracle") || e.starts_with("sqlserver") || e.starts_with("db2") || e.starts_with("custom-") => {
            return Err(format!("{e} prices depend on an edition and license model the catalog does not have"));
        }
        e => return Err(format!("unknown engine {e:?}")),
    })
}
