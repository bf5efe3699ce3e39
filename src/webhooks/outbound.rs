//! Where a webhook may be sent: never to this server's own network (no requests to internal
//! addresses on an admin's say-so, OPN-14 / issue 20). An endpoint URL is read strictly
//! (`http://host[:port]/path`, no user info, host names in ASCII, IPv4 only as four plain
//! decimal numbers — `2130706433`, `0177.0.0.1` and `0x7f.1` are refused, not guessed); every
//! address it names or resolves to must be public (`forbidden`), unless the installation lists
//! the host in `webhook_allowed_hosts`. The check runs when the endpoint is saved and again at
//! each send, where the client connects to the very addresses it checked (no second lookup a
//! rebinding DNS server could answer differently). The resolver is injectable (`Resolver` in
//! the state's extensions) so that tests never leave the machine.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use crate::app::state::{AppState, BoxFuture};

/// The one message an admin sees for any endpoint that could not be reached or was refused;
/// the reason goes to the server log only (the deliveries list is no port scanner).
pub const UNREACHABLE: &str = "无法送达：对方地址不可用";

/// An endpoint URL, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Lower-case host as written (`[v6]` with brackets), for the `Host` header and the allow list.
    pub host: String,
    pub port: u16,
    /// The IP address when the host is one.
    pub ip: Option<IpAddr>,
    /// Path and query, `/` at least.
    pub path: String,
}

impl Target {
    /// `host:port` as the `Host` header and `webhook_allowed_hosts` write it.
    pub fn authority(&self) -> String {
        if self.port == 80 { self.host.clone() } else { format!("{}:{}", self.host, self.port) }
    }
}

/// Why a URL or an address is refused (the message for the form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Shape,
    Https,
    UserInfo,
    OddNumber,
    Internal,
    Unresolved,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Shape => "地址应为 http://主机名[:端口]/路径，如 http://hooks.example.gov.cn:8080/renda",
            Refusal::Https => "本系统直接推送到 http 地址；https 地址请经由本单位网关转发",
            Refusal::UserInfo => "地址中不能含有用户名或密码（@ 之前的部分），请改用签名密钥认证",
            Refusal::OddNumber => "IP 地址请写成四段十进制数字，如 203.0.113.8（不接受整数、八进制或十六进制写法）",
            Refusal::Internal => {
                "不能推送到本机、内网、链路本地或保留地址；确需推送到内网地址的，请系统运维人员在配置 webhook_allowed_hosts 中登记该主机"
            }
            Refusal::Unresolved => "无法解析该主机名，请检查拼写",
        }
    }
}

/// Reads an endpoint URL.
pub fn parse(url: &str) -> Result<Target, Refusal> {
    if url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err(Refusal::Shape);
    }
    let lower = url.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let rest = if lower.starts_with("http://") {
        &url[7..]
    } else if lower.starts_with("https://") {
        return Err(Refusal::Https);
    } else {
        return Err(Refusal::Shape);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.contains('@') {
        return Err(Refusal::UserInfo);
    }
    let path = path.split('#').next().unwrap_or("");
    let path = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    let authority = authority.to_ascii_lowercase();
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (addr, tail) = v6.split_once(']').ok_or(Refusal::Shape)?;
            let ip: Ipv6Addr = addr.parse().map_err(|_| Refusal::Shape)?;
            let port = match tail {
                "" => 80,
                t => t.strip_prefix(':').and_then(port_of).ok_or(Refusal::Shape)?,
            };
            return Ok(Target { host: format!("[{addr}]"), port, ip: Some(IpAddr::V6(ip)), path });
        }
        None => match authority.split_once(':') {
            Some((h, p)) => (h.to_string(), port_of(p).ok_or(Refusal::Shape)?),
            None => (authority.clone(), 80),
        },
    };
    let host = host.strip_suffix('.').unwrap_or(&host).to_string();
    if host.is_empty() || host.len() > 253 {
        return Err(Refusal::Shape);
    }
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return Ok(Target { host, port, ip: Some(IpAddr::V4(v4)), path });
    }
    // A last label that is a number (or 0x…) makes the whole host an IPv4 address to URL
    // parsers and to inet_aton alike; anything but four plain decimals is refused.
    let last = host.rsplit('.').next().unwrap_or("");
    if last.chars().all(|c| c.is_ascii_digit()) || last.starts_with("0x") {
        return Err(Refusal::OddNumber);
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !host.split('.').all(label_ok) {
        return Err(Refusal::Shape);
    }
    Ok(Target { host, port, ip: None, path })
}

fn port_of(p: &str) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    p.parse::<u16>().ok().filter(|p| *p > 0)
}

/// Why an address is not one to send to (for the server log), or `None` for a public one.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const NETS: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "this network / unspecified"),
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT (and cloud metadata 100.100.100.200)"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local (cloud metadata 169.254.169.254)"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "IETF protocol assignments"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "6to4 relay"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved and broadcast"),
    ];
    NETS.iter().find(|(net, bits, _)| in_v4(ip, *net, *bits)).map(|(_, _, why)| *why)
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, bits: u32) -> bool {
    let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
    u128::from(ip) & mask == u128::from(net) & mask
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(ip);
    let embedded = |b: u128| Ipv4Addr::from((b & 0xffff_ffff) as u32);
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) forms reach the IPv4 address
    // inside: judged as that address. The deprecated IPv4-compatible form (::a.b.c.d) never.
    if bits >> 32 == 0 {
        return Some("IPv4-compatible");
    }
    if bits >> 32 == 0xffff || in_v6(ip, "64:ff9b::".parse().expect("literal"), 96) {
        return forbidden_v4(embedded(bits));
    }
    const NETS: &[(&str, u32, &str)] = &[
        ("100::", 64, "discard"),
        ("2002::", 16, "6to4 (deprecated; reaches an IPv4 address through a relay)"),
        ("2001::", 23, "IETF protocol assignments (Teredo, benchmarking, ORCHID)"),
        ("2001:db8::", 32, "documentation"),
        ("3fff::", 20, "documentation"),
        ("fc00::", 7, "unique local (cloud metadata fd00:ec2::254)"),
        ("fe80::", 10, "link-local"),
        ("fec0::", 10, "site-local"),
        ("ff00::", 8, "multicast"),
    ];
    NETS.iter().find(|(net, len, _)| in_v6(ip, net.parse().expect("literal"), *len)).map(|(_, _, why)| *why)
}

/// Looks a host name up: (name, port) → its addresses. Tests replace it (`set_resolver`).
pub type ResolveFn = Arc<dyn Fn(String, u16) -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> + Send + Sync>;

/// The resolver the state carries (the system's unless a test put another in).
#[derive(Clone)]
pub struct Resolver(pub ResolveFn);

/// Replaces the resolver of this state (tests: a table of names to loopback addresses).
pub fn set_resolver(s: &AppState, f: ResolveFn) {
    s.ext.insert(Resolver(f));
}

async fn resolve(s: &AppState, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    match s.ext.get::<Resolver>() {
        Some(r) => (r.0)(host.to_string(), port).await,
        None => Ok(tokio::net::lookup_host((host, port)).await?.collect()),
    }
}

/// The host is on the installation's allow list (`host` or `host:port`).
pub fn allowed(s: &AppState, t: &Target) -> bool {
    let with_port = format!("{}:{}", t.host, t.port);
    s.config.webhook_allowed_hosts.iter().any(|h| *h == t.host || *h == with_port)
}

/// The addresses to connect to for `t`, every one checked: `Err` (with the reason for the log)
/// when one is internal and the host is not allowed, or when nothing resolves.
pub async fn addresses(s: &AppState, t: &Target) -> Result<Vec<SocketAddr>, (Refusal, String)> {
    let allow = allowed(s, t);
    let addrs = match t.ip {
        Some(ip) => vec![SocketAddr::new(ip, t.port)],
        None if !allow && (t.host == "localhost" || t.host.ends_with(".localhost")) => {
            return Err((Refusal::Internal, format!("{} is a loopback name", t.host)));
        }
        None => resolve(s, &t.host, t.port).await.map_err(|e| (Refusal::Unresolved, format!("{}: {e}", t.host)))?,
    };
    if addrs.is_empty() {
        return Err((Refusal::Unresolved, format!("{}: no address", t.host)));
    }
    if !allow {
        for a in &addrs {
            if let Some(why) = forbidden(a.ip()) {
                return Err((Refusal::Internal, format!("{} resolves to {} ({why})", t.host, a.ip())));
            }
        }
    }
    Ok(addrs)
}

/// Checks an endpoint URL when it is saved: its shape, then its addresses.
pub async fn check(s: &AppState, url: &str) -> Result<Target, Refusal> {
    let t = parse(url)?;
    addresses(s, &t).await.map_err(|(r, detail)| {
        tracing::info!(target: "renda::webhooks", url = %url, detail = %detail, "endpoint address refused");
        r
    })?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_strictly() {
        let t = parse("http://Hooks.Example.org:8080/renda?a=1#frag").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.path.as_str(), t.ip), ("hooks.example.org", 8080, "/renda?a=1", None));
        assert_eq!(parse("http://example.org").unwrap().path, "/");
        assert_eq!(parse("http://[::1]:81/x").unwrap().ip, Some("::1".parse().unwrap()));
        assert_eq!(parse("http://[::1]:81/x").unwrap().authority(), "[::1]:81");
        assert_eq!(parse("https://example.org/"), Err(Refusal::Https));
        assert_eq!(parse("ftp://example.org/"), Err(Refusal::Shape));
        assert_eq!(parse("http://user:pw@example.org/"), Err(Refusal::UserInfo));
        assert_eq!(parse("http://example.org@127.0.0.1/"), Err(Refusal::UserInfo));
        for odd in
            ["http://2130706433/", "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://127.1/", "http://0x7f000001/"]
        {
            assert_eq!(parse(odd), Err(Refusal::OddNumber), "{odd}");
        }
        for bad in
            ["http:///x", "http://a b/", "http://exa_mple.org/", "http://例子.中国/", "http://x:0/", "http://x:99999/"]
        {
            assert_eq!(parse(bad), Err(Refusal::Shape), "{bad}");
        }
    }

    #[test]
    fn internal_addresses_are_forbidden_in_every_form() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.100.100.200",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2001:db8::1",
            "2002:808:808::",
            "64:ff9b::7f00:1",
        ] {
            assert!(forbidden(ip.parse().unwrap()).is_some(), "{ip} allowed");
        }
        for ip in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2400:3200::1", "::ffff:8.8.8.8", "64:ff9b::808:808"] {
            assert_eq!(forbidden(ip.parse().unwrap()), None, "{ip} refused");
        }
    }
}
