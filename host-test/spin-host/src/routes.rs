//! Routing a request path to a component, as Spin's HTTP trigger does.
//!
//! A route is exact (`/health`), a prefix ending in `/...` (`/api/...`,
//! or `/...` for everything), and may name segments (`/users/:id`). The most
//! specific match wins: an exact route before a wildcard, then the one with
//! more literal segments, then the longer one. A route written twice is
//! served by its last trigger, as in Spin, which keeps the last and reports
//! the earlier ones as "duplicates and will never be used" (see
//! [`Router::duplicates`]). What the component learns of the match comes as
//! Spin's `spin-*` request headers (see `server.rs`).

use anyhow::ensure;

/// One parsed route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    raw: String,
    segments: Vec<Segment>,
    wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Named(String),
}

/// A successful match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// Index of the trigger in the router.
    pub index: usize,
    /// The route as written (`spin-raw-component-route`, `spin-matched-route`).
    pub raw_route: String,
    /// The route without its `/...` (`spin-component-route`).
    pub component_route: String,
    /// What the wildcard matched, `""` for an exact route (`spin-path-info`).
    pub path_info: String,
    /// Named segments and their values (`spin-path-match-<name>`).
    pub named: Vec<(String, String)>,
}

impl RoutePattern {
    /// Parses a route; it must start with `/`.
    pub fn parse(route: &str) -> anyhow::Result<Self> {
        ensure!(route.starts_with('/'), "route {route:?} must start with '/'");
        let (body, wildcard) = match route.strip_suffix("/...") {
            Some(prefix) => (prefix, true),
            None => (route, false),
        };
        ensure!(!body.contains("..."), "route {route:?}: `...` is allowed only as the last segment");
        let segments = body
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix(':') {
                Some(name) => Segment::Named(name.to_string()),
                None => Segment::Literal(s.to_string()),
            })
            .collect();
        Ok(Self { raw: route.to_string(), segments, wildcard })
    }

    fn matches(&self, path: &str) -> Option<(String, Vec<(String, String)>)> {
        let mut rest = path;
        let mut named = Vec::new();
        for segment in &self.segments {
            let trimmed = rest.trim_start_matches('/');
            if trimmed.is_empty() {
                return None;
            }
            let end = trimmed.find('/').unwrap_or(trimmed.len());
            let (value, after) = trimmed.split_at(end);
            match segment {
                Segment::Literal(lit) if lit == value => {}
                Segment::Literal(_) => return None,
                Segment::Named(name) => named.push((name.clone(), value.to_string())),
            }
            rest = after;
        }
        if self.wildcard {
            Some((rest.to_string(), named))
        } else if rest.trim_matches('/').is_empty() {
            Some((String::new(), named))
        } else {
            None
        }
    }

    /// Exact before wildcard, then more literals, then more segments.
    fn rank(&self) -> (bool, usize, usize) {
        let literals = self.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count();
        (!self.wildcard, literals, self.segments.len())
    }
}

/// Every route of the app.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<RoutePattern>,
    /// For each trigger, the later trigger with the same route that
    /// replaces it, if any.
    shadowed_by: Vec<Option<usize>>,
}

impl Router {
    /// Builds the router from the triggers' routes, in manifest order.
    pub fn new<'a>(routes: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Self> {
        let routes: Vec<RoutePattern> = routes.into_iter().map(RoutePattern::parse).collect::<anyhow::Result<_>>()?;
        let shadowed_by =
            (0..routes.len()).map(|i| (i + 1..routes.len()).rev().find(|&j| routes[j].raw == routes[i].raw)).collect();
        Ok(Self { routes, shadowed_by })
    }

    /// `(route, replaced trigger, trigger that serves it)` for every trigger
    /// whose route a later trigger repeats, for the host's log.
    pub fn duplicates(&self) -> Vec<(&str, usize, usize)> {
        self.shadowed_by
            .iter()
            .enumerate()
            .filter_map(|(i, by)| by.map(|j| (self.routes[i].raw.as_str(), i, j)))
            .collect()
    }

    /// The best route for `path`, if any.
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let (index, pattern, (path_info, named)) = self
            .routes
            .iter()
            .enumerate()
            .filter(|(i, _)| self.shadowed_by[*i].is_none())
            .filter_map(|(i, p)| p.matches(path).map(|m| (i, p, m)))
            // `max_by_key` keeps the last of equals; prefer the first declared.
            .rev()
            .max_by_key(|(_, p, _)| p.rank())?;
        let component_route = pattern.raw.strip_suffix("/...").unwrap_or(&pattern.raw).to_string();
        Some(RouteMatch { index, raw_route: pattern.raw.clone(), component_route, path_info, named })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_route_wins() {
        let r = Router::new(["/...", "/api/...", "/api/health", "/users/:id/..."]).unwrap();
        let m = r.route("/echo/x").unwrap();
        assert_eq!((m.index, m.path_info.as_str(), m.component_route.as_str()), (0, "/echo/x", ""));
        let m = r.route("/api/orders/7").unwrap();
        assert_eq!((m.index, m.path_info.as_str(), m.component_route.as_str()), (1, "/orders/7", "/api"));
        assert_eq!(r.route("/api/health").unwrap().index, 2);
        assert_eq!(r.route("/api").unwrap().index, 1);
        let m = r.route("/users/42/profile").unwrap();
        assert_eq!((m.index, m.named.clone()), (3, vec![("id".into(), "42".into())]));
        assert_eq!(m.path_info, "/profile");
    }

    #[test]
    fn the_last_of_duplicate_routes_wins() {
        let r = Router::new(["/dup", "/...", "/dup", "/dup"]).unwrap();
        assert_eq!(r.route("/dup").unwrap().index, 3);
        assert_eq!(r.duplicates(), vec![("/dup", 0, 3), ("/dup", 2, 3)]);
    }

    #[test]
    fn exact_routes_do_not_match_longer_paths() {
        let r = Router::new(["/health"]).unwrap();
        assert!(r.route("/health").is_some());
        assert!(r.route("/health/").is_some());
        assert!(r.route("/health/x").is_none());
        assert!(r.route("/").is_none());
        assert!(RoutePattern::parse("health").is_err());
    }
}
