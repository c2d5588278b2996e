//! The price catalog: on-demand prices keyed by service, region, resource
//! and (for RDS) engine and deployment option.
//!
//! The embedded catalog is `data/prices.tsv.gz` with its sources in
//! `data/sources.tsv.gz` (written by `data/build.py` from the wide price
//! table in `../shared/pricing/wide/`), decompressed and parsed into a hash
//! map once, at first use. An AWS Price List bulk offer file (`--prices`)
//! overrides or extends it: its products are mapped onto the same resource
//! names (`t3.micro`, `ebs-gp3`, `storage-gp3-iops`, `nat-gateway-data`, ...).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use strata_core::Diagnostic;

const EMBEDDED_PRICES: &[u8] = include_bytes!("../data/prices.tsv.gz");
const EMBEDDED_SOURCES: &[u8] = include_bytes!("../data/sources.tsv.gz");
const CSV_HEADER: [&str; 7] = ["service", "region", "resource", "attribute_key", "unit", "usd_per_unit", "source"];

/// What one price is for. Two rows with the same key are the same price;
/// a later one (from an offer file) replaces an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PriceKey {
    /// AWS offer code: `AmazonEC2`, `AmazonRDS`, `AWSELB`, `AmazonRoute53`, ...
    pub service: Arc<str>,
    /// `us-east-1`, or `global` for global services (Route 53).
    pub region: Arc<str>,
    /// Instance type or class, or a named component (`ebs-gp3`, `nat-gateway`).
    pub resource: Arc<str>,
    /// `databaseEngine` (`PostgreSQL`, `MySQL`) or `cacheEngine` (`Redis`,
    /// `Valkey`, `Memcached`) where the price depends on it.
    pub engine: Option<Arc<str>>,
    /// `deploymentOption` (`Single-AZ`, `Multi-AZ`) where the price depends on it.
    pub deployment: Option<Arc<str>>,
}

impl PriceKey {
    pub fn new(service: &str, region: &str, resource: &str) -> PriceKey {
        PriceKey { service: service.into(), region: region.into(), resource: resource.into(), engine: None, deployment: None }
    }

    pub fn engine(mut self, engine: &str) -> PriceKey {
        self.engine = Some(engine.into());
        self
    }

    pub fn deployment(mut self, deployment: &str) -> PriceKey {
        self.deployment = Some(deployment.into());
        self
    }

    /// The key of a price read with these filters: the engine and deployment
    /// option come from the `databaseEngine` (or `cacheEngine`) and
    /// `deploymentOption` attributes.
    pub fn for_attributes(service: &str, region: &str, resource: &str, attributes: &BTreeMap<String, String>) -> PriceKey {
        let mut key = PriceKey::new(service, region, resource);
        key.engine = attributes.get("databaseEngine").or_else(|| attributes.get("cacheEngine")).map(|e| e.as_str().into());
        key.deployment = attributes.get("deploymentOption").map(|d| d.as_str().into());
        key
    }
}

/// Shares the text of repeated key parts while the embedded table is parsed.
#[derive(Default)]
struct Interner<'t>(HashMap<&'t str, Arc<str>>);

impl<'t> Interner<'t> {
    fn get(&mut self, s: &'t str) -> Arc<str> {
        self.0.entry(s).or_insert_with(|| Arc::from(s)).clone()
    }
}

/// Where a price was read. Rows read from one place share one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceSource {
    /// The id in the embedded catalog's source table (`s528`); `None` for
    /// prices from an offer file or a CSV table.
    pub id: Option<String>,
    /// The date of the data (`2025-06-13`): when the feed was published or
    /// generated, or when its file last changed; `None` when not known.
    pub date: Option<String>,
    /// Where to read the data (a GitHub URL pinned to a commit).
    pub url: Option<String>,
    /// What the source is: repository, commit, path, feed key, date.
    pub text: String,
}

impl PriceSource {
    /// A source known only by its text.
    pub fn text(text: impl Into<String>) -> Arc<PriceSource> {
        Arc::new(PriceSource { text: text.into(), ..PriceSource::default() })
    }
}

/// One price with where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceRow {
    pub key: PriceKey,
    /// The `key=value` filters the price was read with (`operatingSystem=Linux`, ...).
    pub attributes: Arc<BTreeMap<String, String>>,
    /// Free-text qualifiers of the row (`gp3 provisioned IOPS above 3000 free`).
    pub description: Option<Arc<str>>,
    /// `Hrs`, `GB-Mo`, `IOPS-Mo`, `MiBps-Mo`, `LCU-Hrs`, `GB`, `1M requests`, `HostedZone-Mo`, ...
    pub unit: Arc<str>,
    pub usd_per_unit: f64,
    pub source: Arc<PriceSource>,
}

type Table = HashMap<PriceKey, PriceRow>;

/// A set of prices: the embedded table (shared, never copied) and the rows
/// added over it. Lookups by [`PriceKey`] are hash-map lookups.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    base: Option<&'static Embedded>,
    rows: Table,
}

/// What loading an offer file changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferLoad {
    pub offer_code: String,
    /// Prices the catalog did not have.
    pub added: usize,
    /// Prices that replaced a catalog price with the same key.
    pub replaced: usize,
    pub regions: BTreeSet<String>,
}

impl Catalog {
    /// The catalog built into strata (`data/prices.tsv.gz`), parsed once.
    /// Cloning it is cheap: the clone shares the embedded table.
    pub fn embedded() -> &'static Catalog {
        static EMBEDDED: OnceLock<Embedded> = OnceLock::new();
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The embedded table is part of the build, not user input; the
            // test `embedded_catalog_loads_every_row` guarantees it parses.
            let embedded = EMBEDDED.get_or_init(|| Embedded::new(EMBEDDED_PRICES, EMBEDDED_SOURCES).unwrap_or_default());
            Catalog { base: Some(embedded), rows: Table::new() }
        })
    }

    /// Parse a price table in the embedded catalog's CSV form
    /// (`service,region,resource,attribute_key,unit,usd_per_unit,source`).
    pub fn from_csv(text: &str, origin: &str) -> Result<Catalog, Diagnostic> {
        let bad = |line: usize, msg: String| {
            Diagnostic::error("strata::cost::bad_price_table", format!("{origin}, line {line}: {msg}"))
                .with_help(format!("the columns are {}", CSV_HEADER.join(",")))
        };
        let records = parse_csv(text).map_err(|(line, msg)| bad(line, msg))?;
        let mut records = records.into_iter();
        match records.next() {
            Some((_, header)) if header == CSV_HEADER => {}
            Some((line, header)) => return Err(bad(line, format!("unexpected header {:?}", header.join(",")))),
            None => return Err(bad(1, "the table is empty".into())),
        }
        let mut catalog = Catalog::default();
        for (line, fields) in records {
            let [service, region, resource, attribute_key, unit, usd, source] = fields.as_slice() else {
                return Err(bad(line, format!("expected 7 fields, found {}", fields.len())));
            };
            let usd = usd
                .parse::<f64>()
                .ok()
                .filter(|u| u.is_finite() && *u >= 0.0)
                .ok_or_else(|| bad(line, format!("{usd:?} is not a price in dollars")))?;
            let (attributes, description) = parse_attribute_key(attribute_key);
            let key = PriceKey::for_attributes(service, region, resource, &attributes);
            let row = PriceRow {
                key,
                attributes: Arc::new(attributes),
                description: description.map(Arc::from),
                unit: Arc::from(unit.as_str()),
                usd_per_unit: usd,
                source: PriceSource::text(source.as_str()),
            };
            if let Some(old) = catalog.insert(row) {
                return Err(bad(line, format!("a second price for {} {} {}", old.key.service, old.key.region, old.key.resource)));
            }
        }
        Ok(catalog)
    }

    pub fn get(&self, key: &PriceKey) -> Option<&PriceRow> {
        self.rows.get(key).or_else(|| self.base?.region(&key.region)?.get(key))
    }

    /// Add a price; returns the price it replaced, if any.
    pub fn insert(&mut self, row: PriceRow) -> Option<PriceRow> {
        let base = self.base.and_then(|b| b.region(&row.key.region)?.get(&row.key)).cloned();
        self.rows.insert(row.key.clone(), row).or(base)
    }

    pub fn len(&self) -> usize {
        let in_base = |k: &PriceKey| self.base.and_then(|b| b.region(&k.region)).is_some_and(|t| t.contains_key(k));
        let shadowed = self.rows.keys().filter(|k| in_base(k)).count();
        self.base.map_or(0, |b| b.tables().map(HashMap::len).sum()) + self.rows.len() - shadowed
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every price, in key order.
    pub fn rows(&self) -> impl Iterator<Item = &PriceRow> {
        let base = self.base.into_iter().flat_map(Embedded::tables).flat_map(HashMap::values).filter(|r| !self.rows.contains_key(&r.key));
        let mut rows: Vec<&PriceRow> = self.rows.values().chain(base).collect();
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        rows.into_iter()
    }

    /// Regions with at least one price.
    pub fn regions(&self) -> BTreeSet<&str> {
        self.rows().map(|r| &*r.key.region).collect()
    }

    /// Load an AWS Price List bulk offer file (`index.json` of one offer and
    /// region) over this catalog.
    pub fn load_offer_file(&mut self, path: &Path) -> Result<OfferLoad, Diagnostic> {
        let bytes = std::fs::read(path).map_err(|e| {
            Diagnostic::error("strata::cost::bad_offer_file", format!("cannot read the price file {}: {e}", path.display()))
        })?;
        self.load_offer_json(&bytes, &path.display().to_string())
    }

    /// Load the JSON text of an offer file; `origin` names it in sources and errors.
    ///
    /// Kept: EC2 instances running Linux on shared tenancy without
    /// pre-installed software (`capacitystatus=Used`), EBS storage, IOPS and
    /// throughput, NAT gateways, public IPv4 addresses, load balancers, RDS
    /// instances (open-source and Aurora engines, Single-AZ and Multi-AZ),
    /// RDS storage, provisioned IOPS and backup storage, and Route 53 hosted
    /// zones. Tiered prices keep their first tier.
    pub fn load_offer_json(&mut self, json: &[u8], origin: &str) -> Result<OfferLoad, Diagnostic> {
        let offer: Offer = serde_json::from_slice(json).map_err(|e| {
            Diagnostic::error("strata::cost::bad_offer_file", format!("{origin} is not an AWS Price List offer file: {e}"))
                .with_help("use an offer file's index.json: offers/v1.0/aws/<OfferCode>/current/<region>/index.json")
        })?;
        let mut load = OfferLoad { offer_code: offer.offer_code.clone(), added: 0, replaced: 0, regions: BTreeSet::new() };
        // `publicationDate` is an RFC 3339 time; its date is the data's date.
        let date = offer.publication_date.as_deref().and_then(|d| d.get(..10)).map(str::to_string);
        for (sku, product) in &offer.products {
            let Some((service, resource)) = classify(&product.product_family, &product.attributes) else { continue };
            let region = if service == "AmazonRoute53" {
                "global"
            } else {
                match product.attributes.get("regionCode") {
                    Some(r) => r.as_str(),
                    None => continue,
                }
            };
            let Some(terms) = offer.terms.on_demand.get(sku) else { continue };
            let Some(term) = terms.values().next() else { continue };
            let Some((dimension, tiers)) = first_tier(term) else { continue };
            let Some(usd) =
                dimension.price_per_unit.get("USD").and_then(|p| p.trim().parse::<f64>().ok()).filter(|p| p.is_finite() && *p >= 0.0)
            else {
                continue;
            };
            let (unit, usd) = normalize_unit(&dimension.unit, usd);
            let mut attributes: BTreeMap<String, String> =
                ["operatingSystem", "tenancy", "preInstalledSw", "capacitystatus", "volumeApiName", "volumeType", "usagetype"]
                    .iter()
                    .filter_map(|k| product.attributes.get(*k).map(|v| (k.to_string(), v.clone())))
                    .collect();
            if matches!(product.product_family.as_str(), "Database Instance" | "Database Storage" | "Provisioned IOPS")
                && let Some(d) = product.attributes.get("deploymentOption")
            {
                attributes.insert("deploymentOption".into(), d.clone());
            }
            if product.product_family == "Database Instance"
                && let Some(e) = product.attributes.get("databaseEngine")
            {
                attributes.insert("databaseEngine".into(), e.clone());
            }
            attributes.insert("term".into(), "OnDemand".into());
            let tiered = if tiers > 1 { format!(", first of {tiers} price tiers") } else { String::new() };
            let version = offer.version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default();
            let source = Arc::new(PriceSource {
                date: date.clone(),
                text: format!("{origin} ({}{version}, sku {sku}{tiered})", offer.offer_code),
                ..PriceSource::default()
            });
            let key = PriceKey::for_attributes(service, region, &resource, &attributes);
            let row =
                PriceRow { key, attributes: Arc::new(attributes), description: None, unit: Arc::from(unit), usd_per_unit: usd, source };
            load.regions.insert(region.to_string());
            match self.insert(row) {
                Some(_) => load.replaced += 1,
                None => load.added += 1,
            }
        }
        if load.added + load.replaced == 0 {
            return Err(Diagnostic::error("strata::cost::bad_offer_file", format!("{origin} has no price strata uses"))
                .with_help("strata reads the AmazonEC2 (instances, EBS, NAT gateways, IPv4), AmazonVPC, AmazonRDS, AWSELB and AmazonRoute53 offer files"));
        }
        Ok(load)
    }
}

/// The embedded tables (format in `data/README.md`), decompressed once and
/// parsed a region at a time, when a lookup first asks for that region: a
/// run pricing one region does not build the rows of the other 33. The
/// prices are gzip text whose `@service<TAB>attribute_key<TAB>unit` lines
/// start a section of `region<TAB>resource<TAB>usd<TAB>source id` lines; the
/// sources a table of `id<TAB>date<TAB>url<TAB>text` lines. `#` lines are
/// comments.
#[derive(Default)]
struct Embedded {
    prices: String,
    sources: HashMap<String, Arc<PriceSource>>,
    /// Per region, its price lines (each with its section's line) and the
    /// table they make once parsed.
    regions: HashMap<String, (Vec<Line>, OnceLock<Table>)>,
}

/// A price line: where its section line and it start in the text, and the
/// line number (one-based) for errors.
#[derive(Clone, Copy)]
struct Line {
    section: usize,
    start: usize,
    number: usize,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded").field("regions", &self.regions.len()).finish_non_exhaustive()
    }
}

impl Embedded {
    fn new(prices: &[u8], sources: &[u8]) -> Result<Embedded, String> {
        fn gunzip(bytes: &[u8], name: &str) -> Result<String, String> {
            let mut text = String::new();
            flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).map_err(|e| format!("{name}: {e}"))?;
            Ok(text)
        }
        let sources_text = gunzip(sources, "sources.tsv.gz")?;
        let mut by_id = HashMap::new();
        for (n, line) in sources_text.lines().enumerate().filter(|(_, l)| !l.is_empty() && !l.starts_with('#')) {
            let [id, date, url, text] = line.splitn(4, '\t').collect::<Vec<_>>()[..] else {
                return Err(format!("sources.tsv.gz line {}: expected 4 fields", n + 1));
            };
            let source = PriceSource { id: Some(format!("s{id}")), date: Some(date.into()), url: Some(url.into()), text: text.into() };
            by_id.insert(id.to_string(), Arc::new(source));
        }
        let prices = gunzip(prices, "prices.tsv.gz")?;
        let mut regions: HashMap<String, (Vec<Line>, OnceLock<Table>)> = HashMap::new();
        let mut section = None;
        let mut start = 0;
        for (n, line) in prices.split_inclusive('\n').enumerate() {
            let here = start;
            start += line.len();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with('@') {
                section = Some(here);
                continue;
            }
            let Some(section) = section else {
                return Err(format!("prices.tsv.gz line {}: a price before the first section", n + 1));
            };
            let region = line.split('\t').next().unwrap_or_default();
            let entry = match regions.get_mut(region) {
                Some(entry) => entry,
                None => regions.entry(region.to_string()).or_default(),
            };
            entry.0.push(Line { section, start: here, number: n + 1 });
        }
        Ok(Embedded { prices, sources: by_id, regions })
    }

    /// The prices of `region`, parsed on first use (empty if the embedded
    /// data were malformed; `embedded_catalog_loads_every_row` guards it).
    fn region(&self, region: &str) -> Option<&Table> {
        let (lines, table) = self.regions.get(region)?;
        Some(table.get_or_init(|| self.parse(lines).unwrap_or_default()))
    }

    /// Every region's table (parsing those not parsed yet).
    fn tables(&self) -> impl Iterator<Item = &Table> {
        self.regions.keys().filter_map(|r| self.region(r))
    }

    fn parse(&self, lines: &[Line]) -> Result<Table, String> {
        type Section = (Arc<str>, Option<Arc<str>>, Option<Arc<str>>, Arc<BTreeMap<String, String>>, Option<Arc<str>>, Arc<str>);
        let line_at = |start: usize| self.prices[start..].split(['\n', '\r']).next().unwrap_or_default();
        let mut sections: HashMap<usize, Section> = HashMap::new();
        let mut strings = Interner::default();
        let mut table = Table::with_capacity(lines.len());
        for line in lines {
            let bad = |msg: &str| format!("prices.tsv.gz line {}: {msg}", line.number);
            let (service, engine, deployment, attributes, description, unit) = match sections.entry(line.section) {
                std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::hash_map::Entry::Vacant(new) => {
                    let header = line_at(line.section).trim_start_matches('@');
                    let [service, attribute_key, unit] = header.split('\t').collect::<Vec<_>>()[..] else {
                        return Err(bad("its section line does not have 3 fields"));
                    };
                    let (attributes, description) = parse_attribute_key(attribute_key);
                    let engine = attributes.get("databaseEngine").or_else(|| attributes.get("cacheEngine")).map(|e| Arc::from(e.as_str()));
                    let deployment = attributes.get("deploymentOption").map(|d| Arc::from(d.as_str()));
                    new.insert((
                        strings.get(service),
                        engine,
                        deployment,
                        Arc::new(attributes),
                        description.map(Arc::from),
                        Arc::from(unit),
                    ))
                }
            };
            let [region, resource, usd, id] = line_at(line.start).split('\t').collect::<Vec<_>>()[..] else {
                return Err(bad("expected 4 fields"));
            };
            let usd = usd.parse::<f64>().ok().filter(|u| u.is_finite() && *u >= 0.0).ok_or_else(|| bad("not a price"))?;
            let source = self.sources.get(id).ok_or_else(|| bad("unknown source id"))?.clone();
            let key = PriceKey {
                service: service.clone(),
                region: strings.get(region),
                resource: strings.get(resource),
                engine: engine.clone(),
                deployment: deployment.clone(),
            };
            let row = PriceRow {
                key: key.clone(),
                attributes: attributes.clone(),
                description: description.clone(),
                unit: unit.clone(),
                usd_per_unit: usd,
                source,
            };
            if table.insert(key, row).is_some() {
                return Err(bad("a second price with the same key"));
            }
        }
        Ok(table)
    }
}

/// Split an `attribute_key` cell into `key=value` filters and free text.
/// Keys are identifiers (`deploymentOption`); anything else is description,
/// such as `provisioned IOPS above included baseline (3000 IOPS; ...)`.
fn parse_attribute_key(cell: &str) -> (BTreeMap<String, String>, Option<String>) {
    let mut attributes = BTreeMap::new();
    let mut text = Vec::new();
    for part in cell.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((k, v)) if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric()) => {
                attributes.insert(k.to_string(), v.trim().to_string());
            }
            _ => text.push(part),
        }
    }
    (attributes, (!text.is_empty()).then(|| text.join("; ")))
}

/// A CSV record and the one-based line it starts on.
type Record = (usize, Vec<String>);

/// RFC 4180 records; an error names the line of the record it is in.
fn parse_csv(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start) = (1, 1);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                line += usize::from(c == '\n');
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                fields.push(std::mem::take(&mut field));
                if !(fields.len() == 1 && fields[0].is_empty()) {
                    records.push((start, std::mem::take(&mut fields)));
                }
                fields.clear();
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err((start, "a quoted field is not closed".into()));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

#[derive(Deserialize)]
struct Offer {
    #[serde(rename = "offerCode")]
    offer_code: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(rename = "publicationDate", default)]
    publication_date: Option<String>,
    products: BTreeMap<String, Product>,
    terms: Terms,
}

#[derive(Deserialize)]
struct Product {
    #[serde(rename = "productFamily", default)]
    product_family: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Terms {
    #[serde(rename = "OnDemand", default)]
    on_demand: BTreeMap<String, BTreeMap<String, Term>>,
}

#[derive(Deserialize)]
struct Term {
    #[serde(rename = "priceDimensions")]
    price_dimensions: BTreeMap<String, Dimension>,
}

#[derive(Deserialize)]
struct Dimension {
    unit: String,
    #[serde(rename = "beginRange", default)]
    begin_range: Option<String>,
    #[serde(rename = "pricePerUnit")]
    price_per_unit: BTreeMap<String, String>,
}

/// The dimension that starts at zero (the first tier) and how many tiers there are.
fn first_tier(term: &Term) -> Option<(&Dimension, usize)> {
    let dims = &term.price_dimensions;
    let begin = |d: &Dimension| d.begin_range.as_deref().and_then(|b| b.parse::<f64>().ok()).unwrap_or(0.0);
    let first = dims.values().min_by(|a, b| begin(a).total_cmp(&begin(b)))?;
    Some((first, dims.len()))
}

/// Offer files spell units in several ways; the catalog uses the CSV's
/// spelling. gp3 throughput is sold per GiB/s-month and priced per MiB/s.
fn normalize_unit(unit: &str, usd: f64) -> (String, f64) {
    match unit.to_ascii_lowercase().as_str() {
        "hrs" | "hour" | "hours" => ("Hrs".into(), usd),
        "gb-mo" | "gb-month" => ("GB-Mo".into(), usd),
        "iops-mo" | "iops-month" => ("IOPS-Mo".into(), usd),
        "mibps-mo" | "mibps-month" => ("MiBps-Mo".into(), usd),
        "gibps-mo" | "gibps-month" => ("MiBps-Mo".into(), usd / 1024.0),
        "lcu-hrs" => ("LCU-Hrs".into(), usd),
        "gb" => ("GB".into(), usd),
        _ => (unit.into(), usd),
    }
}

/// Engines whose RDS instance prices strata reads; others need an edition
/// and a license model that the catalog does not key on.
const RDS_ENGINES: [&str; 5] = ["PostgreSQL", "MySQL", "MariaDB", "Aurora MySQL", "Aurora PostgreSQL"];

/// Map an offer product onto the catalog's service and resource names.
fn classify(family: &str, a: &BTreeMap<String, String>) -> Option<(&'static str, String)> {
    let attr = |k: &str| a.get(k).map(String::as_str);
    let usage = attr("usagetype").unwrap_or("");
    if attr("locationType").is_some_and(|l| l != "AWS Region") && family != "DNS Zone" {
        return None;
    }
    let deployment_ok = || matches!(attr("deploymentOption"), Some("Single-AZ" | "Multi-AZ"));
    let any_engine = || matches!(attr("databaseEngine"), None | Some("Any"));
    match family {
        "Compute Instance" => {
            let linux = attr("operatingSystem") == Some("Linux")
                && attr("tenancy") == Some("Shared")
                && attr("preInstalledSw") == Some("NA")
                && attr("capacitystatus") == Some("Used")
                && attr("marketoption").is_none_or(|m| m == "OnDemand");
            if !linux {
                return None;
            }
            Some(("AmazonEC2", attr("instanceType")?.to_string()))
        }
        "Storage" if usage.contains("EBS:VolumeUsage") => Some(("AmazonEC2", format!("ebs-{}", attr("volumeApiName")?))),
        "System Operation" if usage.contains("EBS:VolumeP-IOPS") => {
            let volume = attr("volumeApiName").or_else(|| usage.rsplit_once('.').map(|(_, v)| v))?;
            Some(("AmazonEC2", format!("ebs-{volume}-iops")))
        }
        "Provisioned Throughput" if usage.contains("EBS:VolumeP-Throughput") => {
            let volume = attr("volumeApiName").or_else(|| usage.rsplit_once('.').map(|(_, v)| v))?;
            Some(("AmazonEC2", format!("ebs-{volume}-throughput")))
        }
        "NAT Gateway" if usage.ends_with("NatGateway-Hours") => Some(("AmazonEC2", "nat-gateway".into())),
        "NAT Gateway" if usage.ends_with("NatGateway-Bytes") => Some(("AmazonEC2", "nat-gateway-data".into())),
        "IP Address" if usage.ends_with("IdleAddress") => Some(("AmazonVPC", "public-ipv4-idle".into())),
        "IP Address" if usage.ends_with("InUseAddress") => Some(("AmazonVPC", "public-ipv4-in-use".into())),
        "Load Balancer-Application" | "Load Balancer-Network" | "Load Balancer-Gateway" => {
            let kind = match family {
                "Load Balancer-Application" => "application",
                "Load Balancer-Network" => "network",
                _ => "gateway",
            };
            if usage.ends_with("LoadBalancerUsage") {
                Some(("AWSELB", format!("{kind}-load-balancer")))
            } else if usage.ends_with("LCUUsage") {
                Some(("AWSELB", format!("{kind}-load-balancer-lcu")))
            } else {
                None
            }
        }
        "Database Instance" if deployment_ok() && attr("databaseEngine").is_some_and(|e| RDS_ENGINES.contains(&e)) => {
            Some(("AmazonRDS", attr("instanceType")?.to_string()))
        }
        "Database Storage" if deployment_ok() && any_engine() => {
            let resource = match attr("volumeType")? {
                "General Purpose" => "storage-gp2",
                "General Purpose-GP3" => "storage-gp3",
                "Provisioned IOPS" => "storage-io1",
                "Provisioned IOPS-IO2" => "storage-io2",
                "Magnetic" => "storage-magnetic",
                _ => return None,
            };
            Some(("AmazonRDS", resource.into()))
        }
        "Provisioned IOPS" if deployment_ok() && any_engine() => {
            let resource = if usage.contains("GP3-PIOPS") {
                "storage-gp3-iops"
            } else if usage.contains("IO2-PIOPS") {
                "storage-io2-iops"
            } else if usage.contains("PIOPS") {
                "storage-io1-iops"
            } else {
                return None;
            };
            Some(("AmazonRDS", resource.into()))
        }
        "Storage Snapshot" if usage.ends_with("RDS:ChargedBackupUsage") => Some(("AmazonRDS", "backup-storage".into())),
        "DNS Zone" => Some(("AmazonRoute53", "hosted-zone".into())),
        _ => None,
    }
}
