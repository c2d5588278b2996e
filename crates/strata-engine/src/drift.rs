//! `strata drift`: compare the cloud with the state. Reads every recorded
//! object back (the batched refresh) and lists every object of the listable
//! types in the region, at the same time, and sorts what it finds into
//! changed attributes, objects deleted outside strata and objects strata
//! does not manage (less those the ignore file `.strataignore` names).
//!
//! The result is a [`DriftReport`] for the binary to render and the
//! refreshed state for it to persist if asked; nothing here writes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use strata_core::{Address, Diagnostic, Diagnostics, FileId, Layer, SourceMap, Span, Value};
use strata_provider::{BlockSchema, ListRequest, ListResponse, ProviderError, ProviderSchema, ResourceSchema};
use strata_state::State;
use tokio::task::JoinSet;

use crate::providers::Providers;

/// The ignore file's name; it lives beside the configuration.
pub const IGNORE_FILE: &str = ".strataignore";

use strata_provider::TAG_LINEAGE;

/// One `type.id` line of the ignore file; `*` matches any run of characters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    ty: Wildcard,
    id: Wildcard,
}

/// The rules of an ignore file: objects the state does not record whose
/// `type.id` matches a line are left out of the report. Recorded objects are
/// always compared: a wildcard such as `aws_security_group.*` silences the
/// account's other groups, never a change to a managed one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
    /// `TYPE.NAME.ATTRIBUTE` lines: changes of the attribute of the managed
    /// objects whose address matches `TYPE.NAME` (`*` allowed) are not drift.
    attributes: Vec<(Wildcard, Wildcard, String)>,
    /// `lifecycle { ignore_changes }` of the configured resources, by
    /// address: those changes are not drift either (`all`: none are).
    pub ignore_changes: HashMap<String, Vec<String>>,
    /// List objects the cloud made itself (an account's default network) as
    /// unmanaged too; by default they are counted and left out.
    pub include_defaults: bool,
}

impl IgnoreRules {
    /// Parse an ignore file: one `type.id` per line (`aws_vpc.vpc-0abc`,
    /// `aws_security_group.*`, `*.sg-123`), `#` starts a comment, blank
    /// lines are skipped. The type part is everything before the first `.`
    /// (ids may contain dots). A line without both parts, or whose type
    /// (without wildcards) is not one `schema` knows, is an error labelled
    /// in `file`.
    pub fn parse(text: &str, file: FileId, schema: &ProviderSchema) -> (IgnoreRules, Diagnostics) {
        let mut rules = IgnoreRules::default();
        let mut diags = Diagnostics::new();
        let mut offset = 0;
        for raw in text.split_inclusive('\n') {
            let start = offset;
            offset += raw.len();
            let line = raw.split('#').next().unwrap_or_default();
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            let lead = line.len() - line.trim_start().len();
            let span = Span::new(file, start + lead..start + lead + trimmed.len());
            let Some((ty, id)) =
                trimmed.split_once('.').filter(|(t, i)| !t.is_empty() && !i.is_empty() && !i.contains(char::is_whitespace))
            else {
                diags.push(
                    Diagnostic::error("strata::drift::bad_ignore", format!("`{trimmed}` is not a `type.id` ignore line"))
                        .with_label(Some(span), "expected `type.id`")
                        .with_help("write one object per line, e.g. `aws_vpc.vpc-0abc`, `aws_security_group.*` or `*.sg-123`"),
                );
                continue;
            };
            // `aws_db_instance.*.engine_version`: the last part an attribute
            // of the type, the middle a resource name (or `*`).
            if let Some((name, attribute)) = id.rsplit_once('.')
                && !name.contains('.')
                && schema.resource(ty).is_some_and(|s| s.block.attributes.contains_key(attribute) || s.block.blocks.contains_key(attribute))
            {
                rules.attributes.push((Wildcard::new(ty), Wildcard::new(name), attribute.to_string()));
                continue;
            }
            if !ty.contains('*') && schema.resource(ty).is_none() {
                let mut d = Diagnostic::error("strata::drift::unknown_type", format!("`{ty}` is not a resource type strata supports"))
                    .with_label(Some(span), "unknown resource type");
                if let Some(s) = strata_core::did_you_mean(ty, schema.resource_type_names()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                diags.push(d);
                continue;
            }
            rules.patterns.push(Pattern { ty: Wildcard::new(ty), id: Wildcard::new(id) });
        }
        (rules, diags)
    }

    /// Load `dir/.strataignore` into `sources` and parse it; no rules when
    /// there is no such file.
    pub fn load(dir: &Path, sources: &mut SourceMap, schema: &ProviderSchema) -> (IgnoreRules, Diagnostics) {
        let path = dir.join(IGNORE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file = sources.add(&path, path.display().to_string(), text.as_str());
                IgnoreRules::parse(&text, file, schema)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (IgnoreRules::default(), Diagnostics::new()),
            Err(e) => (
                IgnoreRules::default(),
                Diagnostics(vec![Diagnostic::error("strata::drift::bad_ignore", format!("cannot read {}: {e}", path.display()))]),
            ),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty() && self.attributes.is_empty()
    }

    /// Whether a change at `path` (`tags.Env`) of the managed object at
    /// `addr` is left out: by an attribute line or the resource's
    /// `ignore_changes`.
    ///
    /// Tag changes (`tags.Owner`) are of every tag the object has, default
    /// tags included, so `tags_all` in a line or `ignore_changes` ignores
    /// them too.
    pub fn ignores_change(&self, addr: &Address, path: &str) -> bool {
        let top = path.split(['.', '[']).next().unwrap_or(path);
        let tags_all = (top == "tags").then(|| format!("tags_all{}", &path[top.len()..]));
        let paths: Vec<&str> = [Some(path), tags_all.as_deref()].into_iter().flatten().collect();
        let by_line = self.attributes.iter().any(|(ty, name, attribute)| {
            ty.matches(&addr.ty) && name.matches(&addr.name) && paths.iter().any(|p| p.split(['.', '[']).next() == Some(attribute.as_str()))
        });
        let address = addr.to_string();
        let by_lifecycle = self.ignore_changes.get(&address).is_some_and(|items| {
            items.iter().any(|i| {
                let i = ignore_path(i);
                i == "all"
                    || paths.iter().any(|path| *path == i || path.starts_with(&format!("{i}.")) || path.starts_with(&format!("{i}[")))
            })
        });
        by_line || by_lifecycle
    }

    /// Whether a line matches the object `ty` with `id`.
    pub fn matches(&self, ty: &str, id: &str) -> bool {
        self.patterns.iter().any(|p| p.ty.matches(ty) && p.id.matches(id))
    }
}

/// An `ignore_changes` item as a drift path: `tags["DeployedAt"]` is
/// `tags.DeployedAt`, `ingress[0]` stays.
fn ignore_path(item: &str) -> String {
    let mut out = String::new();
    let mut rest = item.trim();
    while let Some(i) = rest.find("[\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find("\"]") else {
            out.push_str(&rest[i..]);
            return out;
        };
        out.push('.');
        out.push_str(&after[..end]);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// One part of an ignore line (a type, a resource name or an id): `*`
/// matches any run of characters (also none), everything else itself. The
/// matching is globset's: the text between the stars is escaped (`?`, `[`,
/// `{` and `\\` are literal, as ids may hold them) and runs of stars are one
/// star (globset takes `**` as a path wildcard).
#[derive(Debug, Clone)]
struct Wildcard {
    text: String,
    /// `None` only if globset refused the escaped pattern: then the line
    /// matches itself alone.
    matcher: Option<globset::GlobMatcher>,
}

impl Wildcard {
    fn new(text: &str) -> Wildcard {
        let pattern: Vec<String> = text.split('*').map(|part| globset::escape(&part.replace('\\', "\\\\"))).collect();
        let mut pattern = pattern.join("*");
        while pattern.contains("**") {
            pattern = pattern.replace("**", "*");
        }
        let matcher = globset::GlobBuilder::new(&pattern).literal_separator(false).backslash_escape(true).build().ok();
        Wildcard { text: text.to_string(), matcher: matcher.map(|g| g.compile_matcher()) }
    }

    fn matches(&self, text: &str) -> bool {
        match &self.matcher {
            Some(m) => m.is_match(text),
            None => self.text == text,
        }
    }
}

impl PartialEq for Wildcard {
    fn eq(&self, other: &Wildcard) -> bool {
        self.text == other.text
    }
}

impl Eq for Wildcard {}

/// A recorded object, as the report names it.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedObject {
    pub addr: Address,
    pub ty: String,
    pub id: String,
    pub layer: Layer,
}

/// One attribute path that differs between the state and the cloud.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeChange {
    /// `tags.Name`, `ingress[0].cidr_blocks`; map keys are joined with `.`
    /// as they are (a key may itself contain a dot).
    pub path: String,
    /// The recorded and the observed value; both null when `sensitive`.
    pub before: Value,
    pub after: Value,
    /// The attribute is sensitive: its values are never reported.
    pub sensitive: bool,
    /// For a set-typed attribute or block (`ingress`, `parameter`,
    /// `vpc_security_group_ids`): the elements the cloud lost and gained,
    /// compared whole and in any order. Their sensitive parts keep their
    /// marks for the renderers to hide; a set sensitive as a whole has none.
    pub elements: Option<SetElements>,
}

/// The elements of a set that differ between the state and the cloud.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetElements {
    /// Recorded, no longer in the cloud.
    pub removed: Vec<Value>,
    /// In the cloud, not recorded.
    pub added: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangedObject {
    pub object: ManagedObject,
    /// Sorted by path.
    pub attributes: Vec<AttributeChange>,
}

/// An object in the region that the state does not record.
#[derive(Debug, Clone, PartialEq)]
pub struct UnmanagedObject {
    pub ty: String,
    pub id: String,
    /// The type's layer in the five-layer model.
    pub layer: Layer,
    pub tags: BTreeMap<String, String>,
}

impl UnmanagedObject {
    /// The `strata:lineage` tag, when not empty: the state of another
    /// configuration manages it (or, with this state's lineage, an
    /// interrupted apply left it).
    pub fn lineage(&self) -> Option<&str> {
        self.tags.get(TAG_LINEAGE).map(String::as_str).filter(|l| !l.is_empty())
    }

    /// The `Name` tag, if any.
    pub fn name(&self) -> Option<&str> {
        self.tags.get("Name").map(String::as_str)
    }

    /// The line that ignores this object in `.strataignore`.
    pub fn ignore_line(&self) -> String {
        format!("{}.{}", self.ty, self.id)
    }
}

/// What could not be read (the recorded objects of a type) or listed (a
/// type's objects in the region): the report is incomplete for that type.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftError {
    pub ty: String,
    pub operation: DriftOperation,
    pub error: ProviderError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftOperation {
    Read,
    List,
}

impl DriftOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftOperation::Read => "read",
            DriftOperation::List => "list",
        }
    }
}

/// The kinds of drift, as reports and metrics name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftKind {
    Changed,
    Deleted,
    Unmanaged,
}

impl DriftKind {
    pub const ALL: [DriftKind; 3] = [DriftKind::Changed, DriftKind::Deleted, DriftKind::Unmanaged];

    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::Changed => "changed",
            DriftKind::Deleted => "deleted",
            DriftKind::Unmanaged => "unmanaged",
        }
    }
}

/// Everything `strata drift` found; lists are sorted by layer, then type and
/// address or id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriftReport {
    /// The state's lineage and serial (`None` without a state).
    pub lineage: Option<String>,
    pub serial: u64,
    /// Recorded objects compared.
    pub managed: usize,
    pub changed: Vec<ChangedObject>,
    pub deleted: Vec<ManagedObject>,
    pub unmanaged: Vec<UnmanagedObject>,
    /// Objects tagged with another state's lineage: managed by another
    /// configuration, not drift of this one.
    pub managed_elsewhere: Vec<UnmanagedObject>,
    /// Recorded objects whose name another state (or an object made outside
    /// strata) has taken: the recorded object is gone and the one found is
    /// not this state's.
    pub taken: Vec<crate::refresh::Foreign>,
    /// Unrecorded objects the ignore file left out.
    pub ignored: usize,
    /// Unrecorded objects the cloud made itself (an account's default VPC,
    /// its subnets, default security groups, main route tables), left out
    /// unless asked for.
    pub defaults: usize,
    /// The types listed for unmanaged objects.
    pub listed_types: Vec<String>,
    pub errors: Vec<DriftError>,
    /// API calls the provider reported.
    pub calls: usize,
    /// The other states given (`drift --state`), as (lineage, recorded
    /// objects): their objects are managed, not drift of this state.
    pub other_states: Vec<(String, usize)>,
}

impl DriftReport {
    pub fn has_drift(&self) -> bool {
        !self.changed.is_empty() || !self.deleted.is_empty() || !self.unmanaged.is_empty() || !self.taken.is_empty()
    }

    /// Drifted objects by kind and type (every kind present, types only where
    /// something drifted).
    pub fn counts(&self) -> BTreeMap<DriftKind, BTreeMap<String, usize>> {
        let mut out: BTreeMap<DriftKind, BTreeMap<String, usize>> = DriftKind::ALL.iter().map(|k| (*k, BTreeMap::new())).collect();
        let mut add = |kind, ty: &str| *out.entry(kind).or_default().entry(ty.to_string()).or_default() += 1;
        self.changed.iter().for_each(|c| add(DriftKind::Changed, &c.object.ty));
        self.deleted.iter().for_each(|d| add(DriftKind::Deleted, &d.ty));
        self.unmanaged.iter().for_each(|u| add(DriftKind::Unmanaged, &u.ty));
        out
    }
}

pub struct DriftOutcome {
    pub report: DriftReport,
    /// The state with the observed attributes and without the deleted
    /// objects, for `--refresh-state`.
    pub state: State,
}

/// The types listed for unmanaged objects: every type of the schema but
/// those whose objects are parts of another's
/// ([`DriftRelations::part_of`](strata_provider::DriftRelations::part_of)).
pub fn listed_types(schema: &ProviderSchema) -> Vec<String> {
    schema.resources.values().filter(|t| t.drift.part_of.is_none()).map(|t| t.type_name.clone()).collect()
}

/// Refresh `state` (empty when there is none) and list every object of the
/// [`listed_types`] through every configured provider configuration (each
/// region or account an alias reaches), all at once, and sort the
/// differences into a report.
pub async fn drift(providers: &Providers, state: Option<&State>, ignore: &IgnoreRules) -> DriftOutcome {
    drift_with(providers, state, &[], ignore).await
}

/// [`drift`] with other states of the same account (other configurations'):
/// the objects they record, and their companions, are managed rather than
/// unmanaged; so is an object without tags whose parent (a route table
/// association's route table, a record's zone, a target group attachment's
/// group) one of the states records or tags with its lineage; and a recorded
/// object whose name a listed state has taken is deleted, not taken. Only
/// `state` is compared and refreshed.
pub async fn drift_with(providers: &Providers, state: Option<&State>, others: &[State], ignore: &IgnoreRules) -> DriftOutcome {
    let empty = State::new();
    let recorded = state.unwrap_or(&empty);
    let schema = providers.schema();
    let types = listed_types(schema);
    let mut lists = JoinSet::new();
    for ty in &types {
        // A global type's objects are the same through every region alias.
        let mut instances = providers.listing(ty);
        if schema.resource(ty).is_some_and(|t| t.drift.global) {
            instances.truncate(1);
        }
        for provider in instances {
            let ty = ty.clone();
            lists.spawn(async move {
                let response = provider.list(ListRequest { ty: ty.clone() }).await;
                (ty, response)
            });
        }
    }
    let refreshed = crate::refresh::refresh_with(providers, recorded, true).await;
    let mut listed: Vec<(String, ListResponse)> = Vec::new();
    let mut errors: Vec<DriftError> =
        refreshed.errors.iter().map(|(ty, e)| DriftError { ty: ty.clone(), operation: DriftOperation::Read, error: e.clone() }).collect();
    while let Some(joined) = lists.join_next().await {
        match joined {
            Ok(r) => listed.push(r),
            Err(e) => errors.push(DriftError {
                ty: String::new(),
                operation: DriftOperation::List,
                error: ProviderError {
                    code: Some("strata::drift::provider_panic".into()),
                    message: format!("a list failed unexpectedly: {e}"),
                    retryable: false,
                },
            }),
        }
    }
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    // One answer per type: the lists of every configuration joined, the
    // first error kept.
    listed.dedup_by(|next, kept| {
        if next.0 != kept.0 {
            return false;
        }
        kept.1.calls += next.1.calls;
        kept.1.objects.append(&mut next.1.objects);
        if kept.1.error.is_none() {
            kept.1.error = next.1.error.take();
        }
        true
    });

    let layer_of = |ty: &str| schema.resource(ty).map_or(Layer::Infrastructure, |s| s.layer);
    let managed_object = |addr: &Address| {
        let r = recorded.resource_at(addr);
        let ty = addr.ty.clone();
        ManagedObject {
            addr: addr.clone(),
            id: r.map(|r| r.id.clone()).unwrap_or_default(),
            layer: r.and_then(|r| r.layer()).unwrap_or_else(|| layer_of(&ty)),
            ty,
        }
    };
    let mut report = DriftReport {
        lineage: state.map(|s| s.lineage.clone()),
        serial: recorded.serial,
        managed: recorded.resources.len(),
        listed_types: types,
        calls: refreshed.calls,
        ..DriftReport::default()
    };
    for c in &refreshed.changed {
        let object = managed_object(&c.addr);
        let mut attributes = object_changes(schema.resource(&object.ty), &c.before, &c.after);
        attributes.retain(|a| !ignore.ignores_change(&c.addr, &a.path));
        if !attributes.is_empty() {
            report.changed.push(ChangedObject { object, attributes });
        }
    }
    // The lineages of every state given: theirs are not foreign objects.
    let lineages: HashSet<&str> = state.into_iter().chain(others).map(|s| s.lineage.as_str()).collect();
    report.other_states = others.iter().map(|s| (s.lineage.clone(), s.resources.len())).collect();
    report.deleted = refreshed.gone.iter().map(managed_object).collect();
    for t in &refreshed.foreign {
        match &t.lineage {
            Some(l) if lineages.contains(l.as_str()) => report.deleted.push(managed_object(&t.addr)),
            _ => report.taken.push(t.clone()),
        }
    }

    // Every id the state knows, the deleted ones included (they are
    // reported as deleted; an answer listing them is a stale one), and the
    // companions of the recorded objects as recorded and as refreshed.
    let mut managed: HashSet<(String, String)> = recorded
        .resources
        .iter()
        .chain(&recorded.deposed)
        .chain(others.iter().flat_map(|o| o.resources.iter().chain(&o.deposed)))
        .map(|r| (schema.canonical(&r.ty).to_string(), r.id.clone()))
        .collect();
    for r in recorded.resources.iter().chain(&refreshed.state.resources).chain(others.iter().flat_map(|o| &o.resources)) {
        for c in schema.resource(&r.ty).map(|t| t.drift.companions.as_slice()).unwrap_or_default() {
            let mut ids = Vec::new();
            ids_at(&r.values(), c.path, &mut ids);
            managed.extend(ids.into_iter().map(|id| (c.ty.to_string(), id)));
        }
    }
    // A parent another given state manages: recorded in it, or tagged with
    // its lineage. (A child of this state's own parent that this state does
    // not record stays unmanaged: someone added it by hand.)
    let other_lineages: HashSet<&str> =
        others.iter().map(|s| s.lineage.as_str()).filter(|l| state.is_none_or(|s| s.lineage != *l)).collect();
    let mut others_own: HashSet<(&str, &str)> =
        others.iter().flat_map(|o| o.resources.iter().chain(&o.deposed)).map(|r| (schema.canonical(&r.ty), r.id.as_str())).collect();
    others_own.extend(
        listed
            .iter()
            .flat_map(|(ty, r)| r.objects.iter().map(move |o| (ty, o)))
            .filter(|(_, o)| o.tags.get(TAG_LINEAGE).is_some_and(|l| other_lineages.contains(l.as_str())))
            .map(|(ty, o)| (ty.as_str(), o.id.as_str())),
    );
    let managed_parent: HashSet<(String, String)> = listed
        .iter()
        .flat_map(|(_, r)| &r.objects)
        .filter_map(|o| o.parent.as_ref())
        .filter(|(pt, pid)| others_own.contains(&(pt.as_str(), pid.as_str())))
        .cloned()
        .collect();
    for (ty, response) in listed {
        report.calls += response.calls;
        if let Some(error) = response.error {
            errors.push(DriftError { ty, operation: DriftOperation::List, error });
            continue;
        }
        let mut seen = BTreeSet::new();
        for o in response.objects {
            if managed.contains(&(ty.clone(), o.id.clone()))
                || o.parent.as_ref().is_some_and(|p| managed_parent.contains(p))
                || !seen.insert(o.id.clone())
            {
                continue;
            }
            if ignore.matches(&ty, &o.id) {
                report.ignored += 1;
                continue;
            }
            if o.provider_default && !ignore.include_defaults {
                report.defaults += 1;
                continue;
            }
            let object = UnmanagedObject { ty: ty.clone(), id: o.id, layer: layer_of(&ty), tags: o.tags };
            match object.lineage() {
                Some(l) if state.is_none_or(|s| s.lineage != l) => report.managed_elsewhere.push(object),
                _ => report.unmanaged.push(object),
            }
        }
    }
    errors.sort_by(|a, b| (&a.ty, a.operation.as_str()).cmp(&(&b.ty, b.operation.as_str())));
    report.errors = errors;
    report.changed.sort_by(|a, b| {
        (a.object.layer, &a.object.ty, a.object.addr.to_string()).cmp(&(b.object.layer, &b.object.ty, b.object.addr.to_string()))
    });
    report.deleted.sort_by(|a, b| (a.layer, &a.ty, a.addr.to_string()).cmp(&(b.layer, &b.ty, b.addr.to_string())));
    for list in [&mut report.unmanaged, &mut report.managed_elsewhere] {
        list.sort_by(|a, b| (a.layer, &a.ty, &a.id).cmp(&(b.layer, &b.ty, &b.id)));
    }
    DriftOutcome { report, state: refreshed.state }
}

/// The strings at `path` in recorded attributes (`*` steps into every element of a list).
fn ids_at(v: &Value, path: &[&str], out: &mut Vec<String>) {
    match path.split_first() {
        None => out.extend(v.peel().as_str().filter(|s| !s.is_empty()).map(str::to_string)),
        Some((&"*", rest)) => v.peel().as_seq().into_iter().flatten().for_each(|item| ids_at(item, rest, out)),
        Some((key, rest)) => v.peel().as_map().and_then(|m| m.get(*key)).into_iter().for_each(|child| ids_at(child, rest, out)),
    }
}

/// The attribute changes of an object that are drift: those of every
/// top-level attribute [`followed`] says counts, and of its tags
/// ([`tag_changes`]).
fn object_changes(schema: Option<&ResourceSchema>, before: &Value, after: &Value) -> Vec<AttributeChange> {
    let mut out = Vec::new();
    let block = schema.map(|s| &s.block);
    let (Value::Map(a), Value::Map(b)) = (before.peel(), after.peel()) else {
        attribute_changes(block, before, after, false, &mut String::new(), &mut out);
        return out;
    };
    let sensitive = before.is_sensitive() || after.is_sensitive();
    let tagged = schema.is_some_and(|s| s.block.attribute("tags").is_some() && s.block.attribute("tags_all").is_some());
    let mut keys: BTreeSet<&str> = a.keys().chain(b.keys()).map(String::as_str).collect();
    if tagged {
        keys.insert("tags");
        keys.remove("tags_all");
    }
    for k in keys {
        let recorded = a.get(k).unwrap_or(&Value::Null);
        if tagged && k == "tags" {
            tag_changes(a, b, sensitive, &mut out);
        } else if followed(schema, k, recorded) {
            key_changes(block, k, recorded, b.get(k).unwrap_or(&Value::Null), sensitive, &mut k.to_string(), &mut out);
        }
    }
    out
}

/// The tags of an object that changed, as `tags.KEY` paths: every tag it
/// has (`tags_all`: default tags and tags added outside strata included,
/// as a plan compares them with the configuration), so that a tag added,
/// changed or removed outside strata is drift whether or not its key is
/// written in `tags`. System tags ([`strata_provider::is_system_tag`]) are
/// never drift. An object recorded without `tags_all` is compared by `tags`.
fn tag_changes(a: &strata_core::value::Map, b: &strata_core::value::Map, sensitive: bool, out: &mut Vec<AttributeChange>) {
    let is_map = |m: &strata_core::value::Map, k: &str| m.get(k).is_some_and(|v| v.peel().as_map().is_some());
    let name = if is_map(a, "tags_all") && is_map(b, "tags_all") { "tags_all" } else { "tags" };
    let (before, after) = (a.get(name).unwrap_or(&Value::Null), b.get(name).unwrap_or(&Value::Null));
    let user = |v: &Value| match v.peel() {
        Value::Map(m) => {
            Value::Map(m.iter().filter(|(k, _)| !strata_provider::is_system_tag(k)).map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        other => other.clone(),
    };
    let (before, after) = (user(before).mark_if(before.is_sensitive()), user(after).mark_if(after.is_sensitive()));
    attribute_changes(None, &before, &after, sensitive, &mut "tags".to_string(), out);
}

/// Whether a change of the top-level attribute `name` is drift. Attributes
/// only the cloud sets (ids, ARNs, timestamps, `tags_all`, associations
/// other objects make) follow from other changes and are not; attributes
/// the cloud fills in when the configuration leaves them out (a route
/// table's `route` when routes are `aws_route` resources) are once they
/// were recorded with a value; every other attribute is.
fn followed(schema: Option<&ResourceSchema>, name: &str, recorded: &Value) -> bool {
    let Some(s) = schema else { return true };
    let recorded_set = match recorded.peel() {
        Value::Null => false,
        Value::List(v) | Value::Set(v) => !v.is_empty(),
        Value::Map(m) => !m.is_empty(),
        _ => true,
    };
    if let Some(a) = s.block.attribute(name) {
        return !a.computed || ((a.optional || a.required) && recorded_set);
    }
    s.block.nested_block(name).is_none_or(|b| !b.computed || recorded_set)
}

/// The leaves at which two objects differ, walked as the refresh compares
/// them (null and an empty collection are the same; lists of different
/// lengths differ as a whole), and the sets of `block` (the schema of the
/// objects at this level) as their elements added and removed. A leaf
/// under a sensitive mark, or holding one, is reported without its values.
fn attribute_changes(
    block: Option<&BlockSchema>,
    before: &Value,
    after: &Value,
    sensitive: bool,
    path: &mut String,
    out: &mut Vec<AttributeChange>,
) {
    let sensitive = sensitive || before.is_sensitive() || after.is_sensitive();
    match (before.peel(), after.peel()) {
        (Value::Map(a), Value::Map(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                key_changes(block, k, a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null), sensitive, path, out);
                path.truncate(len);
            }
        }
        (Value::List(a), Value::List(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                attribute_changes(block, x, y, sensitive, path, out);
                path.truncate(len);
            }
        }
        _ => leaf_change(before, after, sensitive, path, None, out),
    }
}

/// The changes of the attribute or block `name` of an object of `block`,
/// at `path`: a set as its elements (a reordered set is no change), anything
/// else walked with its nested schema.
fn key_changes(
    block: Option<&BlockSchema>,
    name: &str,
    before: &Value,
    after: &Value,
    sensitive: bool,
    path: &mut String,
    out: &mut Vec<AttributeChange>,
) {
    if !sensitive
        && block.is_some_and(|b| b.is_set(name))
        && let Some((removed, added)) = strata_provider::set_diff(Some(before), Some(after))
    {
        if !removed.is_empty() || !added.is_empty() {
            leaf_change(before, after, false, path, Some(SetElements { removed, added }), out);
        }
        return;
    }
    let nested = block.and_then(|b| b.nested_block(name)).map(|b| &b.block);
    attribute_changes(nested, before, after, sensitive, path, out);
}

fn leaf_change(before: &Value, after: &Value, sensitive: bool, path: &str, elements: Option<SetElements>, out: &mut Vec<AttributeChange>) {
    if elements.is_some() || strata_provider::differs(Some(before), Some(after)) {
        let hidden = sensitive || before.contains_sensitive() || after.contains_sensitive();
        let (before, after) = if hidden { (Value::Null, Value::Null) } else { (before.clone(), after.clone()) };
        out.push(AttributeChange { path: path.to_string(), before, after, sensitive: hidden, elements });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use strata_provider::Provider;

    use super::*;
    use crate::fake::FakeProvider;
    use strata_state::ResourceState;

    fn rules(text: &str) -> (IgnoreRules, Diagnostics) {
        IgnoreRules::parse(text, FileId(0), strata_provider::aws::schema())
    }

    #[test]
    fn ignore_lines_match_type_and_id_with_wildcards() {
        let (r, d) = rules(
            "# defaults\naws_vpc.vpc-0abc\n  aws_security_group.*   # every group\n*.sg-123\naws_route53_record.Z1_www.example.com_A\naws_subnet.subnet-*-a\n\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(r.matches("aws_vpc", "vpc-0abc"));
        assert!(!r.matches("aws_vpc", "vpc-0abcd"));
        assert!(r.matches("aws_security_group", "sg-anything"));
        assert!(r.matches("aws_security_group_rule", "sg-123"));
        assert!(!r.matches("aws_security_group_rule", "sg-1234"));
        assert!(r.matches("aws_route53_record", "Z1_www.example.com_A"), "ids may contain dots");
        assert!(r.matches("aws_subnet", "subnet-1-2-a"));
        assert!(!r.matches("aws_subnet", "subnet-1-b"));
        assert!(!r.matches("aws_instance", "i-1"));
    }

    /// Guards against drift that can never be accepted: changes the
    /// configuration ignores (`ignore_changes`, RDS minor upgrades) or an
    /// attribute line leaves out are not drift; other changes still are.
    #[test]
    fn attribute_lines_and_ignore_changes_leave_changes_out() {
        let (mut r, d) = rules("aws_db_instance.*.engine_version\naws_vpc.main.tags\naws_route53_record.Z1_www.example.com_A\n");
        assert!(d.is_empty(), "{d:?}");
        let db: Address = "aws_db_instance.main".parse().unwrap();
        let vpc: Address = "aws_vpc.main".parse().unwrap();
        let other: Address = "aws_vpc.other".parse().unwrap();
        assert!(r.ignores_change(&db, "engine_version"));
        assert!(!r.ignores_change(&db, "instance_class"));
        assert!(r.ignores_change(&vpc, "tags.Env"));
        assert!(!r.ignores_change(&other, "tags.Env"), "the name must match");
        assert!(r.matches("aws_route53_record", "Z1_www.example.com_A"), "an id whose last part is no attribute stays an id");
        r.ignore_changes.insert("aws_vpc.other".into(), vec!["tags[\"DeployedAt\"]".into(), "cidr_block".into()]);
        assert!(r.ignores_change(&other, "tags.DeployedAt"));
        assert!(!r.ignores_change(&other, "tags.Env"));
        assert!(r.ignores_change(&other, "cidr_block"));
        r.ignore_changes.insert("aws_db_instance.main".into(), vec!["all".into()]);
        assert!(r.ignores_change(&db, "instance_class"));
    }

    fn glob(pattern: &str, text: &str) -> bool {
        Wildcard::new(pattern).matches(text)
    }

    #[test]
    fn glob_backtracks_over_stars() {
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(glob("*bc", "abcbc"));
        assert!(!glob("a*b", "aXc"));
        assert!(!glob("abc", "ab"));
        assert!(glob("**", "x"));
        assert!(glob("default.*", "default.mysql8.0"), "a star crosses dots");
        assert!(glob("Z1_*", "Z1_a/b"), "and slashes (globset's separator)");
    }

    /// Only `*` is a wildcard: globset's other syntax (`?`, classes,
    /// alternatives, escapes) is literal in an id, and `**` is one star.
    #[test]
    fn only_the_star_is_special() {
        assert!(glob("rule-?", "rule-?"));
        assert!(!glob("rule-?", "rule-1"));
        assert!(glob("a[0-9]", "a[0-9]"));
        assert!(!glob("a[0-9]", "a1"));
        assert!(glob("{a,b}*", "{a,b}c"));
        assert!(!glob("{a,b}", "a"));
        assert!(glob("a\\b", "a\\b"));
        assert!(glob("x**y", "x/z/y"));
        assert!(!glob("x**y", "xz"));
        assert!(glob("", ""));
        assert!(!glob("", "a"));
    }

    #[test]
    fn bad_ignore_lines_are_errors_with_the_line_labelled() {
        let text = "aws_vpc.vpc-1\nvpc-0abc\naws_vpcc.vpc-2\n";
        let (r, d) = rules(text);
        assert_eq!(d.error_count(), 2, "{d:?}");
        assert_eq!(d.0[0].code, "strata::drift::bad_ignore");
        let span = d.0[0].primary_span().unwrap();
        assert_eq!(&text[span.range.clone()], "vpc-0abc");
        assert_eq!(d.0[1].code, "strata::drift::unknown_type");
        assert!(d.0[1].help.iter().any(|h| h.contains("`aws_vpc`")), "{:?}", d.0[1]);
        assert!(r.matches("aws_vpc", "vpc-1"), "the good lines still count");
    }

    fn vpc(cidr: &str, tags: &[(&str, &str)]) -> Value {
        Value::map([("cidr_block", Value::string(cidr)), ("tags", Value::map(tags.iter().map(|(k, v)| (*k, Value::string(*v)))))])
    }

    /// A state recording the fake's objects of `ty` under `ty.NAME`.
    fn record(state: &mut State, fake: &FakeProvider, ty: &str, name: &str, id: &str) {
        let value = fake.object(ty, id).unwrap();
        state.upsert_resource(ResourceState::from_value(&Address::managed(ty, name), Layer::Infrastructure, id, &value));
    }

    #[tokio::test]
    async fn reports_changed_deleted_unmanaged_and_elsewhere_objects() {
        let fake = Arc::new(FakeProvider::new());
        let mut state = State::new();
        let default_sg = fake.insert("aws_security_group", Value::map([("name", Value::string("default"))]), None, None);
        let mut main_vpc = vpc("10.0.0.0/16", &[("Env", "dev")]);
        if let Value::Map(m) = &mut main_vpc {
            m.insert("default_security_group_id".into(), Value::string(default_sg.clone()));
        }
        let main = fake.insert("aws_vpc", main_vpc, None, None);
        let other = fake.insert("aws_vpc", vpc("10.1.0.0/16", &[]), None, None);
        record(&mut state, &fake, "aws_vpc", "main", &main);
        record(&mut state, &fake, "aws_vpc", "other", &other);
        fake.set_attribute("aws_vpc", &main, "tags", Value::map([("Env", Value::string("prod"))]));
        // Attributes only the cloud sets follow from other changes: not drift.
        fake.set_attribute("aws_vpc", &main, "tags_all", Value::map([("Env", Value::string("prod"))]));
        fake.set_attribute("aws_vpc", &main, "owner_id", Value::string("210987654321"));
        // An attribute the cloud fills in that was recorded empty: not drift
        // either; one recorded with a value is.
        fake.set_attribute("aws_vpc", &main, "ipv6_cidr_block", Value::string("2600:1f18::/56"));
        fake.set_attribute("aws_vpc", &main, "cidr_block", Value::string("10.9.0.0/16"));
        fake.remove("aws_vpc", &other);
        let stray = fake.insert("aws_vpc", vpc("10.2.0.0/16", &[("Name", "stray")]), None, None);
        let foreign = fake.insert("aws_vpc", vpc("10.3.0.0/16", &[(TAG_LINEAGE, "another-lineage")]), None, None);
        let orphan = fake.insert("aws_vpc", vpc("10.4.0.0/16", &[(TAG_LINEAGE, state.lineage.as_str())]), None, None);
        let untagged = fake.insert("aws_vpc", vpc("10.5.0.0/16", &[(TAG_LINEAGE, "")]), None, None);
        let root = fake.insert("aws_ebs_volume", Value::map([("size", Value::Number(8.0))]), None, None);
        let block = Value::map([("volume_id", Value::string(root.clone()))]);
        let instance = fake.insert("aws_instance", Value::map([("root_block_device", Value::List(vec![block].into()))]), None, None);
        record(&mut state, &fake, "aws_instance", "app", &instance);
        let provider: Arc<dyn Provider> = fake.clone();

        // Ignored by the configuration, the CIDR change is not drift.
        let mut lifecycle = IgnoreRules::default();
        lifecycle.ignore_changes.insert("aws_vpc.main".into(), vec!["cidr_block".into()]);
        let outcome = drift(&Providers::shared(provider.clone()), Some(&state), &lifecycle).await;
        let paths: Vec<&str> = outcome.report.changed[0].attributes.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(paths, ["tags.Env"]);

        let outcome = drift(&Providers::shared(provider.clone()), Some(&state), &IgnoreRules::default()).await;
        let r = &outcome.report;
        assert!(r.has_drift());
        assert_eq!(r.managed, 3);
        assert_eq!(r.changed.len(), 1, "{r:#?}");
        assert_eq!(r.changed[0].object.addr.to_string(), "aws_vpc.main");
        let change = |path: &str, before: &str, after: &str| AttributeChange {
            path: path.into(),
            before: Value::string(before),
            after: Value::string(after),
            sensitive: false,
            elements: None,
        };
        assert_eq!(r.changed[0].attributes, vec![change("cidr_block", "10.0.0.0/16", "10.9.0.0/16"), change("tags.Env", "dev", "prod")]);
        assert_eq!(r.deleted.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), [other.as_str()]);
        let mut unmanaged: Vec<&str> = r.unmanaged.iter().map(|u| u.id.as_str()).collect();
        unmanaged.sort();
        let mut expected = [stray.as_str(), orphan.as_str(), untagged.as_str()];
        expected.sort();
        assert_eq!(unmanaged, expected, "objects of this lineage or an empty one missing from the state are unmanaged");
        assert!(!r.unmanaged.iter().any(|u| u.id == root), "an instance's root volume is managed with it");
        assert!(!r.unmanaged.iter().any(|u| u.id == default_sg), "a managed VPC's default security group is managed with it");
        assert_eq!(r.managed_elsewhere.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), [foreign.as_str()]);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(r.listed_types.iter().all(|t| strata_provider::aws::schema().resource(t).is_some_and(|t| t.drift.part_of.is_none())));
        assert!(!r.listed_types.iter().any(|t| t == "aws_route" || t == "aws_security_group_rule"));
        assert_eq!(r.counts()[&DriftKind::Unmanaged]["aws_vpc"], 3);
        assert_eq!(r.counts()[&DriftKind::Deleted]["aws_vpc"], 1);
        // The refreshed state drops the deleted object and records the new tag.
        assert!(outcome.state.resource("aws_vpc.other").is_none());
        assert_eq!(outcome.state.resource("aws_vpc.main").unwrap().attributes["tags"]["Env"], "prod");
        assert_eq!(state.resource("aws_vpc.main").unwrap().attributes["tags"]["Env"], "dev", "the given state is untouched");

        let (ignore, d) = rules(&format!("aws_vpc.{stray}\n*.{orphan}\naws_vpc.{foreign}\naws_vpc.{untagged}\n"));
        assert!(d.is_empty());
        let r = drift(&Providers::shared(provider.clone()), Some(&state), &ignore).await.report;
        assert!(r.unmanaged.is_empty() && r.managed_elsewhere.is_empty(), "{r:#?}");
        assert_eq!(r.ignored, 4);
        let (everything, _) = rules("*.*\n");
        let r = drift(&Providers::shared(provider.clone()), Some(&state), &everything).await.report;
        assert_eq!((r.changed.len(), r.deleted.len()), (1, 1), "recorded objects are compared whatever the ignore file says");
    }

    /// Guards against tags drift being missed unless the key was written in
    /// `tags`: every tag of the object counts (default tags included), system
    /// tags never do, and `tags`/`tags_all` ignore rules cover them all.
    #[tokio::test]
    async fn every_tag_of_an_object_is_compared_but_system_tags() {
        let fake = Arc::new(FakeProvider::new());
        let mut state = State::new();
        let tags = |items: &[(&str, &str)]| Value::map(items.iter().map(|(k, v)| (*k, Value::string(*v))));
        let id = fake.insert("aws_vpc", vpc("10.0.0.0/16", &[("Name", "main")]), None, None);
        fake.set_attribute("aws_vpc", &id, "tags_all", tags(&[("Name", "main"), ("Team", "platform")]));
        record(&mut state, &fake, "aws_vpc", "main", &id);
        // Outside strata: a tag added (the read reports it in `tags` too), a
        // default tag removed (only in `tags_all`), a tag AWS reserves added.
        fake.set_attribute("aws_vpc", &id, "tags", tags(&[("Name", "main"), ("Owner", "bob")]));
        fake.set_attribute("aws_vpc", &id, "tags_all", tags(&[("Name", "main"), ("Owner", "bob"), ("aws:cloudformation:stack-id", "s")]));
        let provider = Providers::shared(fake.clone());
        let r = drift(&provider, Some(&state), &IgnoreRules::default()).await.report;
        let change = |path: &str, before: Value, after: Value| AttributeChange {
            path: path.into(),
            before,
            after,
            sensitive: false,
            elements: None,
        };
        assert_eq!(
            r.changed[0].attributes,
            vec![change("tags.Owner", Value::Null, Value::string("bob")), change("tags.Team", Value::string("platform"), Value::Null)],
            "each tag once, by key"
        );

        for ignored in [r#"tags["Owner"]"#, "tags_all"] {
            let mut rules = IgnoreRules::default();
            rules.ignore_changes.insert("aws_vpc.main".into(), vec![ignored.into(), r#"tags["Team"]"#.into()]);
            let r = drift(&provider, Some(&state), &rules).await.report;
            assert!(r.changed.is_empty(), "ignore_changes = [{ignored}]: {r:#?}");
        }
        let (line, _) = rules("aws_vpc.main.tags_all\n");
        assert!(drift(&provider, Some(&state), &line).await.report.changed.is_empty());
    }

    #[tokio::test]
    async fn sensitive_attribute_values_are_never_reported() {
        let fake = Arc::new(FakeProvider::new());
        let id = fake.insert(
            "aws_db_instance",
            Value::map([("password", Value::string("old-secret")), ("engine", Value::string("mysql"))]),
            None,
            None,
        );
        let mut state = State::new();
        let marked =
            crate::apply::mark(strata_provider::aws::schema(), "aws_db_instance", fake.object("aws_db_instance", &id).unwrap(), &[]);
        state.upsert_resource(ResourceState::from_value(&Address::managed("aws_db_instance", "db"), Layer::Data, &id, &marked));
        fake.set_attribute("aws_db_instance", &id, "password", Value::string("new-secret"));
        fake.set_attribute("aws_db_instance", &id, "engine", Value::string("postgres"));
        let provider: Arc<dyn Provider> = fake.clone();
        let r = drift(&Providers::shared(provider.clone()), Some(&state), &IgnoreRules::default()).await.report;
        assert_eq!(r.changed.len(), 1, "{r:#?}");
        let attrs = &r.changed[0].attributes;
        let password = attrs.iter().find(|a| a.path == "password").unwrap();
        assert!(password.sensitive && password.before.is_null() && password.after.is_null(), "{password:?}");
        let engine = attrs.iter().find(|a| a.path == "engine").unwrap();
        assert_eq!((engine.before.as_str(), engine.after.as_str(), engine.sensitive), (Some("mysql"), Some("postgres"), false));
        assert!(!format!("{r:?}").contains("secret"), "no secret anywhere in the report");
    }

    /// Regression: one rule added to a group outside strata was reported as
    /// the whole `ingress` list before and after.
    #[tokio::test]
    async fn a_set_reports_the_elements_added_and_removed() {
        let rule = |port: f64| {
            Value::map([
                ("from_port", Value::Number(port)),
                ("to_port", Value::Number(port)),
                ("protocol", Value::string("tcp")),
                ("cidr_blocks", Value::List(vec![Value::string("0.0.0.0/0")].into())),
            ])
        };
        let rules = |ports: &[f64]| Value::List(ports.iter().map(|p| rule(*p)).collect::<Vec<_>>().into());
        let fake = Arc::new(FakeProvider::new());
        let id =
            fake.insert("aws_security_group", Value::map([("name", Value::string("web")), ("ingress", rules(&[22.0, 80.0]))]), None, None);
        let mut state = State::new();
        record(&mut state, &fake, "aws_security_group", "web", &id);
        let provider: Arc<dyn Provider> = fake.clone();
        // Reordered by the cloud: not drift.
        fake.set_attribute("aws_security_group", &id, "ingress", rules(&[80.0, 22.0]));
        let r = drift(&Providers::shared(provider.clone()), Some(&state), &IgnoreRules::default()).await.report;
        assert!(r.changed.is_empty(), "{r:#?}");
        fake.set_attribute("aws_security_group", &id, "ingress", rules(&[80.0, 443.0, 22.0]));
        let r = drift(&Providers::shared(provider.clone()), Some(&state), &IgnoreRules::default()).await.report;
        assert_eq!(r.changed.len(), 1, "{r:#?}");
        let attrs = &r.changed[0].attributes;
        assert_eq!(attrs.len(), 1, "{attrs:#?}");
        assert_eq!(attrs[0].path, "ingress");
        assert_eq!(attrs[0].elements, Some(SetElements { removed: vec![], added: vec![rule(443.0)] }));
    }

    /// Two configurations in one account: drift of A alone lists B's
    /// untaggable objects as unmanaged; with B's state given, B's recorded
    /// objects are managed and an untaggable object is matched to B through
    /// its parent's lineage tag. A hand-made child of A's own table stays
    /// unmanaged.
    #[tokio::test]
    async fn objects_of_the_other_states_given_are_managed() {
        let fake = Arc::new(FakeProvider::new());
        let (mut a, mut b) = (State::new(), State::new());
        let table = |lineage: &str| Value::map([("tags", Value::map([(TAG_LINEAGE, Value::string(lineage))]))]);
        let assoc = |table: &str| Value::map([("route_table_id", Value::string(table))]);
        let a_table = fake.insert("aws_route_table", table(&a.lineage), None, None);
        let b_table = fake.insert("aws_route_table", table(&b.lineage), None, None);
        let b_assoc = fake.insert("aws_route_table_association", assoc(&b_table), None, None);
        let b_leftover = fake.insert("aws_route_table_association", assoc(&b_table), None, None);
        let by_hand = fake.insert("aws_route_table_association", assoc(&a_table), None, None);
        record(&mut a, &fake, "aws_route_table", "a", &a_table);
        record(&mut b, &fake, "aws_route_table", "b", &b_table);
        record(&mut b, &fake, "aws_route_table_association", "b", &b_assoc);
        let providers = Providers::shared(fake.clone());
        let unmanaged = |r: &DriftReport| {
            let mut ids: Vec<String> = r.unmanaged.iter().map(|u| u.id.clone()).collect();
            ids.sort();
            ids
        };
        let mut expected = vec![b_assoc.clone(), b_leftover.clone(), by_hand.clone()];
        expected.sort();
        let alone = drift(&providers, Some(&a), &IgnoreRules::default()).await.report;
        assert_eq!(unmanaged(&alone), expected);
        assert_eq!(alone.managed_elsewhere.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), [b_table.as_str()]);
        let both = drift_with(&providers, Some(&a), std::slice::from_ref(&b), &IgnoreRules::default()).await.report;
        assert_eq!(unmanaged(&both), [by_hand], "{both:#?}");
        assert!(both.managed_elsewhere.is_empty(), "{both:#?}");
        assert_eq!(both.other_states, [(b.lineage.clone(), 2)]);
    }

    #[tokio::test]
    async fn failed_reads_and_lists_are_reported_as_errors() {
        let fake = Arc::new(FakeProvider::new());
        let id = fake.insert("aws_subnet", Value::map([("cidr_block", Value::string("10.0.1.0/24"))]), None, None);
        let mut state = State::new();
        record(&mut state, &fake, "aws_subnet", "a", &id);
        fake.fail_reads("aws_subnet", "access denied");
        let provider: Arc<dyn Provider> = fake.clone();
        let r = drift(&Providers::shared(provider.clone()), Some(&state), &IgnoreRules::default()).await.report;
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        assert_eq!((r.errors[0].ty.as_str(), r.errors[0].operation), ("aws_subnet", DriftOperation::Read));
        assert!(r.deleted.is_empty(), "an object that could not be read is not deleted");
    }

    /// IAM objects are the same in every region: with two region aliases
    /// drift lists them once, regional types once per alias.
    #[tokio::test]
    async fn global_types_are_listed_through_one_configuration() {
        let (east, west) = (Arc::new(FakeProvider::new()), Arc::new(FakeProvider::new()));
        let default = "provider[\"registry.terraform.io/hashicorp/aws\"]".to_string();
        let alias = format!("{default}.west");
        let providers =
            Providers::with_instances(vec![(default.clone(), east.clone() as Arc<dyn Provider>), (alias.clone(), west.clone())]);
        let req = || strata_provider::ConfigureRequest { config: Value::Null, lineage: "l".into() };
        providers.configure(vec![(default, req()), (alias, req())]).await;
        drift(&providers, None, &IgnoreRules::default()).await;
        let lists = |ty: &str| {
            [&east, &west].iter().flat_map(|f| f.calls()).filter(|c| c.kind == crate::fake::CallKind::List && c.ty == ty).count()
        };
        assert_eq!(lists("aws_iam_role"), 1);
        assert_eq!(lists("aws_iam_policy"), 1);
        assert_eq!(lists("aws_vpc"), 2);
    }
}
