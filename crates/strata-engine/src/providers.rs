//! The configured provider instances of a run, one per provider
//! configuration, keyed by its address: `provider["aws"]` for the default
//! configuration, `provider["aws"].west` for `provider "aws" { alias = "west" }`.
//!
//! Each configuration gets its own instance of the provider (its own
//! region, endpoints, credentials, default tags), configured through the
//! [`Provider`] trait; the engine picks the instance of a resource's
//! configuration for every call it makes about that resource, and the one
//! recorded in the state for objects no longer configured.
//!
//! Several providers are served side by side (`aws` and the local ones such
//! as `random`), each made by its own factory, chosen by the provider name
//! of the address (`provider["random"]` → the `random` factory); the schema
//! the configuration and plan see is the union of theirs, given once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use strata_config::Evaluated;
use strata_core::{Diagnostic, Diagnostics};
use strata_provider::{ConfigureRequest, Provider, ProviderSchema};

/// Makes a fresh, unconfigured provider instance.
pub type MakeProvider = dyn Fn() -> Arc<dyn Provider> + Send + Sync;

/// The factory of each provider name.
type Makers = Vec<(String, Arc<MakeProvider>)>;

/// The provider instances of a run. Cloning shares them.
#[derive(Clone)]
pub struct Providers {
    /// The factory of each provider name; the first also makes instances
    /// of names without one. `None`: every configuration is served by
    /// `first` (a fake in tests).
    make: Option<Arc<Makers>>,
    /// The schema of every provider together, when given; else `first`'s.
    schema: Option<&'static ProviderSchema>,
    /// The instance the schema comes from when none is given; with one
    /// factory, the one of the first configuration asked for.
    first: Arc<dyn Provider>,
    instances: Arc<RwLock<BTreeMap<String, Arc<dyn Provider>>>>,
    /// The addresses configured without errors.
    configured: Arc<RwLock<BTreeSet<String>>>,
}

impl Providers {
    /// One instance per provider configuration, each made by `make`.
    pub fn new(make: impl Fn() -> Arc<dyn Provider> + Send + Sync + 'static) -> Providers {
        let first = make();
        let make: Arc<MakeProvider> = Arc::new(make);
        Providers {
            make: Some(Arc::new(vec![(String::new(), make)])),
            schema: None,
            first,
            instances: Arc::default(),
            configured: Arc::default(),
        }
    }

    /// Several providers, one factory per provider name (`aws`, `random`,
    /// ...), the first also serving names without a factory; `schema` is
    /// every type of them all (types are prefixed by their provider's name).
    pub fn by_name(schema: &'static ProviderSchema, makers: Vec<(&str, Arc<MakeProvider>)>) -> Providers {
        let first = makers.first().map(|(_, m)| m()).expect("at least one provider factory");
        let make = makers.into_iter().map(|(n, m)| (n.to_string(), m)).collect();
        Providers { make: Some(Arc::new(make)), schema: Some(schema), first, instances: Arc::default(), configured: Arc::default() }
    }

    /// Every configuration served by one instance (tests with one fake cloud).
    pub fn shared(provider: Arc<dyn Provider>) -> Providers {
        Providers { make: None, schema: None, first: provider, instances: Arc::default(), configured: Arc::default() }
    }

    /// Given instances by address (tests with one fake cloud per region); an
    /// address not given is served by the first.
    pub fn with_instances(instances: Vec<(String, Arc<dyn Provider>)>) -> Providers {
        let first = instances.first().map(|(_, p)| p.clone()).expect("at least one provider instance");
        Providers {
            make: None,
            schema: None,
            first,
            instances: Arc::new(RwLock::new(instances.into_iter().collect())),
            configured: Arc::default(),
        }
    }

    pub fn schema(&self) -> &ProviderSchema {
        self.schema.unwrap_or_else(|| self.first.schema())
    }

    /// The instance of a provider configuration (its address). One that was
    /// never configured answers every call with an error.
    pub fn get(&self, address: &str) -> Arc<dyn Provider> {
        if let Some(p) = self.instances.read().unwrap_or_else(|e| e.into_inner()).get(address) {
            return p.clone();
        }
        let Some(make) = &self.make else { return self.first.clone() };
        let mut instances = self.instances.write().unwrap_or_else(|e| e.into_inner());
        let fresh = match make.as_slice() {
            [_] if instances.is_empty() => self.first.clone(),
            makers => {
                let name = name_of(address);
                makers.iter().find(|(n, _)| n == name).or(makers.first()).map_or_else(|| self.first.clone(), |(_, m)| m())
            }
        };
        instances.entry(address.to_string()).or_insert(fresh).clone()
    }

    /// The instances that list objects of type `ty` for drift: every
    /// configured configuration of the type's provider; with none
    /// configured at all (a shared fake), the type's default one. A type
    /// whose provider was not configured (not used by the configuration or
    /// the state) is not listed.
    pub fn listing(&self, ty: &str) -> Vec<Arc<dyn Provider>> {
        let configured = self.addresses();
        if configured.is_empty() {
            return vec![self.for_object(ty, None)];
        }
        let name = strata_provider::provider_name(ty);
        configured.iter().filter(|a| self.make.is_none() || name_of(a) == name).map(|a| self.get(a)).collect()
    }

    /// The instance for an object of type `ty` recorded (or planned) under
    /// `provider` (absent: the type's default configuration).
    pub fn for_object(&self, ty: &str, provider: Option<&str>) -> Arc<dyn Provider> {
        match provider {
            Some(p) => self.get(p),
            None => self.get(&strata_config::default_provider_address(ty)),
        }
    }

    /// Whether a configuration has been configured (or is served by the shared instance).
    pub fn is_configured(&self, address: &str) -> bool {
        self.make.is_none() || self.configured.read().unwrap_or_else(|e| e.into_inner()).contains(address)
    }

    /// The addresses configured, in order.
    pub fn addresses(&self) -> Vec<String> {
        self.configured.read().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    /// Configure every configuration: `(address, request)`, all at once.
    /// Diagnostics of an aliased configuration name it.
    pub async fn configure(&self, requests: Vec<(String, ConfigureRequest)>) -> Diagnostics {
        let mut calls = tokio::task::JoinSet::new();
        for (i, (address, req)) in requests.into_iter().enumerate() {
            let provider = self.get(&address);
            calls.spawn(async move { (i, address, provider.configure(req).await) });
        }
        let mut answers = Vec::new();
        while let Some(joined) = calls.join_next().await {
            match joined {
                Ok(a) => answers.push(a),
                Err(e) => answers.push((
                    usize::MAX,
                    String::new(),
                    Diagnostics(vec![Diagnostic::error("strata::provider::configure", format!("configuring a provider failed: {e}"))]),
                )),
            }
        }
        answers.sort_by_key(|(i, _, _)| *i);
        let mut out = Diagnostics::new();
        for (_, address, d) in answers {
            if !d.has_errors() && !address.is_empty() {
                self.configured.write().unwrap_or_else(|e| e.into_inner()).insert(address.clone());
            }
            let aliased = address.contains("].");
            out.extend(Diagnostics(
                d.0.into_iter()
                    .map(|d| if aliased { Diagnostic { message: format!("{address}: {}", d.message), ..d } } else { d })
                    .collect(),
            ));
        }
        out
    }
}

/// The provider name of a configuration's address: `provider["aws"].west` → `aws`.
pub fn name_of(address: &str) -> &str {
    address.strip_prefix("provider[\"").and_then(|a| a.split_once('"')).map_or(address, |(name, _)| name)
}

/// The configure requests of an evaluated configuration: every `provider`
/// block of the root module, and, without a block, the default
/// configuration of every provider a resource, data source or recorded
/// object uses (environment credentials and region for `aws`). The default
/// `aws` configuration is asked for also when nothing uses any provider.
pub fn configure_requests(ev: &Evaluated, recorded: Option<&strata_state::State>, lineage: &str) -> Vec<(String, ConfigureRequest)> {
    let request = |config: strata_core::Value| ConfigureRequest { config, lineage: lineage.to_string() };
    let mut out: Vec<(String, ConfigureRequest)> = ev.providers.iter().map(|p| (p.address(), request(p.config.clone()))).collect();
    let mut used: BTreeSet<String> = ev.resources.iter().chain(&ev.data).map(|r| r.provider.clone()).collect();
    if let Some(s) = recorded {
        let objects = s.resources.iter().chain(&s.deposed).map(|r| (r.ty.as_str(), r.provider.as_deref()));
        let addresses = s.intents.iter().filter_map(|i| i.address.parse::<strata_core::Address>().ok().map(|a| (a.ty, i.provider.clone())));
        used.extend(objects.map(|(ty, p)| p.map_or_else(|| strata_config::default_provider_address(ty), str::to_string)));
        used.extend(addresses.map(|(ty, p)| p.unwrap_or_else(|| strata_config::default_provider_address(&ty))));
    }
    let aws = strata_config::provider_address("aws", None);
    if used.is_empty() {
        used.insert(aws.clone());
    }
    // Defaults only: an alias without its block is `check_recorded_providers`' error.
    let defaults: Vec<String> = used.into_iter().filter(|a| !a.contains("].") && !out.iter().any(|(o, _)| o == a)).collect();
    for address in defaults {
        let at = if address == aws { 0 } else { out.len() };
        out.insert(at, (address, request(strata_core::Value::Null)));
    }
    out
}
