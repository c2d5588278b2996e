//! SDK clients from the provider block and the standard AWS chain.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_http_client::tls;
use aws_smithy_types::error::display::DisplayErrorContext;
use strata_core::Value;
use strata_provider::ProviderError;

/// Everything a resource implementation needs to talk to AWS.
#[derive(Clone)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub route53: aws_sdk_route53::Client,
    pub sts: aws_sdk_sts::Client,
    pub iam: aws_sdk_iam::Client,
    pub region: String,
    /// The state lineage, written as the `strata:lineage` tag.
    pub lineage: String,
    /// `default_tags { tags = {...} }` of the provider block.
    pub default_tags: BTreeMap<String, String>,
    /// Shared pollers: concurrent waits for objects of one kind, one Describe per round.
    pub(crate) pollers: crate::batch::Pollers,
}

/// Retries for throttling and 5xx: the SDK's standard mode (jittered
/// exponential backoff), with more attempts than its default of 3.
const MAX_ATTEMPTS: u32 = 10;

/// How long the credential chain may look (profiles, SSO, instance metadata).
const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(15);

/// Whether the credential chain failed for want of any source (rather than
/// a configured source failing).
fn no_source(e: &CredentialsError) -> bool {
    match e {
        CredentialsError::CredentialsNotLoaded(_) | CredentialsError::ProviderTimedOut(_) => true,
        // The last link, instance metadata, refused (no instance, or IMDS
        // blocked): the chain found nothing before it.
        CredentialsError::ProviderError(_) => DisplayErrorContext(e).to_string().contains("IMDS"),
        _ => false,
    }
}

fn no_credentials(message: String) -> ProviderError {
    ProviderError { code: Some(strata_provider::NO_CREDENTIALS.to_string()), message, retryable: false }
}

impl Clients {
    /// Build clients from the evaluated `provider "aws"` block. Credentials and
    /// region follow the standard chain (environment, profile) unless the block
    /// sets them; `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_EC2`, ...) or the
    /// block's `endpoints { ec2 = ... }` point the clients elsewhere (moto).
    pub async fn from_config(config: &Value, lineage: &str) -> Result<Clients, ProviderError> {
        let block = config.peel().as_map().cloned().unwrap_or_default();
        let get_str = |k: &str| block.get(k).and_then(|v| v.peel().as_str()).map(str::to_string);

        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS).with_initial_backoff(Duration::from_millis(100)));
        if let Some(region) = get_str("region") {
            loader = loader.region(Region::new(region));
        }
        if let Some(profile) = get_str("profile") {
            loader = loader.profile_name(profile);
        }
        if let (Some(access), Some(secret)) = (get_str("access_key"), get_str("secret_key")) {
            loader = loader.credentials_provider(Credentials::new(access, secret, get_str("token"), None, "provider block"));
        }
        let shared = loader.load().await;
        // Find credentials now, so that a missing set is one clear error
        // (and `plan` can go on offline) rather than one per call.
        let creds = shared.credentials_provider().ok_or_else(|| no_credentials("no credentials provider is configured".into()))?;
        match tokio::time::timeout(CREDENTIALS_TIMEOUT, creds.provide_credentials()).await {
            Ok(Ok(_)) => {}
            // Nothing configured anywhere, the chain having ended at an
            // instance metadata service that is absent or refuses: no
            // credentials. A configured source that fails (an expired SSO
            // session, a refused role) is an error.
            Ok(Err(e)) if no_source(&e) => {
                tracing::debug!(error = %DisplayErrorContext(&e), "credential chain");
                return Err(no_credentials("no AWS credentials found (environment, profile, SSO or instance metadata)".into()));
            }
            Ok(Err(e)) => {
                return Err(ProviderError {
                    code: Some("strata::aws::credentials".into()),
                    message: format!("cannot load AWS credentials: {}", DisplayErrorContext(&e)),
                    retryable: false,
                });
            }
            Err(_) => return Err(no_credentials(format!("no AWS credentials found within {}s", CREDENTIALS_TIMEOUT.as_secs()))),
        }
        let region = shared.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".to_string());
        let shared = if shared.region().is_none() { shared.into_builder().region(Region::new(region.clone())).build() } else { shared };

        let endpoints: BTreeMap<String, String> = single_block(&block, "endpoints")
            .and_then(|e| e.as_map().cloned())
            .map(|m| m.into_iter().filter_map(|(k, v)| v.peel().as_str().map(|s| (k, s.to_string()))).collect())
            .unwrap_or_default();
        let endpoint = |service: &str| endpoints.get(service).cloned();
        let shared = match single_block(&block, "assume_role") {
            Some(role) => assume_role(shared, &role, endpoint("sts")).await?,
            None => shared,
        };

        let mut ec2 = aws_sdk_ec2::config::Builder::from(&shared);
        if let Some(url) = endpoint("ec2") {
            ec2 = ec2.endpoint_url(url);
        }
        let mut rds = aws_sdk_rds::config::Builder::from(&shared);
        if let Some(url) = endpoint("rds") {
            rds = rds.endpoint_url(url);
        }
        let mut elbv2 = aws_sdk_elasticloadbalancingv2::config::Builder::from(&shared);
        if let Some(url) = endpoint("elbv2").or_else(|| endpoint("elb")) {
            elbv2 = elbv2.endpoint_url(url);
        }
        let mut route53 = aws_sdk_route53::config::Builder::from(&shared);
        if let Some(url) = endpoint("route53") {
            route53 = route53.endpoint_url(url);
        }
        let mut sts = aws_sdk_sts::config::Builder::from(&shared);
        if let Some(url) = endpoint("sts") {
            sts = sts.endpoint_url(url);
        }

        let mut iam = aws_sdk_iam::config::Builder::from(&shared);
        if let Some(url) = endpoint("iam") {
            iam = iam.endpoint_url(url);
        }

        let default_tags = single_block(&block, "default_tags")
            .and_then(|d| d.as_map().and_then(|m| m.get("tags").cloned()))
            .and_then(|t| t.as_map().cloned())
            .map(|m| m.into_iter().filter_map(|(k, v)| v.to_template_string().map(|s| (k, s))).collect())
            .unwrap_or_default();

        Ok(Clients {
            ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
            rds: aws_sdk_rds::Client::from_conf(rds.build()),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(elbv2.build()),
            route53: aws_sdk_route53::Client::from_conf(route53.build()),
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            iam: aws_sdk_iam::Client::from_conf(iam.build()),
            region,
            lineage: lineage.to_string(),
            default_tags,
            pollers: Default::default(),
        })
    }
}

/// A nested block of the provider block (`endpoints { }`, `assume_role { }`):
/// a list of one object, or the object.
fn single_block(block: &BTreeMap<String, Value>, name: &str) -> Option<Value> {
    let v = match block.get(name)?.peel() {
        Value::List(items) => items.first()?.peel().clone(),
        v => v.clone(),
    };
    v.as_map().is_some().then_some(v)
}

/// `assume_role { role_arn = ..., session_name = ..., external_id = ...,
/// duration = "1h", policy = ..., tags = {...} }`: the provider's calls use
/// the role's temporary credentials, got from STS with the credentials
/// found so far (and renewed by the SDK before they expire). Checked now,
/// so that a refused role is one clear error.
async fn assume_role(
    shared: aws_config::SdkConfig,
    role: &Value,
    sts_endpoint: Option<String>,
) -> Result<aws_config::SdkConfig, ProviderError> {
    let invalid = |message: String| ProviderError { code: Some("strata::aws::assume_role".into()), message, retryable: false };
    let get = |k: &str| role.as_map().and_then(|m| m.get(k)).map(Value::peel).and_then(|v| v.as_str()).map(str::to_string);
    let Some(arn) = get("role_arn") else {
        return Err(invalid("`assume_role` needs `role_arn`".into()));
    };
    let mut builder =
        aws_config::sts::AssumeRoleProvider::builder(arn.clone()).session_name(get("session_name").unwrap_or_else(|| "strata".into()));
    if let Some(id) = get("external_id") {
        builder = builder.external_id(id);
    }
    if let Some(policy) = get("policy") {
        builder = builder.policy(policy);
    }
    if let Some(d) = get("duration") {
        let Some(length) = parse_duration(&d) else {
            return Err(invalid(format!("`assume_role` duration {d:?} is not a duration such as 1h or 15m")));
        };
        builder = builder.session_length(length);
    }
    if let Some(tags) = role.as_map().and_then(|m| m.get("tags")).and_then(|t| t.peel().as_map()) {
        builder = builder.tags(tags.iter().filter_map(|(k, v)| Some((k.clone(), v.peel().as_str()?.to_string()))));
    }
    let base = match sts_endpoint {
        Some(url) => shared.clone().into_builder().endpoint_url(url).build(),
        None => shared.clone(),
    };
    let provider = builder.configure(&base).build().await;
    match tokio::time::timeout(CREDENTIALS_TIMEOUT, provider.provide_credentials()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(invalid(format!("cannot assume role {arn}: {}", DisplayErrorContext(&e)))),
        Err(_) => return Err(invalid(format!("cannot assume role {arn}: no answer within {}s", CREDENTIALS_TIMEOUT.as_secs()))),
    }
    Ok(shared.into_builder().credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider)).build())
}

/// `1h`, `15m`, `900s`, `1h30m` (Go durations, as Terraform reads them); zero is not a session length.
fn parse_duration(s: &str) -> Option<Duration> {
    strata_core::time::parse_duration(s).filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_chain_without_any_source_means_no_credentials() {
        assert!(no_source(&CredentialsError::not_loaded("no providers in chain provided credentials")));
        assert!(no_source(&CredentialsError::provider_error("failed to load IMDS session token: request forbidden")));
        assert!(!no_source(&CredentialsError::provider_error("the SSO session associated with this profile has expired")));
        assert!(!no_source(&CredentialsError::invalid_configuration("profile `prod` has no role_arn")));
    }

    #[test]
    fn assume_role_durations() {
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("900s"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("15"), None);
        assert_eq!(parse_duration("1d"), None);
        assert_eq!(parse_duration("0s"), None);
    }
}
