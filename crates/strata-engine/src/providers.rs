//! The configured provider instances of a run, one per provider
//! configuration, keyed by its address: `provider["aws"]` for the default
//! configuration, `provider["aws"].west` for `provider "aws" { alias = "west" }`.
//!
//! Each configuration gets its own instance of the provider (its own
//! region, endpoints, credentials, default tags), configured through the
//! [`Provider`] trait; the engine picks the instance of a resource's
//! configuration for every call it makes about that resource, and the one
//! recorded in the state for objects no longer configured.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use strata_config::Evaluated;
use strata_core::{Diagnostic, Diagnostics};
use strata_provider::{ConfigureRequest, Provider, ProviderSchema};

/// Makes a fresh, unconfigured provider instance.
pub type MakeProvider = dyn Fn() -> Arc<dyn Provider> + Send + Sync;

/// The provider instances of a run. Cloning shares them.
#[derive(Clone)]
pub struct Providers {
    /// `None`: every configuration is served by `first` (a fake in tests).
    make: Option<Arc<MakeProvider>>,
    /// The instance the schema comes from; with `make`, the one of the
    /// first configuration asked for.
    first: Arc<dyn Provider>,
    instances: Arc<RwLock<BTreeMap<String, Arc<dyn Provider>>>>,
    /// The addresses configured without errors.
    configured: Arc<RwLock<BTreeSet<String>>>,
}

impl Providers {
    /// One instance per provider configuration, each made by `make`.
    pub fn new(make: impl Fn() -> Arc<dyn Provider> + Send + Sync + 'static) -> Providers {
        let first = make();
        Providers { make: Some(Arc::new(make)), first, instances: Arc::default(), configured: Arc::default() }
    }

    /// Every configuration served by one instance (tests with one fake cloud).
    pub fn shared(provider: Arc<dyn Provider>) -> Providers {
        Providers { make: None, first: provider, instances: Arc::default(), configured: Arc::default() }
    }

    /// Given instances by address (tests with one fake cloud per region); an
    /// address not given is served by the first.
    pub fn with_instances(instances: Vec<(String, Arc<dyn Provider>)>) -> Providers {
        let first = instances.first().map(|(_, p)| p.clone()).expect("at least one provider instance");
        Providers { make: None, first, instances: Arc::new(RwLock::new(instances.into_iter().collect())), configured: Arc::default() }
    }

    pub fn schema(&self) -> &ProviderSchema {
        self.first.schema()
    }

    /// The instance of a provider configuration (its address). One that was
    /// never configured answers every call with an error.
    pub fn get(&self, address: &str) -> Arc<dyn Provider> {
        if let Some(p) = self.instances.read().unwrap_or_else(|e| e.into_inner()).get(address) {
            return p.clone();
        }
        let Some(make) = &self.make else { return self.first.clone() };
        let mut instances = self.instances.write().unwrap_or_else(|e| e.into_inner());
        let fresh = if instances.is_empty() { self.first.clone() } else { make() };
        instances.entry(address.to_string()).or_insert(fresh).clone()
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

/// The configure requests of an evaluated configuration: every `provider`
/// block of the root module, and the default `aws` configuration even
/// without a block (environment credentials and region).
pub fn configure_requests(ev: &Evaluated, lineage: &str) -> Vec<(String, ConfigureRequest)> {
    let mut out: Vec<(String, ConfigureRequest)> =
        ev.providers.iter().map(|p| (p.address(), ConfigureRequest { config: p.config.clone(), lineage: lineage.to_string() })).collect();
    let default = strata_config::provider_address("aws", None);
    if !out.iter().any(|(a, _)| *a == default) {
        out.insert(0, (default, ConfigureRequest { config: strata_core::Value::Null, lineage: lineage.to_string() }));
    }
    out
}
