//! Helpers shared by the resource implementations: reading planned values,
//! building state values, tags, errors and waiting.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use strata_core::Value;
use strata_provider::{ProviderError, ReadResult};

use crate::clients::Clients;

/// Tag keys strata writes on every object that takes tags.
pub use strata_provider::{STRATA_TAG_PREFIX, TAG_ADDRESS, TAG_INTENT, TAG_LINEAGE, is_system_tag};

/// Attribute access on planned or recorded objects (sensitive marks looked through).
pub trait Attrs {
    fn attr(&self, name: &str) -> Option<&Value>;

    /// A known, non-null string attribute.
    fn str_attr(&self, name: &str) -> Option<&str> {
        self.attr(name).and_then(|v| v.peel().as_str())
    }

    fn string(&self, name: &str) -> Option<String> {
        self.str_attr(name).map(str::to_string)
    }

    fn bool_attr(&self, name: &str) -> Option<bool> {
        self.attr(name).and_then(|v| v.peel().as_bool())
    }

    fn num_attr(&self, name: &str) -> Option<f64> {
        self.attr(name).and_then(|v| v.peel().as_f64())
    }

    fn i32_attr(&self, name: &str) -> Option<i32> {
        self.num_attr(name).filter(|n| n.fract() == 0.0 && n.abs() < 2e9).map(|n| n as i32)
    }

    /// A list (or set) of known strings.
    fn str_list(&self, name: &str) -> Vec<String> {
        self.attr(name)
            .and_then(|v| v.peel().as_seq())
            .map(|s| s.iter().filter_map(|v| v.peel().as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    /// Nested blocks (lists of objects).
    fn blocks(&self, name: &str) -> Vec<&Value> {
        self.attr(name).and_then(|v| v.peel().as_seq()).map(|s| s.iter().collect()).unwrap_or_default()
    }

    /// A map of strings (`tags`).
    fn str_map(&self, name: &str) -> BTreeMap<String, String> {
        self.attr(name)
            .and_then(|v| v.peel().as_map())
            .map(|m| m.iter().filter_map(|(k, v)| v.to_template_string().map(|s| (k.clone(), s))).collect())
            .unwrap_or_default()
    }
}

impl Attrs for Value {
    fn attr(&self, name: &str) -> Option<&Value> {
        self.peel().as_map()?.get(name).filter(|v| !v.is_null() && !v.is_unknown())
    }
}

/// Builds a state object: start from the planned object (so that every
/// schema attribute is present), then set what the API reports.
pub struct StateBuilder(BTreeMap<String, Value>);

impl StateBuilder {
    pub fn from_planned(planned: &Value) -> StateBuilder {
        let mut m = planned.peel().as_map().cloned().unwrap_or_default();
        // Anything still unknown becomes null unless the API fills it in.
        for v in m.values_mut() {
            if v.is_unknown() {
                *v = Value::Null;
            }
        }
        StateBuilder(m)
    }

    pub fn set(&mut self, name: &str, v: Value) -> &mut Self {
        self.0.insert(name.to_string(), v);
        self
    }

    pub fn str(&mut self, name: &str, v: Option<impl Into<String>>) -> &mut Self {
        self.set(name, v.map_or(Value::Null, |s| Value::string(s)))
    }

    pub fn bool(&mut self, name: &str, v: Option<bool>) -> &mut Self {
        self.set(name, v.map_or(Value::Null, Value::Bool))
    }

    pub fn num(&mut self, name: &str, v: Option<impl Into<f64>>) -> &mut Self {
        self.set(name, v.map_or(Value::Null, |n| Value::Number(n.into())))
    }

    pub fn strs(&mut self, name: &str, v: impl IntoIterator<Item = impl Into<String>>) -> &mut Self {
        self.set(name, Value::List(v.into_iter().map(|s| Value::string(s)).collect()))
    }

    /// `tags` and `tags_all` from every tag the object has: `tags_all` has
    /// them all but strata's own, `tags` also leaves out the ones AWS
    /// reserves (`aws:`). The dispatch then takes the default tags out of
    /// `tags` ([`settle_tags`]), as Terraform's provider does, so that a tag
    /// added outside strata is in `tags` and planned away.
    pub fn tags(&mut self, all: &BTreeMap<String, String>) -> &mut Self {
        let to_map = |keep: &dyn Fn(&str) -> bool| {
            Value::Map(all.iter().filter(|(k, _)| keep(k)).map(|(k, v)| (k.clone(), Value::string(v.clone()))).collect())
        };
        self.set("tags", to_map(&|k| !is_system_tag(k)));
        // Whose the object is travels beside the state to the dispatch, which
        // takes it out ([`take_lineage`]): it is not an attribute.
        self.set(LINEAGE_KEY, all.get(TAG_LINEAGE).map_or(Value::Bool(false), |l| Value::string(l.clone())));
        self.set("tags_all", to_map(&|k| !k.starts_with(STRATA_TAG_PREFIX)))
    }

    pub fn build(self) -> Value {
        Value::Map(self.0.into())
    }
}

/// Where [`StateBuilder::tags`] leaves the object's `strata:lineage` tag
/// (`false`: none) for the dispatch to take out of the state.
const LINEAGE_KEY: &str = "\u{0}strata:lineage";

/// Take the lineage [`StateBuilder::tags`] left in a state out of it:
/// whose the object is (`NotRead` when the state was built without tags).
pub fn take_lineage(state: &mut Value) -> strata_provider::Ownership {
    let found = match state {
        Value::Map(m) => m.remove(LINEAGE_KEY),
        _ => None,
    };
    match found {
        Some(Value::String(l)) => strata_provider::Ownership::Lineage(l.into_string()),
        Some(_) => strata_provider::Ownership::Untagged,
        None => strata_provider::Ownership::NotRead,
    }
}

/// Terraform's `tags` of an object read back: every tag of it (as
/// [`StateBuilder::tags`] left them) but the provider's default tags it has
/// with their default value, unless `base` (the prior object for a read, the
/// planned one for a create or update; null for an import) has the key in
/// its own `tags`, i.e. the configuration wrote it too. An object with no
/// tags left and none in `base` has null `tags`, as configurations without
/// `tags` plan them.
///
/// Every other tag stays: one added or changed outside strata (or a default
/// tag whose value was changed) is then a difference from the
/// configuration, which a plan removes or restores and drift reports.
pub fn settle_tags(state: &mut Value, base: &Value, defaults: &BTreeMap<String, String>) {
    let Value::Map(m) = state else { return };
    let Some(Value::Map(tags)) = m.get("tags") else { return };
    let configured = base.peel().as_map().and_then(|b| b.get("tags")).and_then(|t| t.peel().as_map());
    let written = |k: &str| configured.is_some_and(|c| c.contains_key(k));
    let kept: strata_core::value::Map = tags
        .iter()
        .filter(|(k, v)| written(k) || defaults.get(k.as_str()).is_none_or(|d| v.peel().as_str() != Some(d.as_str())))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let settled = if kept.is_empty() && configured.is_none_or(|c| c.is_empty()) { Value::Null } else { Value::Map(kept) };
    m.insert("tags".into(), settled);
}

/// The tags to write on a new or updated object: default tags, then the
/// resource's own, then strata's bookkeeping tags.
pub fn tags_for(clients: &Clients, planned: &Value, address: &str, token: Option<&str>) -> BTreeMap<String, String> {
    let mut tags = clients.default_tags.clone();
    tags.extend(planned.str_map("tags"));
    tags.insert(TAG_ADDRESS.into(), address.to_string());
    tags.insert(TAG_LINEAGE.into(), clients.lineage.clone());
    if let Some(t) = token {
        tags.insert(TAG_INTENT.into(), t.to_string());
    }
    tags
}

/// An SDK error as a provider error, keeping AWS's code and message. An
/// error response without either (an HTML page from a proxy, an emulator's
/// traceback) is told by its HTTP status and the start of its body.
pub fn aws_err<E>(e: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let retryable = matches!(e, SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_));
    let status = e.raw_response().map(|r| r.status().as_u16());
    match e.as_service_error() {
        Some(se) => {
            let code = se.code().map(str::to_string);
            let retryable = retryable
                || status.is_some_and(|s| s >= 500)
                || code.as_deref().is_some_and(|c| c.contains("Throttl") || c == "RequestLimitExceeded" || c == "InternalError");
            let message = match (se.message(), &code, e.raw_response()) {
                (Some(m), _, _) => m.to_string(),
                (None, None, Some(raw)) => raw_summary(raw),
                (None, _, _) => se.to_string(),
            };
            ProviderError { message, code, retryable }
        }
        None => ProviderError { code: None, message: format!("{}", DisplayErrorChain(&e)), retryable },
    }
}

/// `HTTP 500: KeyError: 'pop from an empty set' …`: the status and the
/// start of the body's text, tags and runs of white space dropped.
fn raw_summary(raw: &HttpResponse) -> String {
    let body = raw.body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
    let mut text = String::new();
    let mut in_tag = false;
    for ch in body.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text: Vec<&str> = text.split_whitespace().collect();
    let mut summary = format!("HTTP {}", raw.status().as_u16());
    if !text.is_empty() {
        summary.push_str(": ");
        summary.extend(text.join(" ").chars().take(300));
    }
    summary
}

/// Whether an error says the object does not exist (`InvalidVpcID.NotFound`,
/// `DBInstanceNotFound`, `LoadBalancerNotFound`, `NoSuchHostedZone`).
pub fn is_not_found(e: &ProviderError) -> bool {
    e.code.as_deref().is_some_and(|c| c.contains("NotFound") || c.starts_with("NoSuch"))
}

/// An intent lookup needs the planned object: types without tags are found
/// by their planned attributes (routes, records, attachments), RDS objects
/// by their configured names, and an adopted object's state starts from
/// the planned object (attributes the API does not report, such as
/// `user_data`, would be missing and planned again). Without it (intent
/// recovery before planning) the lookup fails, which keeps the intent: the
/// apply looks again with the planned object before it creates anything.
pub fn planned_needed(planned: &Value, ty: &str) -> Result<(), ProviderError> {
    if planned.is_null() {
        return Err(ProviderError {
            code: Some("strata::aws::planned_needed".into()),
            message: format!("the object of an interrupted {ty} create is looked for with its planned value, which is not known yet"),
            retryable: false,
        });
    }
    Ok(())
}

/// How many calls of one kind a provider read runs at once (AWS throttles
/// bursts of describes).
pub const AT_ONCE: usize = 8;

/// Overlay per-object attribute reads (`read`: one call per object, a few
/// at once) on the found states of a batched read; the number of calls.
pub(crate) async fn per_object<F, Fut>(c: &Clients, results: &mut [ReadResult], read: F) -> Result<usize, ProviderError>
where
    F: Fn(Clients, String, Value) -> Fut,
    Fut: Future<Output = Result<Value, ProviderError>> + Send + 'static,
{
    let calls = results.iter().enumerate().filter_map(|(i, r)| {
        let state = r.state.as_ref()?;
        let call = read(c.clone(), state.string("id")?, state.clone());
        Some(async move { (i, call.await) })
    });
    let read_back = at_most_a_few(calls).await?;
    let n = read_back.len();
    for (i, state) in read_back {
        results[i].state = Some(state?);
    }
    Ok(n)
}

/// Run `calls` concurrently, at most [`AT_ONCE`] at a time; their outputs in
/// no particular order.
pub async fn at_most_a_few<T, Fut>(calls: impl IntoIterator<Item = Fut>) -> Result<Vec<T>, ProviderError>
where
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut set = tokio::task::JoinSet::new();
    for call in calls {
        let permits = permits.clone();
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            call.await
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        out.push(joined.map_err(|e| invalid(format!("a concurrent read failed unexpectedly: {e}")))?);
    }
    Ok(out)
}

/// Types without tags are found by what identifies them: when any of those
/// attributes is still unknown (a reference to an object not recorded yet),
/// "nothing found" could not be trusted, so the lookup fails instead and the
/// intent stays for a later lookup with the attribute known.
///
/// Attributes the provider computes when they are not configured are
/// unknown in a plan either way, so they are not held against the lookup.
pub fn identity_known(planned: &Value, ty: &str, names: &[&str]) -> Result<(), ProviderError> {
    planned_needed(planned, ty)?;
    let attrs = strata_provider::aws::schema().resource(ty).map(|r| &r.block.attributes);
    let computed = |name: &str| attrs.and_then(|a| a.get(name)).is_none_or(|a| a.computed);
    let unknown = |name: &str| planned.as_map().and_then(|m| m.get(name)).is_some_and(|v| !v.is_wholly_known());
    match names.iter().find(|n| !computed(n) && unknown(n)) {
        Some(name) => Err(ProviderError {
            code: Some("strata::aws::planned_needed".into()),
            message: format!("the object of an interrupted {ty} create is looked for by `{name}`, which is not known yet"),
            retryable: false,
        }),
        None => Ok(()),
    }
}

/// A provider error made here (bad configuration that the schema let through).
pub fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError { code: None, message: message.into(), retryable: false }
}

struct DisplayErrorChain<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for DisplayErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// Poll `check` until it returns `Some`, starting at ~250 ms and backing off
/// to 5 s, for at most `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let started = Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if started.elapsed() + delay > timeout {
            return Err(ProviderError {
                code: Some("WaitTimeout".into()),
                message: format!("timed out after {timeout:?} waiting for {what}"),
                retryable: false,
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Default wait budgets when the configuration has no `timeouts` block.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
pub const DB_TIMEOUT: Duration = Duration::from_secs(40 * 60);

/// Every attribute and block of a type with its defaults: the base of the
/// state of an imported object, where only what the API reports is known.
pub fn skeleton(ty: &str) -> Value {
    strata_provider::aws::schema()
        .resource(ty)
        .map(|s| strata_provider::plan_change(s, None, &Value::Map(BTreeMap::new().into()), &[], false).planned)
        .map_or(Value::Null, no_unknowns)
}

/// A state holds no unknowns: what the API did not report is null.
pub fn no_unknowns(v: Value) -> Value {
    match v {
        Value::Unknown(_) => Value::Null,
        Value::List(l) => Value::List(l.into_iter().map(no_unknowns).collect()),
        Value::Set(l) => Value::Set(l.into_iter().map(no_unknowns).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, no_unknowns(v))).collect()),
        Value::Sensitive(v) => Value::Sensitive(Box::new(no_unknowns(*v))),
        v => v,
    }
}

/// The tag changes from the recorded `tags_all` to the tags wanted now:
/// (tags to write, keys to remove). System tags ([`is_system_tag`]) are
/// never written or removed here.
pub fn tag_changes(prior: &Value, wanted: &BTreeMap<String, String>) -> (BTreeMap<String, String>, Vec<String>) {
    tag_diff(&prior.str_map("tags_all"), wanted)
}

/// The tag changes that bring an object from the tags `old` to `wanted`:
/// (tags to write, keys to remove), system tags left alone.
pub fn tag_diff(old: &BTreeMap<String, String>, wanted: &BTreeMap<String, String>) -> (BTreeMap<String, String>, Vec<String>) {
    let set = wanted.iter().filter(|(k, v)| !is_system_tag(k) && old.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let removed = old.keys().filter(|k| !is_system_tag(k) && !wanted.contains_key(*k)).cloned().collect();
    (set, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_wait_for_configured_identity_only() {
        let rule = |sg: Value| {
            Value::map([("security_group_id", sg), ("type", Value::string("ingress")), ("source_security_group_id", Value::unknown())])
        };
        let names = ["security_group_id", "type", "source_security_group_id"];
        // Unknown because it is computed when unset: no reason to wait.
        assert!(identity_known(&rule(Value::string("sg-1")), "aws_security_group_rule", &names).is_ok());
        // Unknown because it refers to an object not recorded yet: wait.
        let err = identity_known(&rule(Value::unknown()), "aws_security_group_rule", &names).unwrap_err();
        assert_eq!(err.code.as_deref(), Some("strata::aws::planned_needed"));
        assert!(err.message.contains("`security_group_id`"), "{}", err.message);
        assert!(identity_known(&Value::Null, "aws_security_group_rule", &names).is_err());
    }

    #[test]
    fn error_pages_are_told_by_status_and_text() {
        let page = "<!doctype html>\n<html><head><title>500 Internal Server Error</title></head>\n<body><h1>Internal Server Error</h1>\n<p>KeyError: 'pop from an empty set'</p></body></html>";
        let status = aws_smithy_runtime_api::http::StatusCode::try_from(500).unwrap();
        let raw = HttpResponse::new(status, aws_smithy_types::body::SdkBody::from(page));
        assert_eq!(raw_summary(&raw), "HTTP 500: 500 Internal Server Error Internal Server Error KeyError: 'pop from an empty set'");
        let long = HttpResponse::new(status, aws_smithy_types::body::SdkBody::from("x ".repeat(1000)));
        assert_eq!(raw_summary(&long).len(), "HTTP 500: ".len() + 300);
        let empty =
            HttpResponse::new(aws_smithy_runtime_api::http::StatusCode::try_from(503).unwrap(), aws_smithy_types::body::SdkBody::empty());
        assert_eq!(raw_summary(&empty), "HTTP 503");
    }

    fn strings(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn value_map(items: &[(&str, &str)]) -> Value {
        Value::map(items.iter().map(|(k, v)| (*k, Value::string(*v))))
    }

    /// The state `StateBuilder::tags` and the dispatch's `settle_tags` make
    /// of an object with the tags `all`, read with `base` (its prior or
    /// planned object) and the provider's `defaults`.
    fn read_back(all: &[(&str, &str)], base: &Value, defaults: &[(&str, &str)]) -> (Value, Value) {
        let mut b = StateBuilder::from_planned(&Value::map([("id", Value::string("vpc-1"))]));
        b.tags(&strings(all));
        let mut state = b.build();
        take_lineage(&mut state);
        settle_tags(&mut state, base, &strings(defaults));
        let m = state.as_map().unwrap();
        (m["tags"].clone(), m["tags_all"].clone())
    }

    /// Guards against tags added outside strata being dropped from `tags`
    /// (only configured keys were kept), which hid them from drift and from
    /// `ignore_changes = [tags]`.
    #[test]
    fn tags_read_back_hold_every_tag_but_system_and_default_ones() {
        let system = [("strata:lineage", "l-1"), ("strata:address", "aws_vpc.a"), ("aws:cloudformation:stack-name", "s")];
        let configured = Value::map([("tags", value_map(&[("Name", "a")]))]);
        let defaults = [("Team", "platform")];

        // Added outside strata: in `tags`, beside the configured key.
        let all: Vec<_> = [("Name", "a"), ("Owner", "bob"), ("Team", "platform")].into_iter().chain(system).collect();
        let (tags, tags_all) = read_back(&all, &configured, &defaults);
        assert_eq!(tags, value_map(&[("Name", "a"), ("Owner", "bob")]), "the default tag with its default value is not in `tags`");
        assert_eq!(
            tags_all,
            value_map(&[("Name", "a"), ("Owner", "bob"), ("Team", "platform"), ("aws:cloudformation:stack-name", "s")]),
            "`tags_all` has every tag but strata's own"
        );

        // A default tag whose value was changed outside strata differs from the default.
        let (tags, _) = read_back(&[("Name", "a"), ("Team", "x")], &configured, &defaults);
        assert_eq!(tags, value_map(&[("Name", "a"), ("Team", "x")]));

        // A key written in `tags` too stays, even with the default's value.
        let both = Value::map([("tags", value_map(&[("Team", "platform")]))]);
        let (tags, _) = read_back(&[("Team", "platform")], &both, &defaults);
        assert_eq!(tags, value_map(&[("Team", "platform")]));

        // Nothing configured and nothing but defaults and system tags: null, as planned.
        let (tags, tags_all) = read_back(&[("Team", "platform"), ("strata:lineage", "l-1")], &Value::Null, &defaults);
        assert_eq!(tags, Value::Null);
        assert_eq!(tags_all, value_map(&[("Team", "platform")]));
        // Without defaults, an added tag of an object configured without tags is in `tags`.
        let (tags, _) = read_back(&[("Owner", "bob"), ("strata:lineage", "l-1")], &Value::Null, &[]);
        assert_eq!(tags, value_map(&[("Owner", "bob")]));
        // A configured key removed outside strata leaves an empty map (no different from null to a plan).
        let (tags, _) = read_back(&[], &configured, &defaults);
        assert_eq!(tags, Value::Map(strata_core::value::Map::new()));
    }

    #[test]
    fn tag_changes_never_touch_system_tags() {
        let prior = Value::map([("tags_all", value_map(&[("Name", "a"), ("aws:cloudformation:stack-name", "s")]))]);
        let (set, removed) = tag_changes(&prior, &strings(&[("Name", "a"), ("strata:lineage", "l-2")]));
        assert!(set.is_empty(), "{set:?}");
        assert!(removed.is_empty(), "an AWS tag cannot be removed: {removed:?}");
    }

    #[test]
    fn tag_changes_leave_strata_tags_alone() {
        let tags = |items: &[(&str, &str)]| items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<String, String>>();
        let prior = Value::map([(
            "tags_all",
            Value::map([("Name", Value::string("a")), ("Old", Value::string("x")), ("Team", Value::string("t"))]),
        )]);
        let wanted = tags(&[("Name", "b"), ("Team", "t"), ("strata:address", "aws_lb.a")]);
        let (set, removed) = tag_changes(&prior, &wanted);
        assert_eq!(set, tags(&[("Name", "b")]));
        assert_eq!(removed, vec!["Old".to_string()]);
    }
}
