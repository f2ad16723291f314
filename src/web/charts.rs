//! Server-rendered SVG: stacked bars of level distributions and the exchange network. Every
//! chart has a text alternative on its page; colours are never the only carrier of meaning.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::domain::analysis::{Distribution, MatchedFlow};

/// Escapes text for SVG (XML) content and attributes.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The class of a heat-map cell for a mean 0-4: five steps of one sequential scale.
pub fn heat_class(mean: Option<f64>) -> &'static str {
    match mean {
        None => "heat-none",
        Some(m) if m < 0.8 => "heat-0",
        Some(m) if m < 1.6 => "heat-1",
        Some(m) if m < 2.4 => "heat-2",
        Some(m) if m < 3.2 => "heat-3",
        Some(_) => "heat-4",
    }
}

/// A horizontal stacked bar of a distribution (levels 0-4, then not applicable, don't know,
/// unanswered), each segment labelled with its count when wide enough. `title` is the
/// accessible name.
pub fn stacked_bar(distribution: &Distribution, title: &str) -> String {
    const WIDTH: f64 = 600.0;
    const HEIGHT: f64 = 28.0;
    let total = distribution.total();
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"bar\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" height=\"{HEIGHT}\" \
         role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"none\">",
        xml_escape(title)
    );
    if total == 0 {
        svg.push_str("</svg>");
        return svg;
    }
    let segments = distribution
        .levels
        .iter()
        .enumerate()
        .map(|(level, n)| (format!("seg-{level}"), *n))
        .chain([
            ("seg-na".to_owned(), distribution.not_applicable),
            ("seg-dk".to_owned(), distribution.dont_know),
            ("seg-none".to_owned(), distribution.unanswered),
        ]);
    let mut x = 0.0;
    for (class, n) in segments {
        if n == 0 {
            continue;
        }
        let w = WIDTH * n as f64 / total as f64;
        let _ = write!(
            svg,
            "<rect class=\"{class}\" x=\"{x:.2}\" y=\"0\" width=\"{w:.2}\" height=\"{HEIGHT}\"/>"
        );
        if w >= 18.0 {
            let _ = write!(
                svg,
                "<text class=\"{class}-text\" x=\"{:.2}\" y=\"19\" text-anchor=\"middle\">{n}</text>",
                x + w / 2.0
            );
        }
        x += w;
    }
    svg.push_str("</svg>");
    svg
}

/// A node of the network.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub label: String,
}

/// Most organizations drawn; beyond that only the best connected are drawn (the table lists
/// every flow).
pub const NETWORK_MAX_NODES: usize = 60;

/// An edge drawn between two nodes: every flow of that ordered pair, styled by the most
/// advanced status among them.
struct Edge {
    from: usize,
    to: usize,
    count: usize,
    status: &'static str,
    confirmed: bool,
}

fn status_rank(status: Option<&str>) -> (usize, &'static str) {
    match status {
        Some("active") => (4, "active"),
        Some("planned") => (3, "planned"),
        Some("feasible") => (2, "feasible"),
        Some("suspended") => (1, "suspended"),
        _ => (0, "unknown"),
    }
}

/// The exchange network: organizations on a circle in a fixed order (by label), flows as
/// directed curved edges (provider -> receiver), dash pattern by status, solid dark when
/// confirmed by both sides. Deterministic: the same data draws the same picture.
/// Returns the SVG and how many nodes were left out.
pub fn network(nodes: &[Node], flows: &[MatchedFlow<'_>], title: &str) -> (String, usize) {
    // Degree decides which nodes to keep when there are too many.
    // Hash maps for the look-ups (thousands of organizations); the edges stay ordered for output.
    let mut degree: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();
    for f in flows {
        *degree.entry(f.provider).or_default() += 1;
        *degree.entry(f.receiver).or_default() += 1;
    }
    let mut kept: Vec<&Node> = nodes.iter().collect();
    let left_out = kept.len().saturating_sub(NETWORK_MAX_NODES);
    if left_out > 0 {
        kept.sort_by(|a, b| {
            degree
                .get(b.id.as_str())
                .cmp(&degree.get(a.id.as_str()))
                .then_with(|| a.label.cmp(&b.label))
        });
        kept.truncate(NETWORK_MAX_NODES);
    }
    kept.sort_by(|a, b| a.label.cmp(&b.label).then_with(|| a.id.cmp(&b.id)));
    let index: foldhash::HashMap<&str, usize> = kept
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();

    let mut edges: BTreeMap<(usize, usize), Edge> = BTreeMap::new();
    for f in flows {
        let (Some(&from), Some(&to)) = (index.get(f.provider), index.get(f.receiver)) else {
            continue;
        };
        let (rank, status) = status_rank(f.exchange.status);
        let confirmed = f.is_confirmed();
        let edge = edges.entry((from, to)).or_insert(Edge {
            from,
            to,
            count: 0,
            status,
            confirmed,
        });
        edge.count += 1;
        edge.confirmed |= confirmed;
        if rank > status_rank(Some(edge.status)).0 {
            edge.status = status;
        }
    }

    let n = kept.len().max(1);
    let size = 760.0_f64.max(18.0 * n as f64 + 200.0);
    let center = size / 2.0;
    // Room outside the circle for the labels.
    let radius = center - 110.0;
    let position = |i: usize| {
        let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n as f64;
        (center + radius * angle.cos(), center + radius * angle.sin())
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"network\" viewBox=\"0 0 {size:.0} {size:.0}\" role=\"img\" \
         aria-labelledby=\"network-title\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"network-title\">{}</title>\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" \
         class=\"arrow-head\"/></marker></defs>",
        xml_escape(title)
    );
    const NODE_RADIUS: f64 = 20.0;
    for edge in edges.values() {
        let (x1, y1) = position(edge.from);
        let (x2, y2) = position(edge.to);
        let (dx, dy) = (x2 - x1, y2 - y1);
        let length = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / length, dy / length);
        // Start and end at the node borders; bend to the right of the direction of travel so
        // that A->B and B->A stay apart.
        let (sx, sy) = (x1 + ux * NODE_RADIUS, y1 + uy * NODE_RADIUS);
        let (ex, ey) = (x2 - ux * (NODE_RADIUS + 2.0), y2 - uy * (NODE_RADIUS + 2.0));
        let bend = (length * 0.12).min(40.0);
        let (cx, cy) = ((sx + ex) / 2.0 - uy * bend, (sy + ey) / 2.0 + ux * bend);
        let _ = write!(
            svg,
            "<path class=\"edge status-{}{}\" d=\"M{sx:.1},{sy:.1} Q{cx:.1},{cy:.1} {ex:.1},{ey:.1}\" \
             marker-end=\"url(#arrow)\"/>",
            edge.status,
            if edge.confirmed { " confirmed" } else { "" }
        );
        if edge.count > 1 {
            let _ = write!(
                svg,
                "<text class=\"edge-count\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                (sx + 2.0 * cx + ex) / 4.0,
                (sy + 2.0 * cy + ey) / 4.0 + 4.0,
                edge.count
            );
        }
    }
    for (i, node) in kept.iter().enumerate() {
        let (x, y) = position(i);
        // Labels sit outside the circle, on the line from the centre, so they never cross the
        // edges inside it.
        let (dx, dy) = ((x - center) / radius, (y - center) / radius);
        let lx = x + dx * (NODE_RADIUS + 6.0);
        let ly = y + dy * (NODE_RADIUS + 6.0) + 4.0 + dy.max(0.0) * 8.0;
        let anchor = if dx > 0.3 {
            "start"
        } else if dx < -0.3 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            svg,
            "<g class=\"node\"><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{NODE_RADIUS}\"/>\
             <text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"{anchor}\">{}</text></g>",
            xml_escape(&node.label)
        );
    }
    svg.push_str("</svg>");
    (svg, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::analysis::{Direction, Exchange};

    fn exchange<'a>(
        id: &'a str,
        provider: &'a str,
        receiver: &'a str,
        status: &'a str,
    ) -> Exchange<'a> {
        Exchange {
            mechanism_id: id,
            reporter: provider,
            partner: Some(receiver),
            direction: Some(Direction::Provide),
            domains: vec!["asylum"],
            status: Some(status),
        }
    }

    fn flow<'a>(exchange: &'a Exchange<'a>, confirmed: bool) -> MatchedFlow<'a> {
        MatchedFlow {
            provider: exchange.reporter,
            receiver: exchange.partner.unwrap_or_default(),
            exchange,
            confirmed_by: if confirmed { vec!["x"] } else { Vec::new() },
        }
    }

    #[test]
    fn the_network_is_deterministic_escaped_and_styled_by_status() {
        let nodes = vec![
            Node {
                id: "b".into(),
                label: "<B&>".into(),
            },
            Node {
                id: "a".into(),
                label: "A".into(),
            },
        ];
        let exchanges = [
            exchange("a-b", "a", "b", "planned"),
            exchange("b-a", "b", "a", "active"),
        ];
        let flows = vec![flow(&exchanges[0], false), flow(&exchanges[1], true)];
        let (one, left_out) = network(&nodes, &flows, "Red");
        let (two, _) = network(&nodes, &flows, "Red");
        assert_eq!(one, two);
        assert_eq!(left_out, 0);
        assert!(one.contains("&lt;B&amp;&gt;"));
        assert!(one.contains("edge status-planned\""));
        assert!(one.contains("edge status-active confirmed"));
        assert_eq!(one.matches("<path class=\"edge").count(), 2);
    }

    #[test]
    fn too_many_nodes_keeps_the_best_connected() {
        let nodes: Vec<Node> = (0..NETWORK_MAX_NODES + 5)
            .map(|i| Node {
                id: format!("n{i}"),
                label: format!("N{i:03}"),
            })
            .collect();
        let exchanges = [exchange("n63-n64", "n63", "n64", "active")];
        let flows = vec![flow(&exchanges[0], false)];
        let (svg, left_out) = network(&nodes, &flows, "Red");
        assert_eq!(left_out, 5);
        assert!(svg.contains(">N063<") && svg.contains(">N064<"));
        assert_eq!(svg.matches("<path class=\"edge").count(), 1);
    }

    #[test]
    fn bars_have_one_segment_per_non_empty_count() {
        let d = Distribution {
            levels: [1, 0, 2, 0, 3],
            not_applicable: 1,
            dont_know: 0,
            unanswered: 1,
        };
        let svg = stacked_bar(&d, "x \"y\"");
        assert_eq!(svg.matches("<rect").count(), 5);
        assert!(svg.contains("aria-label=\"x &quot;y&quot;\""));
    }

    #[test]
    fn heat_classes_cover_the_scale() {
        assert_eq!(heat_class(None), "heat-none");
        assert_eq!(heat_class(Some(0.0)), "heat-0");
        assert_eq!(heat_class(Some(2.0)), "heat-2");
        assert_eq!(heat_class(Some(4.0)), "heat-4");
    }
}
