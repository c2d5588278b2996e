//! Data sources against moto.

use strata_aws::AwsProvider;
use strata_core::Value;
use strata_provider::{Provider, ProviderError, ReadDataRequest};

use crate::compute::{get, raw_clients, str_of};
use crate::support::{self, addr, s};

async fn data(p: &AwsProvider, ty: &str, config: &[(&str, Value)]) -> Result<Value, ProviderError> {
    let config = Value::map(config.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let r = p.read_data(ReadDataRequest { addr: addr(&format!("data.{ty}.this")), ty: ty.into(), config }).await;
    match r.error {
        Some(e) => Err(e),
        None => {
            // Every attribute and block of the schema is there.
            let schema = strata_provider::aws::schema().data_source(ty).unwrap();
            let m = r.state.as_map().expect("a map");
            for name in schema.block.names() {
                assert!(m.contains_key(name), "{ty} lacks {name}");
            }
            assert!(!str_of(&r.state, "id").is_empty(), "{ty} has an id");
            Ok(r.state)
        }
    }
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}

fn filter(name: &str, values: &[&str]) -> Value {
    Value::List(vec![Value::map([("name", s(name)), ("values", Value::set(values.iter().map(|x| s(x)).collect()))])].into())
}

#[tokio::test]
async fn moto_ami_picks_the_newest_match() {
    let p = support::provider().await;
    let c = raw_clients().await;
    let images = c.ec2.describe_images().owners("amazon").send().await.unwrap();
    let images = images.images();
    assert!(images.len() > 1, "moto ships default AMIs");
    let newest = images.iter().max_by_key(|i| i.creation_date()).unwrap();

    let found = data(&p, "aws_ami", &[("owners", list(&["amazon"])), ("most_recent", Value::Bool(true))]).await.unwrap();
    assert_eq!(str_of(&found, "image_id"), newest.image_id().unwrap());
    assert_eq!(str_of(&found, "id"), newest.image_id().unwrap());
    assert_eq!(str_of(&found, "creation_date"), newest.creation_date().unwrap());
    assert_eq!(get(&found, "owners"), &list(&["amazon"]), "arguments are echoed");
    assert!(str_of(&found, "arn").starts_with("arn:aws:ec2:us-east-1::image/ami-"));

    // A name_regex that fits exactly one image, and a filter on its name.
    let target = images.iter().find(|i| i.name().is_some_and(|n| images.iter().filter(|j| j.name() == Some(n)).count() == 1)).unwrap();
    let name = target.name().unwrap();
    let escaped: String = name.chars().map(|ch| if ch.is_ascii_alphanumeric() { ch.to_string() } else { format!("\\{ch}") }).collect();
    let by_regex = data(&p, "aws_ami", &[("owners", list(&["amazon"])), ("name_regex", s(&format!("^{escaped}$")))]).await.unwrap();
    assert_eq!(str_of(&by_regex, "image_id"), target.image_id().unwrap());
    assert_eq!(str_of(&by_regex, "name"), name);
    let by_filter = data(&p, "aws_ami", &[("filter", filter("name", &[name]))]).await.unwrap();
    assert_eq!(str_of(&by_filter, "image_id"), target.image_id().unwrap());
    assert_eq!(get(&by_filter, "filter"), &filter("name", &[name]));

    let none = data(&p, "aws_ami", &[("owners", list(&["amazon"])), ("name_regex", s("^no-such-image-\\d+$"))]).await.unwrap_err();
    assert!(none.message.contains("no results"), "{none}");
    let many = data(&p, "aws_ami", &[("owners", list(&["amazon"]))]).await.unwrap_err();
    assert!(many.message.contains("most_recent"), "{many}");
    let bad = data(&p, "aws_ami", &[("owners", list(&["amazon"])), ("name_regex", s("(unclosed"))]).await.unwrap_err();
    assert!(bad.message.contains("not a valid regular expression"), "{bad}");
}

#[tokio::test]
async fn moto_zones_identity_and_region() {
    let p = support::provider().await;
    let zones = data(&p, "aws_availability_zones", &[("state", s("available"))]).await.unwrap();
    let names: Vec<&str> = get(&zones, "names").as_seq().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(names.contains(&"us-east-1a") && names.contains(&"us-east-1b"), "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("us-east-1")));
    assert_eq!(get(&zones, "zone_ids").as_seq().unwrap().len(), names.len());
    assert_eq!(str_of(&zones, "state"), "available");
    let fewer = data(&p, "aws_availability_zones", &[("exclude_names", Value::set(vec![s("us-east-1a")]))]).await.unwrap();
    assert_eq!(get(&fewer, "names").as_seq().unwrap().len(), names.len() - 1);

    let me = data(&p, "aws_caller_identity", &[]).await.unwrap();
    assert_eq!(str_of(&me, "account_id"), "123456789012");
    assert_eq!(str_of(&me, "id"), "123456789012");
    assert!(str_of(&me, "arn").starts_with("arn:aws:"));
    assert!(!str_of(&me, "user_id").is_empty());

    let region = data(&p, "aws_region", &[]).await.unwrap();
    assert_eq!(str_of(&region, "name"), "us-east-1");
    assert_eq!(str_of(&region, "description"), "US East (N. Virginia)");
    assert_eq!(str_of(&region, "endpoint"), "ec2.us-east-1.amazonaws.com");
    let other = data(&p, "aws_region", &[("name", s("eu-west-1"))]).await.unwrap();
    assert_eq!((str_of(&other, "id"), str_of(&other, "description")), ("eu-west-1", "Europe (Ireland)"));
}

#[tokio::test]
async fn moto_vpc_and_subnets_by_id_tags_and_filters() {
    let p = support::provider().await;
    let c = raw_clients().await;
    let run = std::process::id().to_string();
    let tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
    let spec = |ty: aws_sdk_ec2::types::ResourceType, name: &str| {
        aws_sdk_ec2::types::TagSpecification::builder().resource_type(ty).tags(tag("Run", &run)).tags(tag("Name", name)).build()
    };
    let vpc = c
        .ec2
        .create_vpc()
        .cidr_block("10.61.0.0/16")
        .tag_specifications(spec(aws_sdk_ec2::types::ResourceType::Vpc, "data-vpc"))
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let mut subnet_ids = Vec::new();
    for (i, zone) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let sn = c
            .ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .availability_zone(*zone)
            .cidr_block(format!("10.61.{i}.0/24"))
            .tag_specifications(spec(aws_sdk_ec2::types::ResourceType::Subnet, &format!("data-{zone}")))
            .send()
            .await
            .unwrap();
        subnet_ids.push(sn.subnet().and_then(|s| s.subnet_id()).unwrap().to_string());
    }

    let by_id = data(&p, "aws_vpc", &[("id", s(&vpc_id))]).await.unwrap();
    assert_eq!(str_of(&by_id, "cidr_block"), "10.61.0.0/16");
    assert_eq!(get(&by_id, "default"), &Value::Bool(false));
    assert_eq!(str_of(&by_id, "tags.Name"), "data-vpc");
    assert!(str_of(&by_id, "main_route_table_id").starts_with("rtb-"), "{by_id:?}");
    assert_eq!(get(&by_id, "enable_dns_support"), &Value::Bool(true));
    assert!(str_of(&by_id, "arn").ends_with(&format!(":vpc/{vpc_id}")));
    assert_eq!(str_of(&by_id, "cidr_block_associations.0.cidr_block"), "10.61.0.0/16");
    let tags_arg = Value::map([("Run", s(&run)), ("Name", s("data-vpc"))]);
    let by_tags = data(&p, "aws_vpc", &[("tags", tags_arg)]).await.unwrap();
    assert_eq!(str_of(&by_tags, "id"), vpc_id);
    let two_filters = Value::List(
        [filter("cidr", &["10.61.0.0/16"]), filter("tag:Run", &[&run])].iter().flat_map(|f| f.as_seq().unwrap().to_vec()).collect(),
    );
    let by_filter = data(&p, "aws_vpc", &[("filter", two_filters)]).await.unwrap();
    assert_eq!(str_of(&by_filter, "id"), vpc_id);
    let default = data(&p, "aws_vpc", &[("default", Value::Bool(true))]).await.unwrap();
    assert_eq!(get(&default, "default"), &Value::Bool(true));
    assert_ne!(str_of(&default, "id"), vpc_id);
    let none = data(&p, "aws_vpc", &[("id", s("vpc-00000000000000000"))]).await.unwrap_err();
    assert!(none.message.contains("no matching EC2 VPC"), "{none}");
    let many = data(&p, "aws_vpc", &[("default", Value::Bool(false))]).await;
    if let Err(e) = many {
        assert!(e.message.contains("use additional constraints"), "{e}");
    } else {
        panic!("several non-default VPCs exist: the test created one and other tests more");
    }

    let ids = data(&p, "aws_subnets", &[("filter", filter("vpc-id", &[&vpc_id]))]).await.unwrap();
    let mut got: Vec<String> = get(&ids, "ids").as_seq().unwrap().iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
    got.sort();
    let mut want = subnet_ids.clone();
    want.sort();
    assert_eq!(got, want);
    let tagged = data(&p, "aws_subnets", &[("tags", Value::map([("Run", s(&run)), ("Name", s("data-us-east-1b"))]))]).await.unwrap();
    assert_eq!(get(&tagged, "ids"), &list(&[&subnet_ids[1]]));

    let one = data(&p, "aws_subnet", &[("vpc_id", s(&vpc_id)), ("availability_zone", s("us-east-1b"))]).await.unwrap();
    assert_eq!(str_of(&one, "id"), subnet_ids[1]);
    assert_eq!(str_of(&one, "cidr_block"), "10.61.1.0/24");
    assert_eq!(str_of(&one, "tags.Name"), "data-us-east-1b");
    assert!(get(&one, "available_ip_address_count").as_f64().is_some_and(|n| n > 0.0));
    let by_id = data(&p, "aws_subnet", &[("id", s(&subnet_ids[0]))]).await.unwrap();
    assert_eq!((str_of(&by_id, "availability_zone"), str_of(&by_id, "vpc_id")), ("us-east-1a", vpc_id.as_str()));
    let two = data(&p, "aws_subnet", &[("vpc_id", s(&vpc_id))]).await.unwrap_err();
    assert!(two.message.starts_with("2 EC2 subnets matched"), "{two}");
}
