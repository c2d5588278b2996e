//! Provider blocks of their own: an aliased configuration's region, and
//! `assume_role` through STS.

use strata_aws::Clients;
use strata_core::Value;

use crate::support::{moto_url, provider_config};

fn with(config: Value, extra: &[(&str, Value)]) -> Value {
    let mut map = config.as_map().cloned().unwrap();
    for (k, v) in extra {
        map.insert(k.to_string(), v.clone());
    }
    Value::Map(map.into())
}

/// Regression: `assume_role` in a provider block was read and ignored; the
/// calls went out with the base credentials.
#[tokio::test]
async fn moto_assume_role_calls_with_the_role_credentials() {
    let url = moto_url();
    let role = Value::List(
        vec![Value::map([
            ("role_arn", Value::string("arn:aws:iam::123456789012:role/strata-west")),
            ("session_name", Value::string("strata-test")),
            ("duration", Value::string("15m")),
        ])]
        .into(),
    );
    let config = with(provider_config(&url), &[("region", Value::string("eu-west-1")), ("assume_role", role)]);
    let clients = Clients::from_config(&config, "lineage").await.expect("configured");
    assert_eq!(clients.region, "eu-west-1");
    let who = clients.sts.get_caller_identity().send().await.expect("caller identity");
    let arn = who.arn().unwrap_or_default();
    assert!(arn.contains("assumed-role/strata-west/strata-test"), "calls use the role: {arn}");

    let plain = Clients::from_config(&provider_config(&url), "lineage").await.expect("configured");
    let arn = plain.sts.get_caller_identity().send().await.expect("caller identity").arn().unwrap_or_default().to_string();
    assert!(!arn.contains("assumed-role"), "without the block, the base credentials: {arn}");

    let bad = Value::List(vec![Value::map([("session_name", Value::string("x"))])].into());
    let e = Clients::from_config(&with(provider_config(&url), &[("assume_role", bad)]), "lineage").await.err().expect("refused");
    assert_eq!(e.code.as_deref(), Some("strata::aws::assume_role"));
}
