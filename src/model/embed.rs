//! Sharing and embedding a setup: the embed mode's URL parameters (`embed=1`, `controls=…`,
//! `host=…`) read with a message for every bad value, the iframe snippet the Embed dialog
//! writes, which strategies run on a host that is not cross-origin isolated, and the
//! requests a host page may send through `postMessage`.

use crate::model::config::{encode_query_value, parse_query, quote};
use crate::model::field::Field;
use crate::model::strategy::{Runner, Strategy};

/// The URL keys of the embed mode (the settings' keys are in [`Field`]).
pub const EMBED_KEYS: [&str; 3] = ["embed", "controls", "host"];

/// The name of the strategy picker in `controls=`.
const STRATEGY_CONTROL: &str = "strategy";

/// Which controls an embed shows: the ones its author exposed (none: Run only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbedControls {
    /// Whether the strategy picker is shown.
    pub strategy: bool,
    /// The settings shown, in the order the full page shows them.
    pub fields: Vec<Field>,
}

/// Which origins may drive an embed through `postMessage` (always only its parent window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRule {
    /// No `host=` given: the parent window, whatever its origin.
    AnyParent,
    /// `host=` given: the parent window, and only when its origin is one of these.
    Origins(Vec<String>),
    /// A `host=` value is not an origin: no message is accepted until it is fixed.
    Broken,
}

impl HostRule {
    /// Whether a message from the parent window at `origin` is acted on.
    pub fn accepts(&self, origin: &str) -> bool {
        match self {
            HostRule::AnyParent => true,
            HostRule::Origins(origins) => origins.iter().any(|o| o == origin),
            HostRule::Broken => false,
        }
    }

    /// What a refused sender is told (in the console), naming who may send.
    pub fn refusal(&self, origin: &str) -> String {
        let who = match self {
            HostRule::AnyParent => "its parent page".to_owned(),
            HostRule::Origins(origins) => format!(
                "its parent page at {} (its host parameter)",
                origins.join(" or ")
            ),
            HostRule::Broken => "nobody until its host parameter is fixed".to_owned(),
        };
        format!(
            "Parallel playground: refused a message from {}: this embed takes messages only from {who}.",
            quote(origin)
        )
    }
}

/// The embed parameters of a page URL, read with a message for each bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedOptions {
    /// Whether the page is the compact embed (`embed=1`).
    pub embed: bool,
    /// The controls the author exposed.
    pub controls: EmbedControls,
    /// Who may send messages.
    pub host: HostRule,
    /// A message for each value that was not understood.
    pub problems: Vec<String>,
    /// The `controls` names as given (kept in the page's URL as written).
    controls_text: Option<String>,
    /// The `host` values as given.
    host_texts: Vec<String>,
}

impl EmbedOptions {
    /// Reads `embed`, `controls` and `host` from a page URL's query (other keys are the
    /// settings', read by [`crate::model::config::Inputs::from_query`]).
    pub fn from_query(query: &str) -> Self {
        let mut options = EmbedOptions {
            embed: false,
            controls: EmbedControls::default(),
            host: HostRule::AnyParent,
            problems: Vec::new(),
            controls_text: None,
            host_texts: Vec::new(),
        };
        let mut origins = Vec::new();
        for (key, value) in parse_query(query) {
            match key.trim().to_ascii_lowercase().as_str() {
                "embed" => match value.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" => options.embed = true,
                    "0" | "false" => options.embed = false,
                    _ => options.problems.push(format!(
                        "embed={} is not understood: write embed=1 for the compact playground, or leave it out",
                        quote(&value)
                    )),
                },
                "controls" => {
                    options.controls = read_controls(&value, &mut options.problems);
                    options.controls_text = Some(value);
                }
                "host" => {
                    match parse_origin(&value) {
                        Some(origin) => origins.push(origin),
                        None => {
                            options.problems.push(format!(
                                "host={} is not an origin such as https://example.org (a scheme, a host and a port, no path): this embed accepts no messages until it is fixed",
                                quote(&value)
                            ));
                            options.host = HostRule::Broken;
                        }
                    }
                    options.host_texts.push(value);
                }
                _ => {}
            }
        }
        if options.host != HostRule::Broken && !origins.is_empty() {
            options.host = HostRule::Origins(origins);
        }
        options
    }

    /// The controls exposed that `strategy` does not read, each with a message (they are not
    /// shown: the strategy has no such setting).
    pub fn unread_controls(&self, strategy: Strategy) -> Vec<String> {
        self.controls
            .fields
            .iter()
            .filter(|field| !strategy.fields().contains(field))
            .map(|field| {
                format!(
                    "controls: {} has no setting '{}' (it reads {})",
                    strategy.name(),
                    field.key(),
                    field_keys(strategy.fields())
                )
            })
            .collect()
    }

    /// The embed parameters as they go on after the settings in the page's URL (empty on the
    /// full page), so that editing the settings keeps them.
    pub fn query_suffix(&self) -> String {
        if !self.embed {
            return String::new();
        }
        let mut pairs = vec![("embed", "1".to_owned())];
        if let Some(controls) = &self.controls_text {
            pairs.push(("controls", controls.clone()));
        }
        pairs.extend(self.host_texts.iter().map(|h| ("host", h.clone())));
        pairs
            .into_iter()
            .map(|(k, v)| format!("&{k}={}", encode_controls_value(&v)))
            .collect()
    }
}

/// A value of the embed parameters, escaped, with its commas kept readable.
fn encode_controls_value(value: &str) -> String {
    encode_query_value(value).replace("%2C", ",")
}

/// The keys of `fields`, comma separated.
fn field_keys(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.key())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `controls=` list: `strategy` and settings' keys, comma separated, in any case.
fn read_controls(text: &str, problems: &mut Vec<String>) -> EmbedControls {
    let mut controls = EmbedControls::default();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name.eq_ignore_ascii_case(STRATEGY_CONTROL) {
            controls.strategy = true;
        } else if let Some(field) = Field::ALL
            .into_iter()
            .find(|f| f.key().eq_ignore_ascii_case(name))
        {
            if !controls.fields.contains(&field) {
                controls.fields.push(field);
            }
        } else {
            problems.push(format!(
                "controls: {} is not a control: use {STRATEGY_CONTROL}, {}",
                quote(name),
                field_keys(&Field::ALL)
            ));
        }
    }
    controls.fields.sort();
    controls
}

/// `https://example.org` (or with a port, or a trailing `/`) as the origin a browser names
/// in a message event; anything else (a path, a query, a user, another scheme) is `None`.
pub fn parse_origin(text: &str) -> Option<String> {
    let text = text.trim();
    let (scheme, rest) = text.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest).to_ascii_lowercase();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            (host, Some(port))
        }
        _ => (authority.as_str(), None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    let port_ok = port.is_none_or(|p| {
        !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && p.parse::<u16>().is_ok()
    });
    // A default port is left out of an origin, as browsers write it.
    let port = port.filter(|p| !matches!((scheme.as_str(), *p), ("http", "80") | ("https", "443")));
    (host_ok && port_ok).then(|| match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Whether `strategy` needs the shared-memory thread pool, which only a cross-origin isolated
/// page has (threads, executors, queues, rayon); the process strategies (a memory per
/// process) and the fetch strategies (the page's event loop) run anywhere.
pub fn needs_isolation(strategy: Strategy) -> bool {
    match strategy.rule().runner {
        Runner::Tasks | Runner::Rayon => true,
        Runner::Processes | Runner::EventLoop => false,
    }
}

/// What the Embed dialog says about hosts that are not isolated: the strategies that run
/// there, and those that offer to open a new tab instead.
pub fn isolation_summary() -> (Vec<&'static str>, Vec<&'static str>) {
    let (elsewhere, here): (Vec<Strategy>, Vec<Strategy>) =
        Strategy::ALL.into_iter().partition(|s| needs_isolation(*s));
    let names = |list: Vec<Strategy>| list.into_iter().map(Strategy::name).collect();
    (names(here), names(elsewhere))
}

/// The frame's height for an embed showing `controls` controls: Run and the run's views
/// (split, lanes, queue, gather, figures) take about 1,000 px at a column's width; each row
/// of controls more (a narrower frame scrolls inside).
pub fn embed_height(controls: usize) -> u32 {
    const VIEWS: u32 = 1000;
    const ROW: u32 = 80;
    const PER_ROW: usize = 3;
    VIEWS + ROW * controls.div_ceil(PER_ROW) as u32
}

/// The iframe snippet for a setup: `page` is the playground's address (without query),
/// `query` the setup's settings (as in the page's URL), `controls` those exposed.
pub fn iframe_snippet(
    page: &str,
    query: &str,
    strategy: Strategy,
    controls: &EmbedControls,
) -> String {
    let mut names: Vec<&str> = Vec::new();
    if controls.strategy {
        names.push(STRATEGY_CONTROL);
    }
    names.extend(controls.fields.iter().map(|f| f.key()));
    let mut src = format!("{page}?{query}&embed=1");
    if !names.is_empty() {
        src.push_str(&format!("&controls={}", names.join(",")));
    }
    format!(
        "<iframe src=\"{}\"\n  title=\"{}\"\n  width=\"100%\" height=\"{}\" style=\"border: 0; max-width: 100%;\"\n  allow=\"cross-origin-isolated\" loading=\"lazy\"></iframe>",
        html_attribute(&src),
        html_attribute(&format!("Parallel playground: {}", strategy.name())),
        embed_height(names.len())
    )
}

/// `text` escaped for a double-quoted HTML attribute.
fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What a host page may ask of an embed through `postMessage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostRequest {
    /// `{ type: 'ready', id }`: the worker pool's size once started.
    Ready,
    /// `{ type: 'set-config', id, config }`: the controls set (not run).
    SetConfig,
    /// `{ type: 'run', id, config?, options? }`: a run, its progress, then its trace.
    Run,
    /// `{ type: 'cancel', id }`: stop the run in progress.
    Cancel,
    /// `{ type: 'export', id, format }`: the text of an export (`chrome`, `csv`, `svg`) of the
    /// last trace a `run` request replied with.
    Export,
}

impl HostRequest {
    /// Every request, with its `type`.
    pub const ALL: [(HostRequest, &'static str); 5] = [
        (HostRequest::Ready, "ready"),
        (HostRequest::SetConfig, "set-config"),
        (HostRequest::Run, "run"),
        (HostRequest::Cancel, "cancel"),
        (HostRequest::Export, "export"),
    ];

    /// The request a message's `type` names, or why it names none.
    pub fn parse(kind: Option<&str>) -> Result<Self, String> {
        let known = || {
            Self::ALL
                .iter()
                .map(|(_, name)| format!("'{name}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(kind) = kind else {
            return Err(format!(
                "a message needs a string 'type': one of {}",
                known()
            ));
        };
        Self::ALL
            .iter()
            .find(|(_, name)| *name == kind)
            .map(|(request, _)| *request)
            .ok_or_else(|| {
                format!(
                    "unknown message type {}: use one of {}",
                    quote(kind),
                    known()
                )
            })
    }
}

/// The longest request id accepted (an id is the host's own label, echoed in every reply).
pub const MAX_ID_CHARS: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;

    #[test]
    fn embed_parameters_are_read_and_bad_values_named() {
        let options =
            EmbedOptions::from_query("strategy=Pool.map&embed=1&controls=Workers, chunksize");
        assert!(options.embed);
        assert_eq!(
            options.controls,
            EmbedControls {
                strategy: false,
                fields: vec![Field::Workers, Field::Chunksize]
            }
        );
        assert_eq!(options.host, HostRule::AnyParent);
        assert!(options.problems.is_empty());
        assert_eq!(
            EmbedOptions::from_query("embed=1").controls,
            EmbedControls::default(),
            "no controls: Run only"
        );
        let bad = EmbedOptions::from_query("embed=yes&controls=workers,bogus,strategy");
        assert!(!bad.embed);
        assert!(bad.controls.strategy);
        assert_eq!(bad.controls.fields, [Field::Workers]);
        assert_eq!(bad.problems.len(), 2, "{:?}", bad.problems);
        assert!(
            bad.problems[0].contains("embed='yes'"),
            "{}",
            bad.problems[0]
        );
        assert!(bad.problems[1].contains("'bogus' is not a control"));
        let unread = EmbedOptions::from_query("embed=1&controls=requests");
        assert_eq!(
            unread.unread_controls(Strategy::PoolMap),
            ["controls: Pool.map has no setting 'requests' (it reads workers, chunksize, items, workload, cost, shape, seed, raise_at, raise_cost)"]
        );
        assert!(unread.unread_controls(Strategy::AsyncioGather).is_empty());
    }

    #[test]
    fn host_names_origins_and_a_bad_one_accepts_nothing() {
        let one = EmbedOptions::from_query("embed=1&host=HTTPS://Example.org/");
        assert_eq!(
            one.host,
            HostRule::Origins(vec!["https://example.org".into()])
        );
        assert!(one.host.accepts("https://example.org"));
        assert!(!one.host.accepts("https://example.org:8443"));
        assert!(!one.host.accepts("http://example.org"));
        let two = EmbedOptions::from_query("host=http://localhost:8080&host=https://a.b:443");
        assert!(two.host.accepts("http://localhost:8080"));
        assert!(two.host.accepts("https://a.b"), "443 is https's own port");
        for bad in [
            "example.org",
            "https://example.org/tutorial",
            "ftp://example.org",
            "https://user@example.org",
            "https://example.org:99999",
            "https://",
            "https://example.org?x=1",
        ] {
            let options = EmbedOptions::from_query(&format!("host={}", encode_query_value(bad)));
            assert_eq!(options.host, HostRule::Broken, "{bad}");
            assert!(!options.host.accepts("https://example.org"), "{bad}");
            assert_eq!(options.problems.len(), 1, "{bad}");
        }
        assert!(HostRule::AnyParent.accepts("null"));
        assert!(HostRule::Broken.refusal("https://x.y").contains("nobody"));
    }

    #[test]
    fn the_embed_parameters_are_kept_after_the_settings() {
        let options =
            EmbedOptions::from_query("embed=1&controls=workers,chunksize&host=https://a.b");
        assert_eq!(
            options.query_suffix(),
            "&embed=1&controls=workers,chunksize&host=https%3A%2F%2Fa.b"
        );
        let again = EmbedOptions::from_query(&format!("items=3{}", options.query_suffix()));
        assert_eq!(again, options);
        assert_eq!(
            EmbedOptions::from_query("controls=workers").query_suffix(),
            ""
        );
    }

    #[test]
    fn the_snippet_loads_the_setup_in_embed_mode() {
        let config = Inputs::from_query("strategy=Pool.map&workers=3&items=14&chunksize=3")
            .validate()
            .unwrap();
        let controls = EmbedControls {
            strategy: true,
            fields: vec![Field::Workers],
        };
        let snippet = iframe_snippet(
            "https://host/play/",
            &config.to_query(),
            Strategy::PoolMap,
            &controls,
        );
        assert!(
            snippet.starts_with(
                "<iframe src=\"https://host/play/?strategy=Pool.map&amp;workers=3&amp;"
            ),
            "{snippet}"
        );
        assert!(snippet.contains("&amp;embed=1&amp;controls=strategy,workers\""));
        assert!(snippet.contains("title=\"Parallel playground: Pool.map\""));
        assert!(snippet.contains("allow=\"cross-origin-isolated\""));
        assert!(snippet.contains(&format!("height=\"{}\"", embed_height(2))));
        // The src, unescaped, is a link the page reads back to the same setup and controls.
        let src = snippet.split('"').nth(1).unwrap().replace("&amp;", "&");
        let query = src.split_once('?').unwrap().1;
        let read = Inputs::from_query(query).validate().unwrap();
        assert_eq!(read.to_query(), config.to_query());
        assert_eq!((read.workers, read.chunksize, read.items), (3, Some(3), 14));
        let options = EmbedOptions::from_query(query);
        assert!(options.embed && options.problems.is_empty());
        assert_eq!(options.controls, controls);
        assert!(embed_height(0) < embed_height(4));
    }

    #[test]
    fn threads_need_isolation_processes_and_fetches_do_not() {
        let (here, elsewhere) = isolation_summary();
        assert!(here.contains(&"Pool.map") && here.contains(&"ProcessPoolExecutor.map"));
        assert!(here.contains(&"asyncio.gather") && here.contains(&"sequential"));
        assert!(elsewhere.contains(&"ThreadPoolExecutor.map"));
        assert!(
            elsewhere.iter().any(|name| name.contains("par_iter")),
            "{elsewhere:?}"
        );
        assert_eq!(here.len() + elsewhere.len(), Strategy::ALL.len());
    }

    #[test]
    fn a_host_request_names_a_known_type() {
        assert_eq!(HostRequest::parse(Some("run")), Ok(HostRequest::Run));
        assert_eq!(
            HostRequest::parse(Some("set-config")),
            Ok(HostRequest::SetConfig)
        );
        assert_eq!(HostRequest::parse(Some("export")), Ok(HostRequest::Export));
        let unknown = HostRequest::parse(Some("launch")).unwrap_err();
        assert!(
            unknown.contains("'launch'") && unknown.contains("'cancel'"),
            "{unknown}"
        );
        assert!(HostRequest::parse(None).unwrap_err().contains("'type'"));
    }
}
