//! CIDR arithmetic for IPv4 and IPv6: `cidrsubnet`, `cidrsubnets`,
//! `cidrhost` and `cidrnetmask`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use strata_core::Value;

use crate::{FnError, FnResult, arg_err, int_arg, string_arg};

/// A network prefix; addresses are held in the low `width` bits of a `u128`.
#[derive(Debug, Clone, Copy)]
struct Net {
    base: u128,
    prefix: u32,
    /// 32 for IPv4, 128 for IPv6.
    width: u32,
}

impl Net {
    fn parse(s: &str) -> Result<Net, String> {
        let (addr, prefix) =
            s.split_once('/').ok_or_else(|| format!("invalid CIDR address {s:?}: a prefix length such as /16 is required"))?;
        let ip: IpAddr = addr.parse().map_err(|_| format!("invalid CIDR address {s:?}: {addr:?} is not an IP address"))?;
        let (bits, width) = match ip {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        };
        let prefix: u32 = match prefix.parse() {
            Ok(p) if p <= width && prefix.bytes().all(|b| b.is_ascii_digit()) => p,
            _ => return Err(format!("invalid CIDR prefix {prefix}")),
        };
        Ok(Net { base: bits & mask(prefix, width), prefix, width })
    }

    fn addr(&self, bits: u128) -> String {
        if self.width == 32 { Ipv4Addr::from(bits as u32).to_string() } else { Ipv6Addr::from(bits).to_string() }
    }

    fn with_prefix(&self, bits: u128, prefix: u32) -> String {
        format!("{}/{prefix}", self.addr(bits))
    }

    /// The highest value the address space holds.
    fn all_ones(&self) -> u128 {
        low_bits(self.width)
    }
}

/// The low `n` bits set.
fn low_bits(n: u32) -> u128 {
    if n >= 128 { u128::MAX } else { (1u128 << n) - 1 }
}

/// The network mask of a prefix length within a `width`-bit address.
fn mask(prefix: u32, width: u32) -> u128 {
    low_bits(width) & !low_bits(width - prefix.min(width))
}

fn net_arg(args: &[Value], i: usize) -> Result<Net, FnError> {
    Net::parse(&string_arg(args, i)?).map_err(|e| arg_err(i, e))
}

pub(crate) fn cidrsubnet(args: &[Value]) -> FnResult {
    let net = net_arg(args, 0)?;
    let newbits = int_arg(args, 1)?;
    let netnum = int_arg(args, 2)?;
    let newbits = u32::try_from(newbits).map_err(|_| arg_err(1, "newbits must not be negative"))?;
    let new_prefix = net
        .prefix
        .checked_add(newbits)
        .filter(|&p| p <= net.width)
        .ok_or_else(|| arg_err(1, format!("insufficient address space to extend prefix of {} by {newbits}", net.prefix)))?;
    let netnum = u128::try_from(netnum).map_err(|_| arg_err(2, "netnum must not be negative"))?;
    if netnum > low_bits(newbits) {
        return Err(arg_err(2, format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}")));
    }
    let bits = net.base | netnum.checked_shl(net.width - new_prefix).unwrap_or(0);
    Ok(Value::String(net.with_prefix(bits, new_prefix).into()))
}

pub(crate) fn cidrhost(args: &[Value]) -> FnResult {
    let net = net_arg(args, 0)?;
    let hostnum = int_arg(args, 1)?;
    let max = low_bits(net.width - net.prefix);
    // A negative number counts back from the last address of the prefix.
    let host =
        if hostnum < 0 { max.checked_sub(u128::from(hostnum.unsigned_abs()) - 1) } else { Some(hostnum as u128).filter(|&h| h <= max) };
    let host = host.ok_or_else(|| arg_err(1, format!("prefix of {} does not accommodate a host numbered {hostnum}", net.prefix)))?;
    Ok(Value::String(net.addr(net.base | host).into()))
}

pub(crate) fn cidrnetmask(args: &[Value]) -> FnResult {
    let net = net_arg(args, 0)?;
    if net.width != 32 {
        return Err(arg_err(0, "IPv6 addresses cannot have a netmask"));
    }
    Ok(Value::String(net.addr(mask(net.prefix, 32)).into()))
}

/// Consecutive subnets of the given sizes, each aligned after the previous
/// one, as Terraform's `cidrsubnets` allocates them.
pub(crate) fn cidrsubnets(args: &[Value]) -> FnResult {
    let net = net_arg(args, 0)?;
    let version = if net.width == 32 { 4 } else { 6 };
    let mut lengths = Vec::with_capacity(args.len() - 1);
    for i in 1..args.len() {
        let newbits = int_arg(args, i)?;
        if newbits < 1 {
            return Err(arg_err(i, "must extend prefix by at least one bit"));
        }
        let length = i64::from(net.prefix) + newbits;
        if length > i64::from(net.width) {
            return Err(arg_err(i, format!("would extend prefix to {length} bits, which is too long for an IPv{version} address")));
        }
        lengths.push(length as u32);
    }
    let Some(&first) = lengths.first() else { return Ok(Value::List(Vec::new().into())) };
    let ones = net.all_ones();
    // Start just before the prefix so that the first step lands on its start.
    let (mut current, mut current_len) = (net.base.wrapping_sub(1) & ones & mask(first, net.width), first);
    let mut out = Vec::with_capacity(lengths.len());
    for (i, &len) in lengths.iter().enumerate() {
        let current_last = current | low_bits(net.width - current_len);
        let last = ((current_last & mask(len, net.width)) | low_bits(net.width - len)).wrapping_add(1) & ones;
        let next = last & mask(len, net.width);
        if last == 0 || next & mask(net.prefix, net.width) != net.base {
            return Err(arg_err(
                i + 1,
                format!(
                    "not enough remaining address space for a subnet with a prefix of {len} bits after {}",
                    net.with_prefix(current, current_len)
                ),
            ));
        }
        (current, current_len) = (next, len);
        out.push(Value::String(net.with_prefix(current, len).into()));
    }
    Ok(Value::List(out.into()))
}

#[cfg(test)]
mod tests {
    use crate::tests::{check, check_err, n, s, strs};

    #[test]
    fn cidrsubnet_ipv4_and_ipv6() {
        check("cidrsubnet", vec![s("172.16.0.0/12"), n(4.0), n(2.0)], s("172.18.0.0/16"));
        check("cidrsubnet", vec![s("10.1.2.0/24"), n(4.0), n(15.0)], s("10.1.2.240/28"));
        check("cidrsubnet", vec![s("10.0.0.0/8"), n(8.0), n(2.0)], s("10.2.0.0/16"));
        check("cidrsubnet", vec![s("10.0.0.5/8"), n(0.0), n(0.0)], s("10.0.0.0/8"));
        check("cidrsubnet", vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)], s("fd00:fd12:3456:7800:a200::/72"));
        check("cidrsubnet", vec![s("::/0"), n(128.0), n(1.0)], s("::1/128"));
        check_err("cidrsubnet", vec![s("10.0.0.0/8"), n(25.0), n(0.0)], "insufficient address space to extend prefix of 8 by 25");
        check_err("cidrsubnet", vec![s("10.0.0.0/8"), n(4.0), n(16.0)], "prefix extension of 4 does not accommodate a subnet numbered 16");
        check_err("cidrsubnet", vec![s("10.0.0.0/8"), n(4.0), n(-1.0)], "must not be negative");
        check_err("cidrsubnet", vec![s("10.0.0.0/8"), n(-4.0), n(1.0)], "must not be negative");
        check_err("cidrsubnet", vec![s("10.0.0.0/8"), n(4e9), n(1.0)], "insufficient address space");
        check_err("cidrsubnet", vec![s("10.0.0.0/33"), n(4.0), n(1.0)], "invalid CIDR prefix 33");
        check_err("cidrsubnet", vec![s("10.0.0.0"), n(4.0), n(1.0)], "invalid CIDR address");
        check_err("cidrsubnet", vec![s("10.0.0.300/8"), n(4.0), n(1.0)], "is not an IP address");
    }

    #[test]
    fn cidrhost_counts_from_either_end() {
        check("cidrhost", vec![s("10.12.112.0/20"), n(16.0)], s("10.12.112.16"));
        check("cidrhost", vec![s("10.12.112.0/20"), n(268.0)], s("10.12.113.12"));
        check("cidrhost", vec![s("10.12.112.0/20"), n(-1.0)], s("10.12.127.255"));
        check("cidrhost", vec![s("fd00:fd12:3456:7890:00a2::/72"), n(34.0)], s("fd00:fd12:3456:7890::22"));
        check("cidrhost", vec![s("10.0.0.0/32"), n(0.0)], s("10.0.0.0"));
        check_err("cidrhost", vec![s("10.0.0.0/30"), n(4.0)], "prefix of 30 does not accommodate a host numbered 4");
        check_err("cidrhost", vec![s("10.0.0.0/30"), n(-5.0)], "does not accommodate a host numbered -5");
        check("cidrhost", vec![s("::/0"), n(-1.0)], s("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        check_err("cidrhost", vec![s("::/0"), n(-1e19)], "whole number");
    }

    #[test]
    fn cidrnetmask_is_ipv4_only() {
        check("cidrnetmask", vec![s("172.16.0.0/12")], s("255.240.0.0"));
        check("cidrnetmask", vec![s("0.0.0.0/0")], s("0.0.0.0"));
        check("cidrnetmask", vec![s("10.0.0.1/32")], s("255.255.255.255"));
        check_err("cidrnetmask", vec![s("fd00::/64")], "IPv6 addresses cannot have a netmask");
    }

    #[test]
    fn cidrsubnets_allocates_consecutively() {
        let want = strs(&["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]);
        check("cidrsubnets", vec![s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)], want);
        let want = strs(&["fd00:fd12:3456:7800::/72", "fd00:fd12:3456:7800:100::/72", "fd00:fd12:3456:7800:200::/72"]);
        check("cidrsubnets", vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(16.0), n(16.0)], want);
        check("cidrsubnets", vec![s("10.0.0.0/8")], strs(&[]));
        check_err("cidrsubnets", vec![s("10.0.0.0/30"), n(1.0), n(1.0), n(1.0)], "not enough remaining address space");
        check_err("cidrsubnets", vec![s("10.0.0.0/30"), n(3.0)], "too long for an IPv4 address");
        check_err("cidrsubnets", vec![s("10.0.0.0/30"), n(0.0)], "at least one bit");
        check_err("cidrsubnets", vec![s("0.0.0.0/0"), n(1.0), n(1.0), n(1.0)], "not enough remaining address space");
    }
}
