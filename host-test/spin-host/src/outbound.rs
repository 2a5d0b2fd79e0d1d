//! Outbound HTTP: `allowed_outbound_hosts`, enforced as Spin enforces it.
//!
//! Each pattern is `scheme://host[:port]`, as Spin documents it: `*` may
//! stand for the scheme, the host or the port; a host may be `*.example.com`
//! (any subdomain), an IP network (`10.0.0.0/8`), or `self` / `self.alt` (the
//! app itself); a port may be a number, a range `8000..8080` (end excluded)
//! or `*`, and defaults to the scheme's well-known port (80, 443, ...).
//! Patterns may contain `{{ variable }}` templates over application
//! variables, resolved at load.
//!
//! A request nothing allows is answered with `HttpRequestDenied`, the WASI
//! HTTP error Spin gives, without being sent, and the host logs the same
//! advice Spin prints (naming scheme, host and port, never the path or
//! query). A request to a relative URL or to `http://self.alt/...` goes to
//! this server's own address when `self` is allowed, as in Spin. Requests that
//! are sent get a connect and a first-byte timeout unless the guest set its
//! own.

use crate::log::AppLog;
use crate::variables::{AppVariables, Template};
use anyhow::{Context as _, bail, ensure};
use http_body_util::BodyExt;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks, default_send_request};

/// The parsed `allowed_outbound_hosts` of one component.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    hosts: Vec<AllowedHost>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`, kept as `.example.com`.
    Subdomain(String),
    ToSelf,
    Exact(String),
    Network(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    /// Half-open ranges; a single port is `p..p+1`.
    Ranges(Vec<(u16, u32)>),
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        _ => None,
    }
}

impl AllowedHosts {
    /// Parses a component's patterns, rendering templates with `variables`.
    pub fn parse(patterns: &[String], variables: &AppVariables) -> anyhow::Result<Self> {
        if patterns.len() == 1 && patterns[0] == "insecure:allow-all" {
            bail!(
                "'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic"
            );
        }
        let mut hosts = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let template = Template::parse(pattern).map_err(|why| anyhow::anyhow!("{pattern:?}: {why}"))?;
            let host = if template.is_literal() {
                AllowedHost::parse(pattern).with_context(|| format!("allowed_outbound_hosts entry {pattern:?}"))?
            } else {
                // A rendered pattern may hold a secret: errors name the template only.
                AllowedHost::parse(&variables.render(&template)?).map_err(|_| {
                    anyhow::anyhow!("allowed_outbound_hosts entry {pattern:?} does not render to a valid host pattern")
                })?
            };
            hosts.push(host);
        }
        Ok(Self { hosts })
    }

    /// Whether a request to `scheme://host[:port]` may be sent.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        self.hosts.iter().any(|h| h.allows(scheme, host, port))
    }

    /// Whether a request to the app itself (`self`) may be sent.
    pub fn allows_self(&self) -> bool {
        self.hosts.iter().any(|h| {
            ["http", "https"].iter().any(|s| h.scheme.as_deref().is_none_or(|x| x == *s))
                && matches!(h.host, HostPattern::Any | HostPattern::ToSelf)
        })
    }
}

impl AllowedHost {
    fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let Some((scheme, rest)) = text.split_once("://") else {
            if matches!(text, "*" | ":" | "" | "?") {
                bail!(
                    "{text:?} is not an allowed outbound host format: hosts must be in the form \
                     <scheme>://<host>[:<port>], with '*' wildcards allowed for each"
                );
            }
            bail!("{text:?} does not contain a scheme (e.g., 'http://' or '*://')");
        };
        let (host, port) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let port = match port.split_once('/') {
            Some((_, path)) if !path.is_empty() => bail!("{text:?} has a path but is not allowed to"),
            Some((port, _)) => port,
            None => port,
        };
        let scheme = match scheme {
            "*" => None,
            s if s.starts_with('{') => bail!("scheme lists are not yet supported"),
            s if s.chars().any(|c| !c.is_ascii_alphabetic()) => bail!("scheme {s:?} contains non alphabetic character"),
            s => Some(s.to_string()),
        };
        let host = parse_host(host)?;
        let port = parse_port(port, scheme.as_deref())?;
        Ok(Self { scheme, host, port })
    }

    fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Subdomain(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::ToSelf => false,
            HostPattern::Exact(h) => h == host,
            HostPattern::Network(net, bits) => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| in_network(ip, *net, *bits)),
        };
        let port_ok = match &self.port {
            PortPattern::Any => true,
            PortPattern::Ranges(ranges) => port
                .or_else(|| well_known_port(scheme))
                .is_some_and(|p| ranges.iter().any(|(start, end)| *start <= p && u32::from(p) < *end)),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn parse_host(host: &str) -> anyhow::Result<HostPattern> {
    let host = host.trim();
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if host == "self" || host == "self.alt" {
        return Ok(HostPattern::ToSelf);
    }
    ensure!(!host.starts_with('{'), "host lists are not yet supported");
    if let Some((addr, bits)) = host.split_once('/')
        && let (Ok(addr), Ok(bits)) = (addr.parse::<IpAddr>(), bits.parse::<u8>())
    {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        ensure!(bits <= max, "network {host:?} has a prefix longer than {max} bits");
        return Ok(HostPattern::Network(addr, bits));
    }
    if matches!(host.split('/').nth(1), Some(path) if !path.is_empty()) {
        bail!("hosts must not contain paths");
    }
    if let Some(domain) = host.strip_prefix("*.") {
        ensure!(!domain.contains('*'), "Invalid allowed host {host}: wildcards are allowed only as prefixes");
        return Ok(HostPattern::Subdomain(format!(".{domain}")));
    }
    ensure!(!host.contains('*'), "Invalid allowed host {host}: wildcards are allowed only as subdomains");
    Ok(HostPattern::Exact(host.trim_end_matches('/').to_string()))
}

fn parse_port(port: &str, scheme: Option<&str>) -> anyhow::Result<PortPattern> {
    if port.is_empty() {
        let known = scheme.and_then(well_known_port).with_context(|| {
            format!(
                "no port was provided and the scheme {:?} does not have a known default port number",
                scheme.unwrap_or("*")
            )
        })?;
        return Ok(PortPattern::Ranges(vec![(known, u32::from(known) + 1)]));
    }
    if port == "*" {
        return Ok(PortPattern::Any);
    }
    ensure!(!port.starts_with('{'), "port lists are not yet supported");
    let number = |s: &str| s.parse::<u16>().with_context(|| format!("port {port:?} is not a number"));
    let range = if let Some((start, end)) = port.split_once("..") {
        (number(start)?, u32::from(number(end)?))
    } else {
        let p = number(port)?;
        (p, u32::from(p) + 1)
    };
    Ok(PortPattern::Ranges(vec![range]))
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Everything a request's outbound calls are checked against.
#[derive(Debug)]
pub struct OutboundPolicy {
    /// The component's grants.
    pub allowed: AllowedHosts,
    /// Connect timeout when the guest sets none.
    pub connect_timeout: Duration,
    /// Time to the response's first byte (and between body bytes) when the
    /// guest sets none.
    pub first_byte_timeout: Duration,
}

/// The `wasi:http` hooks of one request: policy, self address, log.
pub(crate) struct OutboundHooks {
    pub policy: Arc<OutboundPolicy>,
    /// This server's address, the target of `self` requests.
    pub self_addr: Option<SocketAddr>,
    pub log: AppLog,
    pub component: Arc<str>,
}

impl fmt::Debug for OutboundHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundHooks").field("component", &self.component).finish_non_exhaustive()
    }
}

type SendFuture = Box<
    dyn Future<Output = Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), Error>> + Send>), Error>>
        + Send,
>;

impl OutboundHooks {
    /// Spin's warning and advice, naming the destination but never the path
    /// or query (which may carry credentials).
    fn report_denied(&self, scheme: &str, authority: &str, to_self: bool) {
        let pattern = format!("{scheme}://{authority}");
        if to_self {
            self.log.host(
                &self.component,
                "A component tried to make an HTTP request to its own app but it does not have permission.",
            );
        } else {
            self.log.host(
                &self.component,
                format!(
                    "A component tried to make an outbound network connection to disallowed destination '{pattern}'."
                ),
            );
        }
        self.log.host(
            &self.component,
            format!("To allow this request, add 'allowed_outbound_hosts = [\"{pattern}\"]' to the manifest component section."),
        );
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> SendFuture {
        drop(fut);
        let uri = request.uri().clone();
        let scheme = uri.scheme_str().unwrap_or("https").to_string();
        let host = uri.host().unwrap_or_default();
        let to_self = host.is_empty() || host == "self.alt";
        let allowed = if to_self {
            self.policy.allowed.allows_self()
        } else {
            self.policy.allowed.allows(&scheme, host, uri.port_u16())
        };
        if !allowed {
            let authority = match uri.port_u16() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            };
            self.report_denied(&scheme, if to_self { "self" } else { &authority }, to_self);
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        if to_self {
            let Some(origin) = self.self_addr else {
                return Box::new(async { Err(Error::HttpRequestUriInvalid) });
            };
            let path = uri.path_and_query().map_or("/", http::uri::PathAndQuery::as_str);
            match http::Uri::builder().scheme("http").authority(origin.to_string()).path_and_query(path).build() {
                Ok(target) => *request.uri_mut() = target,
                Err(_) => return Box::new(async { Err(Error::HttpRequestUriInvalid) }),
            }
            if let Ok(value) = http::HeaderValue::from_str(&origin.to_string()) {
                request.headers_mut().insert(http::header::HOST, value);
            }
        }
        let options = RequestOptions {
            connect_timeout: Some(options.and_then(|o| o.connect_timeout).unwrap_or(self.policy.connect_timeout)),
            first_byte_timeout: Some(
                options.and_then(|o| o.first_byte_timeout).unwrap_or(self.policy.first_byte_timeout),
            ),
            between_bytes_timeout: Some(
                options.and_then(|o| o.between_bytes_timeout).unwrap_or(self.policy.first_byte_timeout),
            ),
        };
        Box::new(async move {
            let (response, io) = default_send_request(request, Some(options)).await?;
            let io: Box<dyn Future<Output = Result<(), Error>> + Send> = Box::new(io);
            Ok((response.map(BodyExt::boxed_unsync), io))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::VariableDecl;
    use crate::variables::EnvSource;
    use std::collections::BTreeMap;

    fn hosts(patterns: &[&str]) -> AllowedHosts {
        let patterns: Vec<String> = patterns.iter().map(|s| (*s).to_string()).collect();
        let decls = BTreeMap::from([(
            "api_host".to_string(),
            VariableDecl { default: Some("api.kombo.dev".into()), required: false, secret: false },
        )]);
        let (vars, _) = AppVariables::resolve(&decls, &BTreeMap::new(), &EnvSource::Map(BTreeMap::new())).unwrap();
        AllowedHosts::parse(&patterns, &vars).unwrap()
    }

    #[test]
    fn patterns_match_as_spin_documents() {
        let h = hosts(&["http://127.0.0.1:*", "https://api.kombo.dev", "https://*.assessio.systems"]);
        assert!(h.allows("http", "127.0.0.1", Some(8080)));
        assert!(h.allows("http", "127.0.0.1", None));
        assert!(!h.allows("https", "127.0.0.1", Some(8080)));
        assert!(h.allows("https", "api.kombo.dev", None));
        assert!(h.allows("https", "api.kombo.dev", Some(443)));
        assert!(!h.allows("https", "api.kombo.dev", Some(8443)));
        assert!(!h.allows("http", "api.kombo.dev", None));
        assert!(h.allows("https", "sandbox.api.assessio.systems", None));
        assert!(!h.allows("https", "assessio.systems.evil.com", None));
        assert!(!h.allows_self());
    }

    #[test]
    fn templates_ports_networks_and_self() {
        let h = hosts(&["https://{{ api_host }}", "http://localhost:8000..8002", "*://10.0.0.0/8:*", "http://self"]);
        assert!(h.allows("https", "api.kombo.dev", None));
        assert!(h.allows("http", "localhost", Some(8001)));
        assert!(!h.allows("http", "localhost", Some(8002)));
        assert!(h.allows("redis", "10.1.2.3", Some(6379)));
        assert!(!h.allows("redis", "11.1.2.3", Some(6379)));
        assert!(h.allows_self());
        assert!(hosts(&["*://*:*"]).allows("ftp", "anything", Some(21)));
        assert_eq!(hosts(&[]), AllowedHosts::default());
    }

    #[test]
    fn bad_patterns_are_refused() {
        let vars = AppVariables::default();
        for bad in ["example.com", "*", "http://a/b", "http://a*b.com", "*://example.com", "http://h:x", "{{ nope }}"] {
            assert!(AllowedHosts::parse(&[bad.to_string()], &vars).is_err(), "{bad}");
        }
        assert!(AllowedHosts::parse(&["insecure:allow-all".to_string()], &vars).is_err());
    }
}
